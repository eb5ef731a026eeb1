import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RequestRedirect } from '../../src/routes/index.ts';
import { redirectLocation } from './http-route-redirect.ts';

const rule = { parentPort: 80, parentHost: 'web.shop.svc.cluster.local', redirectPrefix: '/old' };
const req = { target: '/old/page?x=1', authority: 'web.shop.svc.cluster.local:80' };

describe('redirectLocation', () => {
  const cases: [string, RequestRedirect, string][] = [
    [
      'keeps everything but what the filter sets',
      { statusCode: 302 },
      'http://web.shop.svc.cluster.local/old/page?x=1',
    ],
    [
      'https without a port drops the well-known 443',
      { scheme: 'https', statusCode: 301 },
      'https://web.shop.svc.cluster.local/old/page?x=1',
    ],
    [
      'a port is written unless well-known',
      { port: 8080, statusCode: 302 },
      'http://web.shop.svc.cluster.local:8080/old/page?x=1',
    ],
    ['a hostname replaces the host', { hostname: 'example.com', statusCode: 302 }, 'http://example.com/old/page?x=1'],
    [
      'ReplaceFullPath replaces the path and keeps the query',
      { path: { type: 'ReplaceFullPath', replaceFullPath: '/new' }, statusCode: 302 },
      'http://web.shop.svc.cluster.local/new?x=1',
    ],
    [
      'ReplacePrefixMatch replaces the matched prefix',
      { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' }, statusCode: 302 },
      'http://web.shop.svc.cluster.local/v2/page?x=1',
    ],
    [
      'ReplacePrefixMatch with / leaves the rest',
      { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' }, statusCode: 302 },
      'http://web.shop.svc.cluster.local/page?x=1',
    ],
  ];
  for (const [name, redirect, location] of cases) {
    test(name, () => assert.equal(redirectLocation(req, redirect, rule), location));
  }

  test('the prefix itself becomes the replacement, and a request without a host gets the Service name', () => {
    const redirect: RequestRedirect = {
      path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' },
      statusCode: 307,
    };
    assert.equal(
      redirectLocation({ target: '/old', authority: undefined }, redirect, rule),
      'http://web.shop.svc.cluster.local/new',
    );
  });
});
