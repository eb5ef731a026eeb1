import assert from 'node:assert/strict';
import { test } from 'node:test';
import { H2Stream, type H2Connection } from '../h2/index.ts';
import type { H2StreamOwner } from '../h2/stream-owner.ts';
import type { H2ClientPool } from './h2-client-pool.ts';
import { forwardH2 } from './h2-forward.ts';
import { H2ServerExchange } from './h2-server-exchange.ts';
import { ProxyError } from './proxy-error.ts';
import { h2Sink } from './response-sink.ts';
import type { EndpointRequest } from './stack.ts';

/** A stream whose owner records what was sent on it. */
function recordingStream(id: number): { stream: H2Stream; sent: string[] } {
  const sent: string[] = [];
  const owner: H2StreamOwner = {
    headers: (_s, _f, end) => void sent.push(`headers end=${end}`),
    flush: (s) => void sent.push(`flush ${s.pendingBytes}`),
    reset: (s, code) => {
      s.closed = true;
      sent.push(`reset ${code}`);
    },
    consumed() {},
  };
  return { stream: new H2Stream(owner, id, 65_535, 65_535), sent };
}

test('a client gone before the forward starts: the upstream stream is reset, no body is relayed, the attempt rejects', async () => {
  const client = recordingStream(1);
  const exchange = new H2ServerExchange(
    { socket: { remotePort: 1 } } as unknown as H2Connection,
    client.stream,
    [':method', 'POST', ':path', '/x', ':scheme', 'http', ':authority', 'svc:80'],
    false,
  );
  client.stream.handler.data(Buffer.from('early body'), false);
  // The client reset its stream while the request waited for an endpoint.
  client.stream.closed = true;
  client.stream.handler.reset(0x8, undefined);

  const upstream = recordingStream(1);
  const pool = {
    pick: () => ({
      conn: {
        request: (_fields: string[], endStream: boolean) => {
          upstream.sent.push(`request end=${endStream}`);
          return upstream.stream;
        },
      } as unknown as H2Connection,
      connected: true,
    }),
  } as unknown as H2ClientPool;
  const attempt = {
    downstream: { kind: 'h2', stream: exchange },
    method: 'POST',
    target: '/x',
    authority: 'svc:80',
    headers: exchange.headers,
    endpoint: { host: '127.0.0.1', port: 1 },
    grpc: false,
  } as unknown as EndpointRequest;

  await assert.rejects(forwardH2(attempt, h2Sink(exchange), exchange, pool), (err: unknown) => {
    assert.ok(err instanceof ProxyError);
    assert.equal(err.failure, 'upstream-reset');
    return true;
  });
  assert.deepEqual(upstream.sent, ['request end=false', 'reset 8']);
});
