import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { USER_AGENT, encodeGrpcTimeout, requestHeaders } from './request-headers.ts';

describe('requestHeaders', () => {
  test('makes a gRPC POST with trailers, no compression and a user agent', () => {
    assert.deepEqual(
      requestHeaders({ path: '/pkg.Svc/Call', authority: 'identity.example', scheme: 'https', timeoutMs: 1500 }),
      {
        ':method': 'POST',
        ':scheme': 'https',
        ':path': '/pkg.Svc/Call',
        ':authority': 'identity.example',
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-accept-encoding': 'identity',
        'user-agent': USER_AGENT,
        'grpc-timeout': '1500m',
      },
    );
  });

  test('sends no grpc-timeout without a deadline', () => {
    const headers = requestHeaders({ path: '/a/b', authority: '127.0.0.1:1', scheme: 'http' });
    assert.equal('grpc-timeout' in headers, false);
  });
});

describe('encodeGrpcTimeout', () => {
  const cases: [number, string][] = [
    [0, '1m'],
    [0.2, '1m'],
    [250, '250m'],
    [99_999_999, '99999999m'],
    [100_000_000, '100000S'],
    [100_000_001, '100001S'],
    [8.64e13, '24000000H'],
  ];
  for (const [ms, wire] of cases) test(`encodes ${ms} ms as ${wire}`, () => assert.equal(encodeGrpcTimeout(ms), wire));
});
