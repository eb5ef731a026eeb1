// Scenario "soak": the bounded soak of issue 12 — the local mesh (`nodemesh demo`) under mixed
// traffic for 10 minutes (NODEMESH_BENCH_SOAK_MINUTES) while the proxies renew their certificates
// every 15 s, the issuer is rotated once half-way, and endpoints come and go every 20 s; RSS of
// every process sampled every 10 s, reported at the warm-up's end (2 min), at the end, and as the
// least-squares slope after the warm-up; every error counted by kind.
//
// What runs: the demo as it ships (identity, destination on a YAML folder, web-0 and web-1 with
// proxies, front-0's proxy and its traffic app) started with `--proxy-env
// NODEMESH_PROXY_IDENTITY_MAX_REFRESH=15s`; two h2c gRPC upstreams of this harness
// (bench/lib/grpc-upstream.ts on 127.0.12.1 and 127.0.12.2), added to the resources folder as an
// unmeshed Service `grpc`; this harness's traffic (bench/lib/soak-traffic.ts) into front-0's
// outbound listener; churn (bench/lib/soak-churn.ts) on both Services' EndpointSlices. Nothing is
// pinned: memory, not speed, is measured. The demo uses fixed loopback addresses, so no other
// local mesh may run at the same time (checked at start).

import { mkdtemp, rm } from 'node:fs/promises';
import { connect, constants, type IncomingHttpHeaders } from 'node:http2';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/net/index.ts';
import { Children, waitPort } from '../lib/children.ts';
import { nodemeshUnderTest, type NodemeshUnderTest } from '../lib/nodemesh-version.ts';
import { cpuSeconds } from '../lib/proc.ts';
import type { BenchScenario } from '../lib/scenario.ts';
import { SoakChurn } from '../lib/soak-churn.ts';
import { listening, NODEMESH_BIN, runNodemesh, scrapeSum, startDemo, type RunningDemo } from '../lib/soak-demo.ts';
import { MemorySampler, type MemoryPoint, type MemoryTrend, type WatchedProcess } from '../lib/soak-memory.ts';
import { SoakTraffic, type SoakMix, type SoakTrafficResult } from '../lib/soak-traffic.ts';
import { round } from '../lib/stats.ts';
import { soakMarkdown } from './soak-report.ts';

export const ENV_SOAK_MINUTES = 'NODEMESH_BENCH_SOAK_MINUTES';
const GRPC_UPSTREAM = fileURLToPath(new URL('../lib/grpc-upstream.ts', import.meta.url));
const GRPC_IPS = ['127.0.12.1', '127.0.12.2'] as const;
const FRONT = 'front-0-proxy';
const PROXIES = ['web-0-proxy', 'web-1-proxy', FRONT] as const;
const REFRESH = 'identity_cert_refresh_count';
const REFRESH_FAILURES = 'identity_cert_refresh_failures_total';

/** Soak length in minutes from NODEMESH_BENCH_SOAK_MINUTES (default 10); throws on a bad value. */
export function soakMinutes(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env[ENV_SOAK_MINUTES];
  if (raw === undefined || raw === '') return 10;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > 24 * 60) {
    throw new Error(
      `${ENV_SOAK_MINUTES}=${JSON.stringify(raw)} is not a number of minutes; allowed: > 0 and ≤ 1440, e.g. 10 or 0.5`,
    );
  }
  return n;
}

export interface SoakOptions {
  readonly durationMs: number;
  /** Samples before this are the warm-up (default: 2 min, or a fifth of a shorter run). */
  readonly warmupMs: number;
  readonly sampleIntervalMs: number;
  readonly churnIntervalMs: number;
  /** When to rotate the issuer (default half-way). */
  readonly rotateAtMs: number;
  /** NODEMESH_PROXY_IDENTITY_MAX_REFRESH of every proxy. */
  readonly maxRefresh: string;
  readonly rates: Readonly<Record<SoakMix, number>>;
}

