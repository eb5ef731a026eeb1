import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProxyError } from './proxy-error.ts';
import { resolveLayer } from './resolve-layer.ts';
import type { EndpointRequest, HttpOutcome, HttpRequest } from './stack.ts';

// Only the fields the layer reads or passes on; the rest of a request does not matter here.
const request = { authority: 'web:8080', state: { attemptsRecorded: 0 } } as unknown as HttpRequest;
const outcome: HttpOutcome = { status: 200, grpcStatus: undefined, committed: true };

function recording(): { seen: EndpointRequest[]; inner: (req: EndpointRequest) => Promise<HttpOutcome> } {
  const seen: EndpointRequest[] = [];
  return {
    seen,
    inner: (req) => {
      seen.push(req);
      return Promise.resolve(outcome);
    },
  };
}

describe('resolveLayer', () => {
  test('a synchronous answer reaches the inner service before the call returns', async () => {
    const { seen, inner } = recording();
    const pending = resolveLayer(() => ({ host: '10.0.0.1', port: 8080 }))(inner)(request);
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0]?.endpoint, { host: '10.0.0.1', port: 8080 });
    assert.equal(seen[0]?.authority, 'web:8080');
    assert.equal(await pending, outcome);
  });

  test('an asynchronous answer reaches the inner service once it settles', async () => {
    const { seen, inner } = recording();
    const pending = resolveLayer(() => Promise.resolve({ host: '10.0.0.2', port: 80 }))(inner)(request);
    assert.equal(seen.length, 0);
    assert.equal(await pending, outcome);
    assert.deepEqual(seen[0]?.endpoint, { host: '10.0.0.2', port: 80 });
  });

  const refusals = [
    { name: 'a synchronous ProxyError', resolve: () => new ProxyError('forbidden', 'no') },
    { name: 'an asynchronous ProxyError', resolve: () => Promise.resolve(new ProxyError('forbidden', 'no')) },
  ];
  for (const { name, resolve } of refusals) {
    test(`${name} rejects the attempt and never calls the inner service`, async () => {
      const { seen, inner } = recording();
      await assert.rejects(resolveLayer(resolve)(inner)(request), (err: Error) => err instanceof ProxyError);
      assert.equal(seen.length, 0);
    });
  }

  test('a resolver or inner service that throws rejects instead of throwing', async () => {
    const throwing = resolveLayer(() => {
      throw new Error('resolver broke');
    })(recording().inner);
    await assert.rejects(throwing(request), /resolver broke/);
    const innerThrows = resolveLayer(() => ({ host: '10.0.0.1', port: 1 }))(() => {
      throw new Error('inner broke');
    });
    await assert.rejects(innerThrows(request), /inner broke/);
  });
});
