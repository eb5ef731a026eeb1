import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../../log/index.ts';
import { parsePrometheusText } from '../../metrics/index.ts';
import type { MeshComponent } from '../stat/mesh-state.ts';
import type { ScrapeResult } from '../stat/scrape.ts';
import { DashboardCollector, type MeshView } from './dashboard-collector.ts';

const log = createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' });
const FRONT_ID = 'front.shop.serviceaccount.identity.nodemesh.cluster.local';
const WEB_ID = 'web.shop.serviceaccount.identity.nodemesh.cluster.local';

const proxy = (name: string, identity: string, host: string): MeshComponent => ({
  name,
  pid: 1,
  log: '',
  addresses: { admin: `http://${host}:4191`, identity, inbound: `${host}:4143` },
});
const FRONT = proxy('front-proxy', FRONT_ID, '127.0.11.1');
const WEB = proxy('web-proxy', WEB_ID, '127.0.10.1');

/** Metrics of `name` after `n` requests (10 per round), every tenth failing. */
function metrics(name: string, n: number): string {
  const ok = n - n / 10;
  if (name === 'front-proxy') {
    const l = 'direction="outbound",authority="web.shop.svc.cluster.local:80",dst_pod="web",dst_service="web"';
    return [
      `request_total{${l}} ${n}`,
      `response_total{${l},classification="success"} ${ok}`,
      `response_total{${l},classification="failure"} ${n - ok}`,
    ].join('\n');
  }
  const l = `direction="inbound",tls="true",client_id="${FRONT_ID}"`;
  return [
    `request_total{${l}} ${n}`,
    `response_total{${l},classification="success"} ${ok}`,
    `response_total{${l},classification="failure"} ${n - ok}`,
    `response_latency_ms_bucket{${l},le="10"} ${n}`,
    `response_latency_ms_bucket{${l},le="+Inf"} ${n}`,
  ].join('\n');
}

function fixture(opts: { mesh?: () => MeshView; down?: Set<string> } = {}) {
  let round = 0;
  let clock = 1_000_000;
  let perf = 0;
  const collector = new DashboardCollector(
    {
      readMesh: () => Promise.resolve(opts.mesh?.() ?? { proxies: [FRONT, WEB], resources: undefined }),
      scrape: (p): Promise<ScrapeResult> => {
        if (opts.down?.has(p.name) === true) return Promise.resolve({ error: 'ECONNREFUSED' });
        return Promise.resolve({ metrics: parsePrometheusText(`${metrics(p.name, round * 10)}\n`), at: perf });
      },
      readSplit: () => Promise.resolve([]),
      now: () => clock,
      log,
    },
    { intervalMs: 1000, historyMs: 3000 },
  );
  const next = async () => {
    round++;
    perf += 1000;
    clock += 1000;
    return collector.round();
  };
  return { collector, next };
}

describe('DashboardCollector', () => {
  test('the first round shows totals while warming; the next pairs the scrapes into rates and edges', async () => {
    const { collector, next } = fixture();
    assert.equal(collector.current, undefined);
    const first = await next();
    assert.equal(first.seq, 1);
    assert.equal(first.problem, null);
    assert.deepEqual(
      first.workloads.map((w) => [w.workload, w.status, w.totals?.inboundRequests, w.totals?.outboundRequests]),
      [
        ['front', 'warming', 0, 10],
        ['web', 'warming', 10, 0],
      ],
    );
    assert.deepEqual(first.edges, []);
    const second = await next();
    assert.equal(collector.current, second);
    const web = second.workloads.find((w) => w.workload === 'web');
    assert.equal(web?.status, 'ok');
    assert.equal(web?.windowMs, 1000);
    assert.equal(web?.inbound?.requestsPerSecond, 10);
    assert.equal(web?.inbound?.successRate, 0.9);
    assert.equal(web?.inbound?.tlsShare, 1);
    assert.equal(web?.totals?.inboundRequests, 20);
    assert.equal(second.edges.length, 1);
    assert.deepEqual(
      [
        second.edges[0]?.src,
        second.edges[0]?.dst,
        second.edges[0]?.srcId,
        second.edges[0]?.dstId,
        second.edges[0]?.mtlsShare,
      ],
      ['front', 'web', FRONT_ID, WEB_ID, 1],
    );
    assert.deepEqual(second.history.at(-1)?.workloads.web?.rpsIn, 10);
  });

  test('keeps only the configured minutes of history', async () => {
    const { next } = fixture();
    let last;
    for (let i = 0; i < 8; i++) last = await next();
    assert.ok(last !== undefined);
    assert.deepEqual(
      last.history.map((h) => h.t),
      [1005, 1006, 1007, 1008],
    );
  });

  test('an unreachable proxy is listed with its reason; no mesh is a problem, not an error', async () => {
    const down = fixture({ down: new Set(['web-proxy']) });
    await down.next();
    const s = await down.next();
    const web = s.workloads.find((w) => w.workload === 'web');
    assert.equal(web?.status, 'unreachable');
    assert.equal(web?.error, 'ECONNREFUSED');
    assert.equal(s.workloads.find((w) => w.workload === 'front')?.status, 'ok');
    const none = fixture({ mesh: () => ({ problem: 'no local mesh is running' }) });
    const p = await none.next();
    assert.equal(p.problem, 'no local mesh is running');
    assert.deepEqual(p.workloads, []);
  });

  test('start runs rounds in the background until close', async () => {
    const { collector } = fixture();
    collector.start();
    for (let i = 0; i < 100 && collector.current === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    await collector.close();
    assert.equal(collector.current?.seq, 1);
  });
});
