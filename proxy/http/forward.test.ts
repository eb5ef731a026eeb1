import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Forwarder } from './forward.ts';
import { ProxyError } from './proxy-error.ts';
import type { EndpointRequest } from './stack.ts';

test('a meshed endpoint without an identity for mTLS is a rejected promise, not a synchronous throw', async () => {
  const forwarder = new Forwarder({ connectTimeoutMs: 1000, h1OverH2: true });
  const attempt = {
    downstream: { kind: 'h1' },
    endpoint: {
      host: '127.0.0.1',
      port: 1,
      mesh: { identity: 'web.default.serviceaccount.identity.nodemesh.cluster.local' },
    },
    headers: {},
  } as unknown as EndpointRequest;
  let result: Promise<unknown> | undefined;
  assert.doesNotThrow(() => {
    result = forwarder.service(attempt);
  });
  await assert.rejects(result!, (err: unknown) => {
    assert.ok(err instanceof ProxyError);
    assert.equal(err.failure, 'connect-failed');
    assert.match(err.message, /127\.0\.0\.1:1 is meshed but this proxy has no identity for mTLS/);
    return true;
  });
  forwarder.close();
});
