// Load balancing on a real proxy (linkerd.md §4.6, §4.9): P2C over peak-EWMA against round robin
// with one endpoint made 50× slower (same run, same load), fail-fast and load shedding when no
// endpoint is ready, and the per-endpoint breaker tripping and recovering.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startOutboundProxy, type OutboundProxy } from '../support/outbound-proxy.ts';

interface App {
  readonly port: number;
  hits: number;
  delayMs: number;
  status: number;
  readonly server: Server;
}

async function app(delayMs: number): Promise<App> {
  const server = createServer((req, res) => {
    a.hits++;
    const reply = (): void => {
      res.statusCode = a.status;
      res.end(String(a.port));
    };
    if (a.delayMs > 0) setTimeout(reply, a.delayMs);
    else reply();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const a: App = { port: (server.address() as AddressInfo).port, hits: 0, delayMs, status: 200, server };
  return a;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** `total` requests, `concurrency` at a time; the latency of each in ms. */
async function load(proxy: OutboundProxy, total: number, concurrency: number): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const started = performance.now();
        const reply = await proxy.get('/');
        assert.equal(reply.status, 200);
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

describe('P2C peak-EWMA against round robin, one endpoint 50× slower', () => {
  const apps: App[] = [];
  let p2c: OutboundProxy;
  let rr: OutboundProxy;

  before(async () => {
    for (let i = 0; i < 5; i++) apps.push(await app(i === 0 ? 100 : 2));
    p2c = await startOutboundProxy();
    rr = await startOutboundProxy({ NODEMESH_PROXY_OUTBOUND_BALANCER: 'round-robin' });
    for (const p of [p2c, rr]) p.setEndpoints(apps.map((a) => a.port));
  });

  after(async () => {
    await Promise.all([p2c.close(), rr.close()]);
    for (const a of apps) a.server.close();
  });

  test('sends the slow endpoint far fewer requests and keeps p99 near the healthy ones', async () => {
    const slow = apps[0]!;
    const results: Record<string, { share: number; p50: number; p95: number; p99: number }> = {};
    for (const [name, proxy] of [
      ['round-robin', rr],
      ['p2c', p2c],
    ] as const) {
      const before = slow.hits;
      const latencies = await load(proxy, 500, 10);
      results[name] = {
        share: (slow.hits - before) / 500,
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
      };
    }
    const { p2c: a, 'round-robin': b } = results as Record<'p2c' | 'round-robin', { share: number; p95: number }>;
    // Round robin gives every endpoint a fifth; P2C learns the slow one's latency and avoids it.
    assert.ok(b.share > 0.15, `round robin sent the slow endpoint ${b.share}`);
    assert.ok(a.share < 0.05, `p2c sent the slow endpoint ${a.share} (round robin ${b.share})`);
    // Every fifth round-robin request waits 100 ms, so its p95 is the slow endpoint's; P2C's is a
    // healthy endpoint's (its p99 and p99.9 are reported by the benchmark).
    assert.ok(b.p95 >= 100, `round robin p95 ${b.p95} ms`);
    assert.ok(a.p95 < b.p95, `p2c p95 ${a.p95} ms below round robin's ${b.p95} ms`);
    process.stdout.write(`# balancing: ${JSON.stringify(results)}\n`);
  });
});

describe('no ready endpoint: queue, fail-fast and load shedding', () => {
  let proxy: OutboundProxy;

  before(async () => {
    proxy = await startOutboundProxy({
      NODEMESH_PROXY_OUTBOUND_FAILFAST_TIMEOUT: '300ms',
      NODEMESH_PROXY_OUTBOUND_QUEUE_CAPACITY: '2',
    });
    proxy.setEndpoints([]);
  });

  after(() => proxy.close());

  test('a full queue sheds with 503 at once; waiters fail fast with 504', async () => {
    const replies = await Promise.all(Array.from({ length: 5 }, () => proxy.get('/')));
    const statuses = replies.map((r) => r.status).sort();
    assert.deepEqual(statuses, [503, 503, 503, 504, 504]);
    const shed = replies.find((r) => r.status === 503);
    assert.match(String(shed?.headers['l5d-proxy-error']), /too many requests waiting/);
    const failFast = replies.find((r) => r.status === 504);
    assert.match(String(failFast?.headers['l5d-proxy-error']), /no ready endpoint \(fail-fast\)/);
    // In fail-fast, the next request does not wait (the queue stays empty).
    const next = await proxy.get('/');
    assert.equal(next.status, 504);
    assert.equal(await proxy.metric('response_total', { error: 'load-shed' }), 3);
    assert.equal(await proxy.metric('response_total', { error: 'fail-fast' }), 3);
  });

  test('a gRPC caller gets UNAVAILABLE, not a page', async () => {
    const reply = await proxy.get('/test.Echo/Say', {
      method: 'POST',
      headers: { 'content-type': 'application/grpc' },
      body: Buffer.from([0, 0, 0, 0, 0]),
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['grpc-status'], '14');
  });

  test('leaves fail-fast when an endpoint appears', async () => {
    const a = await app(0);
    try {
      proxy.setEndpoints([a.port]);
      const reply = await proxy.get('/');
      assert.equal(reply.status, 200);
    } finally {
      a.server.close();
    }
  });
});

describe('failure accrual: the breaker trips and recovers', () => {
  let proxy: OutboundProxy;
  let good: App;
  let bad: App;

  before(async () => {
    [good, bad] = [await app(0), await app(0)];
    bad.status = 500;
    proxy = await startOutboundProxy({
      NODEMESH_PROXY_OUTBOUND_BALANCER: 'round-robin',
      NODEMESH_PROXY_OUTBOUND_FAILURE_ACCRUAL: 'consecutive',
      NODEMESH_PROXY_OUTBOUND_FAILURE_ACCRUAL_MAX_FAILURES: '3',
      NODEMESH_PROXY_OUTBOUND_FAILURE_ACCRUAL_MIN_PENALTY: '300ms',
      NODEMESH_PROXY_OUTBOUND_FAILURE_ACCRUAL_MAX_PENALTY: '300ms',
      NODEMESH_PROXY_OUTBOUND_FAILURE_ACCRUAL_JITTER_RATIO: '0',
    });
    proxy.setEndpoints([good.port, bad.port]);
  });

  after(async () => {
    await proxy.close();
    good.server.close();
    bad.server.close();
  });

  test('after 3 consecutive failures the endpoint gets no requests until its probation', async () => {
    // Round robin alternates, so 6 requests give the bad endpoint its 3 failures.
    for (let i = 0; i < 6; i++) await proxy.get('/');
    assert.equal(bad.hits, 3);
    const tripped = bad.hits;
    for (let i = 0; i < 20; i++) assert.equal((await proxy.get('/')).status, 200);
    assert.equal(bad.hits, tripped, 'the shut endpoint was not picked');
  });

  test('a successful probation request puts it back in rotation', async () => {
    bad.status = 200;
    const before = bad.hits;
    // After the 300 ms penalty, one probe goes to it; then it is picked again like any other.
    for (let i = 0; i < 100 && bad.hits < before + 3; i++) {
      await proxy.get('/');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(bad.hits >= before + 3, `recovered endpoint served ${bad.hits - before} requests`);
  });
});

describe('failure accrual configured by the Service annotations', () => {
  let proxy: OutboundProxy;
  let good: App;
  let bad: App;

  before(async () => {
    [good, bad] = [await app(0), await app(0)];
    bad.status = 503;
    // No accrual in the proxy's own settings: the Service turns it on.
    proxy = await startOutboundProxy({ NODEMESH_PROXY_OUTBOUND_BALANCER: 'round-robin' });
  });

  after(async () => {
    await proxy.close();
    good.server.close();
    bad.server.close();
  });

  test('without annotations a failing endpoint keeps getting its share', async () => {
    proxy.setEndpoints([good.port, bad.port]);
    for (let i = 0; i < 20; i++) await proxy.get('/');
    assert.equal(bad.hits, 10);
  });

  test('with balancer.linkerd.io/failure-accrual it is taken out after the annotated failures', async () => {
    proxy.setEndpoints([good.port, bad.port], {
      'balancer.linkerd.io/failure-accrual': 'consecutive',
      'balancer.linkerd.io/failure-accrual-consecutive-max-failures': '2',
      'balancer.linkerd.io/failure-accrual-consecutive-min-penalty': '10s',
      'balancer.linkerd.io/failure-accrual-consecutive-max-penalty': '10s',
    });
    const before = bad.hits;
    for (let i = 0; i < 30; i++) await proxy.get('/');
    assert.equal(bad.hits - before, 2, 'two failures, then no more requests');
  });

  test('invalid annotations are ignored (the proxy setting applies) and traffic goes on', async () => {
    proxy.setEndpoints([good.port, bad.port], { 'balancer.linkerd.io/failure-accrual': 'sometimes' });
    const before = bad.hits;
    for (let i = 0; i < 20; i++) await proxy.get('/');
    assert.equal(bad.hits - before, 10);
  });
});
