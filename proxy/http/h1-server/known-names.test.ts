import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isToken } from '../h1-scan.ts';
import { knownMethod, knownName } from './known-names.ts';

describe('knownMethod', () => {
  test('gives the constant for a known method spelled exactly, undefined otherwise', () => {
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']) {
      assert.equal(knownMethod(`${method} / HTTP/1.1`, method.length), method);
    }
    // Methods are case-sensitive: `get` is another (unknown) method.
    assert.equal(knownMethod('get / HTTP/1.1', 3), undefined);
    assert.equal(knownMethod('GETX / HTTP/1.1', 4), undefined);
    assert.equal(knownMethod('PROPFIND / HTTP/1.1', 8), undefined);
    assert.equal(knownMethod('PUR / HTTP/1.1', 3), undefined);
  });
});

describe('knownName', () => {
  test('gives the lower-case constant for a known name in any case', () => {
    const text = 'Host: a\r\nUSER-AGENT: b\r\ncontent-Length: 3\r\nTE: trailers';
    const at = (name: string): string | undefined => {
      const start = text.indexOf(name);
      return knownName(text, start, start + name.length);
    };
    assert.equal(at('Host'), 'host');
    assert.equal(at('USER-AGENT'), 'user-agent');
    assert.equal(at('content-Length'), 'content-length');
    assert.equal(at('TE'), 'te');
  });

  test('is undefined for any other token, including near misses', () => {
    for (const name of ['hosts', 'hos', 'x-thing', 'content-lengtH1', 'tf', 'user_agent', 'ho^t', 'accept~']) {
      assert.equal(knownName(name, 0, name.length), undefined, name);
    }
  });

  test('agrees with lower-casing for every token built from known names by changing one character', () => {
    const known = ['host', 'user-agent', 'content-length', 'x-forwarded-for', 'l5d-dst-override', 'b3'];
    const chars = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let checked = 0;
    for (const name of known) {
      for (let i = 0; i < name.length; i++) {
        for (const c of chars) {
          const candidate = name.slice(0, i) + c + name.slice(i + 1);
          assert.ok(isToken(candidate, 0, candidate.length));
          const got = knownName(candidate, 0, candidate.length);
          if (got !== undefined) assert.equal(got, candidate.toLowerCase(), candidate);
          else assert.notEqual(candidate.toLowerCase(), name, candidate);
          checked++;
        }
      }
    }
    assert.ok(checked > 3000);
  });
});
