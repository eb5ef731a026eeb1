import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseTapQuery } from './tap-query.ts';

const parse = (query: string, maxRate = 1000) => parseTapQuery(new URLSearchParams(query), { maxRate });

describe('parseTapQuery', () => {
  test('takes no parameters as everything at the default rate', () => {
    assert.deepEqual(parse(''), {
      kind: 'ok',
      query: {
        filter: { direction: undefined, authority: undefined, path: undefined, method: undefined },
        limit: undefined,
        rate: 100,
      },
    });
  });

  test('takes every filter, normalizing authority and method case', () => {
    const result = parse('direction=inbound&authority=Web.Shop:80&path=/api&method=post&limit=5&rate=20');
    assert.deepEqual(result, {
      kind: 'ok',
      query: {
        filter: { direction: 'inbound', authority: 'web.shop:80', path: '/api', method: 'POST' },
        limit: 5,
        rate: 20,
      },
    });
  });

  test('caps the rate at the proxy maximum, and the default too', () => {
    const capped = parse('rate=5000', 1000);
    assert.equal(capped.kind === 'ok' ? capped.query.rate : 0, 1000);
    const low = parse('', 10);
    assert.equal(low.kind === 'ok' ? low.query.rate : 0, 10);
  });

  test('treats an empty value as absent', () => {
    const result = parse('direction=&limit=');
    assert.equal(result.kind, 'ok');
  });

  const bad: { query: string; parameter: string; allowed: RegExp }[] = [
    { query: 'direction=sideways', parameter: 'direction', allowed: /^inbound or outbound$/ },
    { query: 'path=api', parameter: 'path', allowed: /starting with '\/'/ },
    { query: 'method=GE%20T', parameter: 'method', allowed: /an HTTP method/ },
    { query: 'authority=a%20b', parameter: 'authority', allowed: /host\[:port\]/ },
    { query: 'limit=0', parameter: 'limit', allowed: /an integer from 1 to/ },
    { query: 'limit=-3', parameter: 'limit', allowed: /an integer from 1 to/ },
    { query: 'limit=1.5', parameter: 'limit', allowed: /an integer from 1 to/ },
    { query: 'rate=fast', parameter: 'rate', allowed: /requests a second/ },
    { query: 'methd=GET', parameter: 'methd', allowed: /direction, authority, path, method, limit, rate/ },
    { query: 'method=GET&method=POST', parameter: 'method', allowed: /repeated/ },
  ];
  for (const c of bad) {
    test(`refuses ${c.query}, naming ${c.parameter} and what is allowed`, () => {
      const result = parse(c.query);
      assert.equal(result.kind, 'bad');
      if (result.kind !== 'bad') return;
      assert.equal(result.problem.parameter, c.parameter);
      assert.match(result.problem.allowed, c.allowed);
    });
  }
});