export function soakOptions(minutes: number): SoakOptions {
  const durationMs = Math.round(minutes * 60_000);
  return {
    durationMs,
    warmupMs: Math.min(120_000, Math.round(durationMs / 5)),
    sampleIntervalMs: Math.min(10_000, Math.max(1000, Math.round(durationMs / 12))),
    churnIntervalMs: Math.min(20_000, Math.max(2000, Math.round(durationMs / 6))),
    rotateAtMs: Math.round(durationMs / 2),
    maxRefresh: '15s',
    rates: { 'http1-keepalive': 40, 'http1-new': 10, grpc: 40 },
  };
}

export interface SoakProcessResult extends MemoryTrend {
  readonly cpuSeconds: number;
  readonly series: readonly MemoryPoint[];
}

export interface SoakResult {
  readonly scenario: 'soak';
  readonly nodemesh: NodemeshUnderTest;
  readonly durationS: number;
  readonly warmupS: number;
  readonly sampleIntervalS: number;
  readonly options: SoakOptions;
  readonly processes: readonly SoakProcessResult[];
  readonly traffic: SoakTrafficResult;
  /** The demo's own traffic app's requests are not counted here (it logs its own counts). */
  readonly renewals: Readonly<Record<string, { readonly refreshes: number; readonly failures: number }>>;
  readonly identity: { readonly issued: number; readonly refused: number; readonly issuerReloads: number };
  readonly rotation: {
    readonly atS: number | undefined;
    readonly loadedAfterS: number | undefined;
    readonly renewalsAfter: number;
    readonly error: string | undefined;
  };
  readonly churn: {
    readonly intervalS: number;
    readonly steps: number;
    readonly endpointsAdded: number;
    readonly endpointsRemoved: number;
    /** HTTP answers from a web replica more than 3 s after it left the EndpointSlice. */
    readonly servedByRemovedAfter3s: number;
    readonly servedBy: Readonly<Record<string, number>>;
  };
  /** Set when the local mesh stopped by itself (a component exited) or the run was interrupted. */
  readonly stoppedEarly: string | undefined;
}

export async function runSoakBench(o: SoakOptions): Promise<SoakResult> {
  for (const addr of ['127.0.10.1:4191', '127.0.10.2:4191', '127.0.11.1:4191']) {
    const [host = '', port = ''] = addr.split(':');
    if (await listening(host, Number(port))) {
      throw new Error(`soak: ${addr} is taken — another local mesh (nodemesh demo) is running; stop it first`);
    }
  }
  const interrupted = new AbortController();
  const onSignal = (): void => interrupted.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-bench-soak-'));
  const children = new Children();
  let demo: RunningDemo | undefined;
  try {
    const grpcPort = await freePort();
    for (const ip of GRPC_IPS) {
      const c = children.start(`grpc-upstream-${ip}`, process.execPath, [GRPC_UPSTREAM, String(grpcPort), ip]);
      await waitPort(c, grpcPort, ip);
    }
    demo = await startDemo({
      stateDir: path.join(dir, 'mesh'),
      durationMs: o.durationMs + 5 * 60_000,
      proxyEnv: { NODEMESH_PROXY_IDENTITY_MAX_REFRESH: o.maxRefresh },
    });
    return await soak(o, demo, grpcPort, interrupted.signal);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await demo?.stop();
    await children.stopAll();
    await rm(dir, { recursive: true, force: true });
  }
}

