// Endpoints that die or restart under a real in-process proxy:
//   - an endpoint killed while requests wait for its answer: requests on a retryable route succeed
//     on the other endpoint; a POST on a route that is not retryable fails at once with 502 and
//     l5d-proxy-error; nothing hangs;
//   - an endpoint killed in the middle of a gRPC server stream: the client's stream ends promptly
//     with UNAVAILABLE or INTERNAL instead of hanging, and new calls go to the survivor;
//   - a rolling restart of both replicas with graceful shutdown on the app side (taken out of
//     discovery, then in-flight requests finished, then stopped) under steady load: zero failures.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { status as GrpcStatus, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { steadyLoad } from '../support/file-mesh.ts';
import { echoClient, grpcEcho } from '../support/grpc-echo.ts';
import { startOutboundProxy, SERVICE, type OutboundProxy } from '../support/outbound-proxy.ts';

interface Replica {
  readonly name: string;
  readonly server: Server;
  readonly port: number;
  readonly sockets: Set<Socket>;
  /** Requests that reached this replica. */
  seen: number;
}

async function replica(
  name: string,
  handle: (req: IncomingMessage, res: ServerResponse, r: Replica) => void,
): Promise<Replica> {
  const sockets = new Set<Socket>();
  const r = { name, sockets, seen: 0 } as Replica & { server: Server; port: number };
  const server = createServer((req, res) => {
    r.seen++;
    handle(req, res, r);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  Object.assign(r, { server, port: (server.address() as AddressInfo).port });
  return r;
}

/** Kills a replica the hard way: stops listening and resets every connection. */
function kill(r: Replica): void {
  r.server.close();
  for (const s of r.sockets) s.resetAndDestroy();
}

/** Graceful stop: no new connections, in-flight requests finished, idle keep-alive connections closed. */
async function drain(r: Replica): Promise<void> {
  const closed = new Promise<void>((resolve) => r.server.close(() => resolve()));
  r.server.closeIdleConnections();
  const sweeper = setInterval(() => r.server.closeIdleConnections(), 20);
  await closed;
  clearInterval(sweeper);
}

describe('endpoints failing under the proxy', () => {
  let proxy: OutboundProxy;
  const replicas: Replica[] = [];

  before(async () => {
    proxy = await startOutboundProxy();
  });
  after(async () => {
    await proxy.close();
    for (const r of replicas) kill(r);
  });

  test('killed while requests wait: retryable requests succeed elsewhere, the others fail fast with 502', async () => {
    // `doomed` holds every request it gets; `healthy` answers at once.
    const held: ServerResponse[] = [];
    const doomed = await replica('doomed', (req, res) => {
      req.resume();
      held.push(res);
    });
    const healthy = await replica('healthy', (req, res) => {
      req.resume();
      req.on('end', () => res.end('healthy'));
    });
    replicas.push(doomed, healthy);
    // Round robin, so that half the requests are sure to wait on the doomed replica (P2C would
    // steer away from it as its requests pile up).
    const rr = await startOutboundProxy({ NODEMESH_PROXY_OUTBOUND_BALANCER: 'round-robin' });
    try {
      await killedWhileWaiting(rr, doomed, healthy, held);
    } finally {
      await rr.close();
    }
  });

  async function killedWhileWaiting(proxy: OutboundProxy, doomed: Replica, healthy: Replica, held: ServerResponse[]) {
    proxy.setProfile(`routes:
  - name: GET /items
    condition: { method: GET, pathRegex: /items }
    isRetryable: true
  - name: POST /items
    condition: { method: POST, pathRegex: /items }
retryBudget: { retryRatio: 1, minRetriesPerSecond: 100, ttl: 10s }`);
    proxy.setEndpoints([doomed.port, healthy.port]);

    // Fire requests until some are waiting on the doomed replica, then kill it.
    const gets = Array.from({ length: 20 }, () => proxy.get('/items'));
    const posts = Array.from({ length: 20 }, () => proxy.get('/items', { method: 'POST', body: Buffer.from('x') }));
    for (let i = 0; i < 100 && held.length < 4; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(held.length >= 4, `requests are waiting on the doomed replica (${held.length})`);
    const started = performance.now();
    kill(doomed);
    const [getReplies, postReplies] = await Promise.all([Promise.all(gets), Promise.all(posts)]);
    const elapsed = performance.now() - started;

    assert.deepEqual(
      getReplies.map((r) => r.status),
      getReplies.map(() => 200),
      'every GET succeeded (retried on the healthy replica)',
    );
    const failedPosts = postReplies.filter((r) => r.status !== 200);
    assert.ok(failedPosts.length > 0, 'some POSTs were on the doomed replica');
    for (const r of failedPosts) {
      assert.equal(r.status, 502);
      assert.ok(r.headers['l5d-proxy-error'] !== undefined, 'the failure says why');
    }
    assert.ok(elapsed < 30_000, 'nothing hung');
    assert.ok(healthy.seen >= 20, 'the GETs that waited on the doomed replica were retried on the healthy one');
  }

  test('killed mid-stream: the gRPC stream ends promptly with an error status, and new calls reach the survivor', async () => {
    const doomed = await grpcEcho();
    const survivor = await grpcEcho();
    try {
      const client = echoClient(`127.0.0.1:${proxy.port}`, `127.0.0.1:${doomed.port}`);
      const call: ClientDuplexStream<Buffer, Buffer> = client.makeBidiStreamRequest(
        '/test.Echo/Bidi',
        (b: Buffer) => b,
        (b: Buffer) => b,
      );
      const ended = new Promise<number | 'ended'>((resolve) => {
        call.on('error', (err: ServiceError) => resolve(err.code));
        call.on('end', () => resolve('ended'));
      });
      call.write(Buffer.from('one'));
      const [first] = (await once(call, 'data')) as [Buffer];
      assert.equal(first.toString(), 'echo:one');
      doomed.kill();
      const outcome = await Promise.race([ended, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000))]);
      assert.ok(
        outcome === GrpcStatus.UNAVAILABLE || outcome === GrpcStatus.INTERNAL || outcome === GrpcStatus.CANCELLED,
        `the stream ended with an error status, not ${String(outcome)}`,
      );
      client.close();
      const other = echoClient(`127.0.0.1:${proxy.port}`, `127.0.0.1:${survivor.port}`);
      const reply = await new Promise<Buffer>((resolve, reject) =>
        other.makeUnaryRequest(
          '/test.Echo/Unary',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from('still here'),
          (err: ServiceError | null, res?: Buffer) => (err ? reject(err) : resolve(res ?? Buffer.alloc(0))),
        ),
      );
      assert.equal(reply.toString(), 'still here');
      other.close();
    } finally {
      doomed.kill();
      await survivor.close();
    }
  });

  test('a rolling restart with graceful shutdown under steady load fails no request', async () => {
    const answer = (name: string) => (req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.end(name), 5));
    };
    let a = await replica('a1', answer('a1'));
    const b = await replica('b1', answer('b1'));
    replicas.push(a, b);
    proxy.setProfile('routes: []');
    proxy.setEndpoints([a.port, b.port]);
    const load = steadyLoad(proxy.port, SERVICE, 4);
    const step = async (old: Replica, next: string, other: Replica): Promise<Replica> => {
      await new Promise((r) => setTimeout(r, 150));
      proxy.setEndpoints([other.port]); // taken out of discovery first, as a terminating pod is
      await new Promise((r) => setTimeout(r, 50));
      await drain(old); // then in-flight requests finish and the server stops
      const fresh = await replica(next, answer(next));
      replicas.push(fresh);
      proxy.setEndpoints([other.port, fresh.port]);
      return fresh;
    };
    a = await step(a, 'a2', b);
    await step(b, 'b2', a);
    await new Promise((r) => setTimeout(r, 150));
    await load.stop();
    assert.deepEqual(load.failures, [], 'no request failed during the rolling restart');
    const servedBy = new Set(load.replies.map((r) => r.body));
    assert.ok(servedBy.has('a2') && servedBy.has('b2'), `the new replicas served (${[...servedBy].join(', ')})`);
    assert.ok(load.replies.length > 50, `steady load ran (${load.replies.length} requests)`);
  });
});
