// `nodemesh stat` against fake proxies: node:http servers on 127.0.0.1 whose /metrics counters grow
// with time, a state.json pointing at them, and runStat run in process with a short window.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { UsageError } from '../../src/errors/index.ts';
import { runStat } from '../../src/cli/stat/stat-command.ts';
import { runCommand } from '../../src/testing/index.ts';

/** Requests per second the fake proxy's inbound counters grow by. */
const INBOUND_RPS = 200;
const OUTBOUND_RPS = 50;

/** Metrics text as of `seconds` after the fake started: 90% success, 75% of inbound over mTLS. */
function metricsText(seconds: number): string {
  const inbound = INBOUND_RPS * seconds;
  const outbound = OUTBOUND_RPS * seconds;
  const lines = [
    '# HELP request_total Total count of HTTP requests.',
    '# TYPE request_total counter',
    `request_total{direction="inbound",authority="web.shop:80",tls="true",client_id="client.shop"} ${inbound * 0.75}`,
    `request_total{direction="inbound",authority="web.shop:80",tls="no_identity"} ${inbound * 0.25}`,
    `request_total{direction="outbound",authority="api.shop:80",tls="true"} ${outbound}`,
    '# TYPE response_total counter',
    `response_total{direction="inbound",tls="true",status_code="200",classification="success",grpc_status=""} ${inbound * 0.9}`,
    `response_total{direction="inbound",tls="true",status_code="500",classification="failure",grpc_status=""} ${inbound * 0.1}`,
    `response_total{direction="outbound",tls="true",status_code="200",classification="success",grpc_status=""} ${outbound}`,
    '# TYPE response_latency_ms histogram',
    ...[1, 2, 3, 4, 5, 10, 20, 30].map(
      (le) => `response_latency_ms_bucket{direction="inbound",status_code="200",le="${le}"} ${le >= 10 ? inbound : 0}`,
    ),
    `response_latency_ms_bucket{direction="inbound",status_code="200",le="+Inf"} ${inbound}`,
    `response_latency_ms_sum{direction="inbound",status_code="200"} ${inbound * 7}`,
    `response_latency_ms_count{direction="inbound",status_code="200"} ${inbound}`,
    '# TYPE tcp_open_connections gauge',
    `tcp_open_connections{direction="inbound",peer="src",tls="true"} 4`,
    `tcp_open_connections{direction="outbound",peer="dst",tls="true"} 2`,
  ];
  return `${lines.join('\n')}\n`;
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('nodemesh stat', () => {
  let dir: string;
  let emptyDir: string;
  const servers: http.Server[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-stat-'));
    emptyDir = await mkdtemp(path.join(tmpdir(), 'nodemesh-stat-empty-'));
    const started = performance.now();
    const fake = http.createServer((req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(metricsText((performance.now() - started) / 1000));
    });
    servers.push(fake);
    const port = await listen(fake);
    // A port that was just freed: nothing listens there.
    const gone = http.createServer();
    const gonePort = await listen(gone);
    await new Promise((resolve) => gone.close(resolve));

    const component = (name: string, p: number): unknown => ({
      name,
      pid: 1,
      log: path.join(dir, `${name}.log`),
      addresses: { admin: `http://127.0.0.1:${p}`, identity: `${name}.shop.serviceaccount.identity` },
    });
    const state = {
      version: 'test',
      pid: process.pid,
      startedAt: new Date().toISOString(),
      stateDir: dir,
      components: [
        { name: 'identity', pid: 1, log: '', addresses: { admin: 'http://127.0.0.1:1' } },
        component('web-proxy', port),
        component('api-proxy', gonePort),
      ],
      planned: [],
    };
    await writeFile(path.join(dir, 'state.json'), JSON.stringify(state));
  });

  after(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
    await rm(dir, { recursive: true, force: true });
    await rm(emptyDir, { recursive: true, force: true });
  });

  async function stat(argv: string[], cwd = dir): Promise<{ code: number; stdout: string; stderr: string }> {
    return runCommand(runStat, argv, { cwd });
  }

  interface JsonDirection {
    successRate: number | null;
    requestsPerSecond: number;
    latencyMsP50: number | null;
    latencyMsP99: number | null;
    tcpOpenConnections: number;
    tlsShare: number | null;
  }
  interface JsonWorkload {
    workload: string;
    status: string;
    error?: string;
    inbound?: JsonDirection;
    outbound?: JsonDirection;
  }

  test('-o json reports success rate, rps, latency, connections and mTLS share; a down proxy is unreachable', async () => {
    const { code, stdout, stderr } = await stat(['--state-dir', '.', '--window', '200ms', '-o', 'json']);
    assert.equal(code, 1, stderr); // one proxy is unreachable
    const parsed = JSON.parse(stdout) as { window: string; workloads: JsonWorkload[] };
    assert.equal(parsed.window, '200ms');
    assert.deepEqual(
      parsed.workloads.map((w) => w.workload),
      ['web', 'api'],
    );
    const [web, api] = parsed.workloads;
    assert.equal(web?.status, 'ok');
    const inbound = web?.inbound;
    const outbound = web?.outbound;
    assert.ok(inbound !== undefined && outbound !== undefined);
    assert.ok(Math.abs((inbound.successRate ?? 0) - 0.9) < 1e-6, `success ${inbound.successRate}`);
    assert.ok(Math.abs((inbound.tlsShare ?? 0) - 0.75) < 1e-6, `mTLS ${inbound.tlsShare}`);
    // The window is measured between the scrapes' answers; allow for scheduling jitter.
    assert.ok(
      Math.abs(inbound.requestsPerSecond - INBOUND_RPS) < INBOUND_RPS * 0.25,
      `rps ${inbound.requestsPerSecond}`,
    );
    assert.ok(Math.abs(outbound.requestsPerSecond - OUTBOUND_RPS) < OUTBOUND_RPS * 0.25);
    assert.equal(outbound.successRate, 1);
    assert.equal(outbound.tlsShare, 1);
    // Every observation lies in (5, 10]: the median interpolates to 7.5ms.
    assert.ok(Math.abs((inbound.latencyMsP50 ?? 0) - 7.5) < 1e-6, `p50 ${inbound.latencyMsP50}`);
    assert.ok(Math.abs((inbound.latencyMsP99 ?? 0) - 9.95) < 1e-6, `p99 ${inbound.latencyMsP99}`);
    assert.equal(outbound.latencyMsP50, null);
    assert.equal(inbound.tcpOpenConnections, 4);
    assert.equal(outbound.tcpOpenConnections, 2);
    assert.equal(api?.status, 'unreachable');
    assert.match(api?.error ?? '', /ECONNREFUSED/);
  });

  test('the table shows each workload and direction, and the unreachable proxy', async () => {
    const table = await stat(['--state-dir', dir, '--window', '200ms']);
    assert.equal(table.code, 1);
    const lines = table.stdout.split('\n');
    assert.match(lines[0] ?? '', /^WORKLOAD\s+DIRECTION\s+SUCCESS\s+RPS\s+P50\s+P95\s+P99\s+TCP\s+MTLS$/);
    assert.match(lines[1] ?? '', /^web\s+inbound\s+90\.00%\s+\d+\.\d\s+7\.5ms\s+\S+\s+\S+\s+4\s+75\.00%$/);
    assert.match(lines[2] ?? '', /^web\s+outbound\s+100\.00%\s+\d+\.\d\s+-\s+-\s+-\s+2\s+100\.00%$/);
    assert.match(lines[3] ?? '', /^api\s+unreachable/);
    assert.match(table.stdout, /api: proxy admin http:\/\/127\.0\.0\.1:\d+ unreachable \(ECONNREFUSED\)/);
  });

  test('without a running mesh it says so and how to start one', async () => {
    const { code, stdout, stderr } = await stat([], emptyDir);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(stderr, /no local mesh is running \(no \.nodemesh\/state\.json\); start one with npm start/);
  });

  test('a bad window or output format is a usage error', async () => {
    await assert.rejects(stat(['--window', 'soon']), UsageError);
    await assert.rejects(stat(['--window', '0s']), UsageError);
    await assert.rejects(stat(['-o', 'yaml']), UsageError);
  });
});