async function soak(
  o: SoakOptions,
  demo: RunningDemo,
  grpcPort: number,
  interrupted: AbortSignal,
): Promise<SoakResult> {
  const admin = (name: string): string => demo.component(name).addresses.admin ?? '';
  const [viaHost = '', viaPort = ''] = (demo.component(FRONT).addresses.outbound ?? '').split(':');
  const via = { host: viaHost, port: Number(viaPort) };
  const grpcAuthority = 'grpc.shop.svc.cluster.local:80';
  const churn = new SoakChurn({
    resourcesDir: demo.component('destination').addresses.resources ?? '',
    grpcIps: GRPC_IPS,
    grpcPort,
    grpcClusterIp: '10.96.0.20',
    grpcServicePort: 80,
  });
  await churn.install();
  await waitGrpc(via, grpcAuthority, 20_000);

  const watched: WatchedProcess[] = demo.components
    .filter((c) => !c.name.endsWith('-app'))
    .map((c) => ({
      name: c.name,
      pid: c.pid,
      ...(c.addresses.admin === undefined ? {} : { admin: c.addresses.admin }),
    }));
  const apps = demo.components.filter((c) => c.name.endsWith('-app')).map((c) => ({ name: c.name, pid: c.pid }));
  const all = [...watched, ...apps, { name: 'demo (supervisor)', pid: demo.pid }];
  const cpu0 = new Map(all.map((p) => [p.name, cpuSeconds(p.pid)]));
  const refresh0 = await proxyCounters(admin, REFRESH);
  const failures0 = await proxyCounters(admin, REFRESH_FAILURES);
  const identityAdmin = admin('identity');
  const issued0 = await scrapeSum(identityAdmin, 'identity_certify_requests_total', { outcome: 'issued' });
  const certify0 = await scrapeSum(identityAdmin, 'identity_certify_requests_total');
  const reloads0 = await scrapeSum(identityAdmin, 'identity_issuer_reload_total', { result: 'loaded' });

  const servedBy = new Map<string, number>();
  let webOut: { name: string; since: number } | undefined;
  let servedByRemoved = 0;
  const traffic = new SoakTraffic({
    via,
    httpAuthority: 'web.shop.svc.cluster.local',
    grpcAuthority,
    rates: o.rates,
    timeoutMs: 10_000,
    h2SessionMs: 60_000,
    maxInFlight: 200,
    onServed: (name) => {
      servedBy.set(name, (servedBy.get(name) ?? 0) + 1);
      if (webOut?.name === name && performance.now() - webOut.since > 3000) servedByRemoved++;
    },
  });
  const sampler = new MemorySampler({ processes: all, intervalMs: o.sampleIntervalMs });
  const t0 = performance.now();
  sampler.start();
  traffic.start();

  let steps = 0;
  let added = 0;
  let removed = 0;
  let churning = Promise.resolve();
  const churnTimer = setInterval(() => {
    churning = churning.then(async () => {
      const step = await churn.step();
      steps++;
      added += step.added;
      removed += step.removed;
      webOut = step.webOut === undefined ? undefined : { name: step.webOut, since: performance.now() };
    });
  }, o.churnIntervalMs);

  const rotation: { atS?: number; loadedAfterS?: number; refreshAt?: number; error?: string } = {};
  const rotating = sleep(o.rotateAtMs, interrupted).then(async () => {
    if (interrupted.aborted) return;
    rotation.atS = round((performance.now() - t0) / 1000, 1);
    try {
      await rotateIssuer(demo);
      const start = performance.now();
      while (performance.now() - start < 20_000) {
        if ((await scrapeSum(identityAdmin, 'identity_issuer_reload_total', { result: 'loaded' })) > reloads0) {
          rotation.loadedAfterS = round((performance.now() - start) / 1000, 1);
          break;
        }
        await sleep(250);
      }
      rotation.refreshAt = sum(await proxyCounters(admin, REFRESH));
    } catch (err) {
      rotation.error = err instanceof Error ? err.message : String(err);
    }
  });

  // Run for the duration, stopping early if the mesh stops by itself or the harness is interrupted.
  let stoppedEarly: string | undefined;
  while (performance.now() - t0 < o.durationMs) {
    await sleep(Math.min(1000, o.durationMs - (performance.now() - t0)), interrupted);
    if (interrupted.aborted) {
      stoppedEarly = 'interrupted (SIGINT/SIGTERM)';
      break;
    }
    if (demo.exited() !== undefined) {
      stoppedEarly = `the local mesh stopped (${demo.exited()}):\n${demo.output().slice(-3000)}`;
      break;
    }
  }
  clearInterval(churnTimer);
  await churning;
  await traffic.stop();
  await sampler.stop();
  await rotating;
  const elapsedS = (performance.now() - t0) / 1000;

  const refresh1 = await proxyCounters(admin, REFRESH);
  const failures1 = await proxyCounters(admin, REFRESH_FAILURES);
  const renewals: Record<string, { refreshes: number; failures: number }> = {};
  for (const p of PROXIES) {
    renewals[p] = {
      refreshes: (refresh1[p] ?? 0) - (refresh0[p] ?? 0),
      failures: (failures1[p] ?? 0) - (failures0[p] ?? 0),
    };
  }
  const warmupS = o.warmupMs / 1000;
  const processes = sampler.trends(warmupS).map((t): SoakProcessResult => ({
    ...t,
    cpuSeconds: round(cpuSeconds(t.pid) - (cpu0.get(t.name) ?? Number.NaN), 1),
    series: sampler.series(t.name),
  }));
  const issued1 = await scrapeSum(identityAdmin, 'identity_certify_requests_total', { outcome: 'issued' });
  const certify1 = await scrapeSum(identityAdmin, 'identity_certify_requests_total');
  return {
    scenario: 'soak',
    nodemesh: nodemeshUnderTest(NODEMESH_BIN),
    durationS: round(elapsedS, 1),
    warmupS,
    sampleIntervalS: o.sampleIntervalMs / 1000,
    options: o,
    processes,
    traffic: traffic.result(),
    renewals,
    identity: {
      issued: issued1 - issued0,
      refused: certify1 - certify0 - (issued1 - issued0),
      issuerReloads: (await scrapeSum(identityAdmin, 'identity_issuer_reload_total', { result: 'loaded' })) - reloads0,
    },
    rotation: {
      atS: rotation.atS,
      loadedAfterS: rotation.loadedAfterS,
      renewalsAfter: rotation.refreshAt === undefined ? 0 : sum(refresh1) - rotation.refreshAt,
      error: rotation.error,
    },
    churn: {
      intervalS: o.churnIntervalMs / 1000,
      steps,
      endpointsAdded: added,
      endpointsRemoved: removed,
      servedByRemovedAfter3s: servedByRemoved,
      servedBy: Object.fromEntries(servedBy),
    },
    stoppedEarly,
  };
}

