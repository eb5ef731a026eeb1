// The soak's pieces for a second or two, without the local mesh: the whole soak needs `nodemesh
// demo`, whose fixed loopback addresses the demo test holds at the same time, and ~10 s to start,
// so it runs only in `npm run bench -- soak`. Here: the duration setting, the slope, the traffic
// mix and its error classification against loopback servers that stand in for the proxy, the
// churn of a copy of the example resources, and the memory sampler on this process. No timing
// assertions.

import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createH2Server, type Http2Server } from 'node:http2';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { SoakChurn } from '../../bench/lib/soak-churn.ts';
import { leastSquaresSlope, MemorySampler, memoryTrend } from '../../bench/lib/soak-memory.ts';
import { SoakTraffic } from '../../bench/lib/soak-traffic.ts';
import { soakMinutes, soakOptions } from '../../bench/scenarios/soak.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/local-mesh/', import.meta.url));

describe('bench soak (smoke)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  test('reads NODEMESH_BENCH_SOAK_MINUTES and refuses what is not a positive number of minutes', () => {
    assert.equal(soakMinutes({}), 10);
    assert.equal(soakMinutes({ NODEMESH_BENCH_SOAK_MINUTES: '0.5' }), 0.5);
    for (const bad of ['0', '-1', 'ten', '1e9', 'Infinity']) {
      assert.throws(() => soakMinutes({ NODEMESH_BENCH_SOAK_MINUTES: bad }), /NODEMESH_BENCH_SOAK_MINUTES/);
    }
    const o = soakOptions(10);
    assert.equal(o.warmupMs, 120_000);
    assert.equal(o.sampleIntervalMs, 10_000);
  });

  test('fits the slope after the warm-up in MB per minute', () => {
    assert.equal(
      leastSquaresSlope([
        { x: 0, y: 1 },
        { x: 1, y: 3 },
        { x: 2, y: 5 },
      ]),
      2,
    );
    assert.ok(Number.isNaN(leastSquaresSlope([{ x: 1, y: 1 }])));
    const series = [0, 60, 120, 180, 240].map((t) => ({ t, rssMb: t < 120 ? 50 + t : 100 + t / 60, heapMb: 10 }));
    const trend = memoryTrend({ name: 'p', pid: 1 }, series, 120);
    assert.equal(trend.rssSlopeMbPerMin, 1);
    assert.equal(trend.rssAtWarmupMb, 102);
    assert.equal(trend.heapSlopeMbPerMin, 0);
  });

  test('sends the three mixes and tells intended failures from errors', async () => {
    let orders = 0;
    const http1: Server = createServer((req, res) => {
      req.resume();
      if (req.url === '/orders') {
        orders++;
        if (orders % 2 === 0) res.writeHead(503).end('{}');
        else if (orders % 3 === 0) res.writeHead(502, { 'l5d-proxy-error': 'no endpoint' }).end();
        else res.writeHead(201).end('{"served_by":"web-0"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"served_by":"web-1"}');
    });
    const h2: Http2Server = createH2Server();
    h2.on('stream', (stream) => {
      stream.on('data', () => undefined);
      stream.once('end', () => {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(Buffer.from([0, 0, 0, 0, 0]));
      });
    });
    // The soak sends all mixes to one listener (the proxy detects the protocol); here, two.
    await new Promise<void>((r) => http1.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => http1.close(() => r())));
    cleanups.push(() => new Promise((r) => h2.close(() => r())));
    const port = (s: Server | Http2Server): number => (s.address() as { port: number }).port;
    const served = new Map<string, number>();
    const common = { timeoutMs: 5000, h2SessionMs: 300, maxInFlight: 50, httpAuthority: 'web.shop' };
    const web = new SoakTraffic({
      ...common,
      via: { host: '127.0.0.1', port: port(http1) },
      grpcAuthority: undefined,
      rates: { 'http1-keepalive': 40, 'http1-new': 20, grpc: 0 },
      onServed: (name) => served.set(name, (served.get(name) ?? 0) + 1),
    });
    const grpc = new SoakTraffic({
      ...common,
      via: { host: '127.0.0.1', port: port(h2) },
      grpcAuthority: 'grpc.shop:80',
      rates: { 'http1-keepalive': 0, 'http1-new': 0, grpc: 40 },
    });
    web.start();
    grpc.start();
    await new Promise((r) => setTimeout(r, 1000));
    await web.stop();
    await grpc.stop();
    const w = web.result();
    const g = grpc.result();
    assert.deepEqual(
      w.mixes.map((m) => m.mix),
      ['http1-keepalive', 'http1-new'],
    );
    assert.ok(w.totalRequests > 0);
    for (const m of w.mixes) assert.equal(m.ok + m.intendedFailures + m.errors, m.sent, m.mix);
    assert.ok(
      w.mixes.some((m) => m.intendedFailures > 0),
      'a 503 from the app on /orders is intended',
    );
    for (const kind of Object.keys(w.errorsByKind)) assert.match(kind, /\/orders 502 \(no endpoint\)/);
    assert.ok((served.get('web-1') ?? 0) > 0);
    assert.equal(g.totalErrors, 0, JSON.stringify(g.firstErrors));
    assert.ok(g.totalRequests > 0 && g.mixes[0]?.ok === g.totalRequests);
    assert.ok(g.h2Sessions >= 1);
  });

  test('churns the web and grpc EndpointSlices of a resources folder', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-soak-smoke-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await cp(EXAMPLES, dir, { recursive: true });
    const churn = new SoakChurn({
      resourcesDir: dir,
      grpcIps: ['127.0.12.1', '127.0.12.2'],
      grpcPort: 9000,
      grpcClusterIp: '10.96.0.20',
      grpcServicePort: 80,
    });
    await churn.install();
    const endpoints = async (file: string, service: string): Promise<number> => {
      const docs = parseAllDocuments(await readFile(path.join(dir, file), 'utf8')).map(
        (d) => d.toJS() as { kind?: string; metadata?: { labels?: Record<string, string> }; endpoints?: unknown[] },
      );
      const slice = docs.find(
        (d) => d.kind === 'EndpointSlice' && d.metadata?.labels?.['kubernetes.io/service-name'] === service,
      );
      return slice?.endpoints?.length ?? -1;
    };
    assert.equal(await endpoints('soak-grpc.yaml', 'grpc'), 2);
    const steps = [await churn.step(), await churn.step(), await churn.step()];
    assert.deepEqual(
      steps.map((s) => s.webOut),
      ['web-0', undefined, 'web-1'],
    );
    assert.equal(await endpoints('shop.yaml', 'web'), 1);
    assert.equal(await endpoints('soak-grpc.yaml', 'grpc'), 1);
    assert.deepEqual(
      steps.map((s) => [s.removed, s.added]),
      [
        [2, 0],
        [0, 2],
        [2, 0],
      ],
    );
  });

  test('samples the RSS of a process', async () => {
    const sampler = new MemorySampler({ processes: [{ name: 'self', pid: process.pid }], intervalMs: 100 });
    sampler.start();
    await new Promise((r) => setTimeout(r, 350));
    await sampler.stop();
    const series = sampler.series('self');
    assert.ok(series.length >= 2);
    assert.ok(series.every((s) => s.rssMb > 0 && Number.isNaN(s.heapMb)));
  });
});