/** `nodemesh identity issuer` into the identity service's issuer folder (it reloads it). */
async function rotateIssuer(demo: RunningDemo): Promise<void> {
  const ca = path.dirname(demo.component('identity').addresses.trustAnchors ?? '');
  await runNodemesh([
    'identity',
    'issuer',
    '--anchor-cert',
    path.join(ca, 'ca-bundle.crt'),
    '--anchor-key',
    path.join(ca, 'anchor.key'),
    '--out',
    path.join(ca, 'issuer'),
    '--lifetime',
    '168h',
    '--force',
  ]);
}

async function proxyCounters(admin: (name: string) => string, metric: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const p of PROXIES) out[p] = await scrapeSum(admin(p), metric);
  return out;
}

function sum(r: Readonly<Record<string, number>>): number {
  return Object.values(r).reduce((a, b) => a + b, 0);
}

/** Resolves once one gRPC call through the proxy to `authority` succeeds (the Service is known). */
async function waitGrpc(via: { host: string; port: number }, authority: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = '';
  while (performance.now() < deadline) {
    last = await new Promise<string>((resolve) => {
      const session = connect(`http://${via.host}:${via.port}`);
      session.on('error', (err: Error) => resolve(err.message));
      const stream = session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: '/soak.Echo/Say',
        [constants.HTTP2_HEADER_AUTHORITY]: authority,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      let status = '';
      stream.on('response', (h) => (status = String(h[constants.HTTP2_HEADER_STATUS])));
      stream.on('trailers', (t: IncomingHttpHeaders) => (status += ` grpc-status ${String(t['grpc-status'])}`));
      stream.on('data', () => undefined);
      stream.on('error', (err: Error) => (status = err.message));
      stream.on('close', () => {
        session.close();
        resolve(status);
      });
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
    });
    if (last === '200 grpc-status 0') return;
    await sleep(500);
  }
  throw new Error(`soak: gRPC through ${via.host}:${via.port} to ${authority} never succeeded (last: ${last})`);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const timer = setTimeout(resolve, Math.max(0, ms));
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** `--duration` and `--concurrency` do not apply: the length is NODEMESH_BENCH_SOAK_MINUTES (default 10). */
export function soakScenario(): BenchScenario {
  return {
    describe:
      'Bounded soak of the local mesh: mixed HTTP/1, new-connection and gRPC traffic with certificate renewal every 15 s, one issuer rotation and endpoint churn; RSS over time per process (NODEMESH_BENCH_SOAK_MINUTES, default 10)',
    run: async () => {
      const result = await runSoakBench(soakOptions(soakMinutes(process.env)));
      return { json: result, markdown: soakMarkdown(result) };
    },
  };
}
