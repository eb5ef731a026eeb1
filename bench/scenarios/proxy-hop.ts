// Scenarios "proxy-http1", "proxy-h2", "proxy-grpc": the cost of one plaintext nodemesh proxy hop,
// measured side by side with a direct connection and with haproxy as a one-hop reference, as the
// proxy data path issue asks (goal: ≥ 0.8× haproxy's throughput, ≤ 1.5× its CPU per request).
//
// Processes, all on loopback with free ports, all started and stopped here:
//   upstream   haproxy `http-request return` (h1 and h2c; a few µs per request in C), or for gRPC
//              bench/lib/grpc-upstream.ts (Node h2c, one framed message + grpc-status trailers)
//   haproxy    the reference hop: mode http, http-reuse always, nbthread 1
//   nodemesh   `nodemesh proxy`, identity disabled; clients send to its outbound listener with the
//              upstream as authority (the proxy routes direct connections by authority)
//   client     wrk -t1 (HTTP/1.1 keep-alive) or h2load -t1 (h2c; gRPC with a pre-framed body)
// CPU layout (2+ CPUs, taskset): the proxy under test (haproxy or nodemesh) on CPU 0; the upstream,
// the load generator and this harness on CPU 1 — the same layout for every configuration, so the
// ratios are fair. "direct" sends to the upstream with nothing on CPU 0.
//
// Configurations are interleaved (direct, haproxy, nodemesh, direct, …) to cancel drift on a
// shared machine. CPU seconds per request come from each process's /proc/<pid>/stat.

import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/net/index.ts';
import { Children, canPin, pinSelf, waitHttpReady, waitPort, type Child } from '../lib/children.ts';
import { proxyConfig, RESPONSE_BODY, startHaproxy, upstreamConfig } from '../lib/haproxy.ts';
import { requireTools, runH2load, runWrk, type LoadResult, type ToolName } from '../lib/load-tools.ts';
import { nodemeshUnderTest, type NodemeshUnderTest } from '../lib/nodemesh-version.ts';
import { grpcFrame, preflight } from '../lib/preflight.ts';
import { nodemeshBinOption } from '../lib/scenario.ts';
import { chartProxyNodeOptions, formatEnv, imageEnv } from '../lib/proxy-node-options.ts';
import { cpuSeconds, memoryMb } from '../lib/proc.ts';
import { fmtRange as fmt, range, round, type Range } from '../lib/stats.ts';

const BIN = fileURLToPath(new URL('../../bin/nodemesh.ts', import.meta.url));
const GRPC_UPSTREAM = fileURLToPath(new URL('../lib/grpc-upstream.ts', import.meta.url));

export type HopProtocol = 'http1' | 'h2' | 'grpc';
export type HopConfig = 'direct' | 'haproxy' | 'nodemesh';
const CONFIGS: readonly HopConfig[] = ['direct', 'haproxy', 'nodemesh'];

export interface ProxyHopOptions {
  readonly protocol: HopProtocol;
  /** Measured time of each repetition of each configuration. */
  readonly durationMs: number;
  /** Unmeasured load on each configuration before the first repetition (JIT, pools). */
  readonly warmupMs: number;
  readonly repetitions: number;
  /** Client connections (wrk -c, h2load -c). */
  readonly connections: number;
  /** HTTP/2 streams in flight per connection (h2load -m). */
  readonly streams: number;
  /** Pin the proxy to CPU 0 and everything else to CPU 1. */
  readonly pin: boolean;
  /**
   * NODE_OPTIONS for the nodemesh proxy process; default the chart's `proxy.nodeOptions`, so the hop
   * runs with the heap settings a pod runs with ('' for Node's defaults; profiling, A/B).
   */
  readonly proxyNodeOptions?: string;
  /** The nodemesh entry point (default the sources here; NODEMESH_BENCH_NODEMESH_BIN). */
  readonly nodemeshBin?: string;
}

export interface HopRun {
  readonly config: HopConfig;
  readonly repetition: number;
  readonly load: LoadResult;
  /** CPU µs per request of the proxy process (haproxy or nodemesh); undefined for direct. */
  readonly proxyCpuUsPerRequest: number | undefined;
  /** Share of one core the proxy used while measured. */
  readonly proxyCoreUse: number | undefined;
  readonly upstreamCpuUsPerRequest: number;
}

export interface HopSummary {
  readonly config: HopConfig;
  readonly requestsPerSecond: Range;
  readonly proxyCpuUsPerRequest: Range | undefined;
  readonly proxyCoreUse: Range | undefined;
  readonly upstreamCpuUsPerRequest: Range;
  readonly p50Ms: Range;
  readonly p99Ms: Range;
  readonly peakRssMb: number | undefined;
  readonly errors: number;
}

export type { Range };

export interface ProxyHopResult {
  readonly scenario: `proxy-${HopProtocol}`;
  readonly protocol: HopProtocol;
  readonly tool: string;
  readonly nodemesh: NodemeshUnderTest;
  readonly connections: number;
  readonly streams: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly repetitions: number;
  readonly pinned: boolean;
  readonly layout: string;
  readonly upstream: string;
  /** The nodemesh proxy's NODE_OPTIONS ('' for none). */
  readonly proxyNodeOptions: string;
  /** The environment the image sets (imageEnv), which the nodemesh proxy ran with. */
  readonly proxyImageEnv: Readonly<Record<string, string>>;
  readonly runs: readonly HopRun[];
  readonly summary: readonly HopSummary[];
  /** Per repetition ratios, summarised (nodemesh over the other configuration in the same round). */
  readonly ratios: {
    readonly throughputVsHaproxy: Range;
    readonly throughputVsDirect: Range;
    readonly cpuPerRequestVsHaproxy: Range;
  };
  readonly goals: { readonly throughputVsHaproxy: number; readonly cpuPerRequestVsHaproxy: number };
}

/** Which external tools a protocol needs. */
export function hopTools(protocol: HopProtocol): ToolName[] {
  return protocol === 'http1' ? ['wrk', 'haproxy'] : ['h2load', 'haproxy'];
}

export async function runProxyHopBench(opts: ProxyHopOptions): Promise<ProxyHopResult> {
  const tools = requireTools(hopTools(opts.protocol));
  const pin = opts.pin && canPin();
  const proxyCpu = pin ? 0 : undefined;
  const restCpu = pin ? 1 : undefined;
  const nodeOptions = opts.proxyNodeOptions ?? chartProxyNodeOptions();
  const proxyImageEnv = imageEnv();
  const children = new Children();
  const dir = await mkdtemp(path.join(tmpdir(), `nodemesh-bench-proxy-${opts.protocol}-`));
  try {
    if (restCpu !== undefined) pinSelf(restCpu);
    const [upH1, upH2, haPort, outPort, inPort, adminPort, controlPort] = (await Promise.all(
      Array.from({ length: 7 }, () => freePort()),
    )) as [number, number, number, number, number, number, number];
    const h2 = opts.protocol !== 'http1';
    const upstreamPort = h2 ? upH2 : upH1;

    // Upstream.
    let upstream: Child;
    if (opts.protocol === 'grpc') {
      upstream = children.start('grpc upstream', process.execPath, [GRPC_UPSTREAM, String(upH2)], {
        ...(restCpu === undefined ? {} : { cpu: restCpu }),
      });
    } else {
      const cfg = path.join(dir, 'upstream.cfg');
      await writeFile(cfg, upstreamConfig(upH1, upH2));
      upstream = startHaproxy(children, 'haproxy upstream', tools.haproxy, cfg, restCpu);
    }
    // The reference hop.
    const haCfg = path.join(dir, 'proxy.cfg');
    await writeFile(haCfg, proxyConfig(haPort, upstreamPort, h2 ? 'h2' : 'http1'));
    const haproxy = startHaproxy(children, 'haproxy proxy', tools.haproxy, haCfg, proxyCpu);
    // nodemesh.
    const nodemesh = children.start('nodemesh proxy', process.execPath, [opts.nodemeshBin ?? BIN, 'proxy'], {
      env: {
        NODEMESH_PROXY_IDENTITY_DISABLED: 'true',
        NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: `127.0.0.1:${outPort}`,
        NODEMESH_PROXY_INBOUND_LISTEN_ADDR: `127.0.0.1:${inPort}`,
        NODEMESH_PROXY_ADMIN_LISTEN_ADDR: `127.0.0.1:${adminPort}`,
        NODEMESH_PROXY_CONTROL_LISTEN_ADDR: `127.0.0.1:${controlPort}`,
        NODEMESH_PROXY_SHUTDOWN_GRACE_PERIOD: '1s',
        NODEMESH_LOG_LEVEL: 'warn',
        ...proxyImageEnv,
        ...(nodeOptions === '' ? {} : { NODE_OPTIONS: nodeOptions }),
      },
      ...(proxyCpu === undefined ? {} : { cpu: proxyCpu }),
    });
    await Promise.all([
      waitPort(upstream, upstreamPort),
      waitPort(haproxy, haPort),
      waitHttpReady(nodemesh, `http://127.0.0.1:${adminPort}/ready`),
    ]);

    const authority = `127.0.0.1:${upstreamPort}`;
    const target: Record<HopConfig, { port: number; proc: Child | undefined }> = {
      direct: { port: upstreamPort, proc: undefined },
      haproxy: { port: haPort, proc: haproxy },
      nodemesh: { port: outPort, proc: nodemesh },
    };
    // One checked request through each path before loading it: status, body, grpc-status.
    for (const config of CONFIGS) await preflight(opts.protocol, { port: target[config].port, authority });

    const dataFile = path.join(dir, 'grpc-request.bin');
    if (opts.protocol === 'grpc') await writeFile(dataFile, grpcFrame(RESPONSE_BODY));
    const load = async (config: HopConfig, durationMs: number, logFile?: string): Promise<LoadResult> => {
      const url = `http://127.0.0.1:${target[config].port}/${opts.protocol === 'grpc' ? 'bench.Echo/Unary' : ''}`;
      if (opts.protocol === 'http1')
        return runWrk(tools.wrk, {
          url,
          host: authority,
          connections: opts.connections,
          durationMs,
          ...(restCpu === undefined ? {} : { cpu: restCpu }),
        });
      return runH2load(tools.h2load, {
        url,
        authority,
        connections: opts.connections,
        streams: opts.streams,
        durationMs,
        ...(opts.protocol === 'grpc' ? { headers: ['content-type: application/grpc', 'te: trailers'], dataFile } : {}),
        ...(logFile === undefined ? {} : { logFile }),
        ...(restCpu === undefined ? {} : { cpu: restCpu }),
      });
    };

    if (opts.warmupMs > 0) for (const config of CONFIGS) await load(config, opts.warmupMs);

    const runs: HopRun[] = [];
    for (let rep = 1; rep <= opts.repetitions; rep++) {
      for (const config of CONFIGS) {
        const proc = target[config].proc;
        const p0 = proc === undefined ? Number.NaN : cpuSeconds(proc.pid);
        const u0 = cpuSeconds(upstream.pid);
        const t0 = performance.now();
        const result = await load(config, opts.durationMs, path.join(dir, `${config}-${rep}.log`));
        const elapsedS = (performance.now() - t0) / 1000;
        const p1 = proc === undefined ? Number.NaN : cpuSeconds(proc.pid);
        const u1 = cpuSeconds(upstream.pid);
        const n = Math.max(1, result.requests);
        runs.push({
          config,
          repetition: rep,
          load: result,
          proxyCpuUsPerRequest: proc === undefined ? undefined : round(((p1 - p0) * 1e6) / n, 2),
          proxyCoreUse: proc === undefined ? undefined : round((p1 - p0) / elapsedS, 2),
          upstreamCpuUsPerRequest: round(((u1 - u0) * 1e6) / n, 2),
        });
        await rm(path.join(dir, `${config}-${rep}.log`), { force: true });
      }
    }

    const summary = CONFIGS.map((config): HopSummary => {
      const mine = runs.filter((r) => r.config === config);
      const proc = target[config].proc;
      const cpu = mine.map((r) => r.proxyCpuUsPerRequest).filter((v): v is number => v !== undefined);
      const use = mine.map((r) => r.proxyCoreUse).filter((v): v is number => v !== undefined);
      return {
        config,
        requestsPerSecond: range(mine.map((r) => r.load.requestsPerSecond)),
        proxyCpuUsPerRequest: cpu.length === 0 ? undefined : range(cpu),
        proxyCoreUse: use.length === 0 ? undefined : range(use),
        upstreamCpuUsPerRequest: range(mine.map((r) => r.upstreamCpuUsPerRequest)),
        p50Ms: range(mine.map((r) => r.load.latencyMs.p50)),
        p99Ms: range(mine.map((r) => r.load.latencyMs.p99)),
        peakRssMb: proc === undefined ? undefined : round(memoryMb(proc.pid).peakRssMb, 1),
        errors: mine.reduce((a, r) => a + r.load.errors, 0),
      };
    });
    const per = (rep: number, config: HopConfig): HopRun | undefined =>
      runs.find((r) => r.repetition === rep && r.config === config);
    const ratio = (f: (rep: number) => number): Range =>
      range(Array.from({ length: opts.repetitions }, (_, i) => f(i + 1)).filter((v) => Number.isFinite(v)));
    const rps = (rep: number, c: HopConfig): number => per(rep, c)?.load.requestsPerSecond ?? Number.NaN;
    const cpu = (rep: number, c: HopConfig): number => per(rep, c)?.proxyCpuUsPerRequest ?? Number.NaN;
    return {
      scenario: `proxy-${opts.protocol}`,
      protocol: opts.protocol,
      tool: opts.protocol === 'http1' ? 'wrk' : 'h2load',
      nodemesh: nodemeshUnderTest(opts.nodemeshBin ?? BIN),
      connections: opts.connections,
      streams: opts.protocol === 'http1' ? 1 : opts.streams,
      durationS: opts.durationMs / 1000,
      warmupS: opts.warmupMs / 1000,
      repetitions: opts.repetitions,
      pinned: pin,
      layout: pin
        ? 'proxy under test (haproxy or nodemesh) on CPU 0; upstream, load generator and harness on CPU 1 (taskset)'
        : 'not pinned',
      upstream:
        opts.protocol === 'grpc'
          ? 'Node h2c (bench/lib/grpc-upstream.ts): one framed message + grpc-status trailers'
          : `haproxy http-request return, ${RESPONSE_BODY.length}-byte body`,
      proxyNodeOptions: nodeOptions,
      proxyImageEnv,
      runs,
      summary,
      ratios: {
        throughputVsHaproxy: ratio((r) => round(rps(r, 'nodemesh') / rps(r, 'haproxy'))),
        throughputVsDirect: ratio((r) => round(rps(r, 'nodemesh') / rps(r, 'direct'))),
        cpuPerRequestVsHaproxy: ratio((r) => round(cpu(r, 'nodemesh') / cpu(r, 'haproxy'))),
      },
      goals: { throughputVsHaproxy: 0.8, cpuPerRequestVsHaproxy: 1.5 },
    };
  } finally {
    await children.stopAll();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The Markdown of a result: the per-configuration table and the ratios against the goals. */
export function proxyHopMarkdown(r: ProxyHopResult): string {
  const client = r.protocol === 'http1' ? `wrk -t1 -c${r.connections}` : `h2load -t1 -c${r.connections} -m${r.streams}`;
  const lines = [
    `${client}; ${r.repetitions} interleaved repetitions × ${r.durationS} s after ${r.warmupS} s warm-up per configuration; median (min–max).`,
    `Layout: ${r.layout}. Upstream: ${r.upstream}.`,
    `nodemesh under test: commit ${r.nodemesh.commit.slice(0, 12)}${r.nodemesh.dirty === true ? ', with uncommitted changes' : ''} (${r.nodemesh.bin}); NODE_OPTIONS: ${r.proxyNodeOptions === '' ? 'none' : `\`${r.proxyNodeOptions}\``}; the image's environment: \`${formatEnv(r.proxyImageEnv ?? {})}\`.`,
    '',
    '| path | requests/s | proxy CPU µs/req | proxy core use | upstream CPU µs/req | p50 ms | p99 ms | proxy peak RSS MB | errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.summary.map(
      (s) =>
        `| ${s.config} | ${fmt(s.requestsPerSecond, 0)} | ${fmt(s.proxyCpuUsPerRequest)} | ${fmt(s.proxyCoreUse, 2)} | ${fmt(s.upstreamCpuUsPerRequest)} | ${fmt(s.p50Ms, 2)} | ${fmt(s.p99Ms, 2)} | ${s.peakRssMb ?? '–'} | ${s.errors} |`,
    ),
    '',
    '| ratio (nodemesh ÷ other, same round) | median (min–max) | goal |',
    '| --- | --- | --- |',
    `| throughput ÷ haproxy | ${fmt(r.ratios.throughputVsHaproxy, 2)} | ≥ ${r.goals.throughputVsHaproxy} |`,
    `| throughput ÷ direct | ${fmt(r.ratios.throughputVsDirect, 2)} | – |`,
    `| CPU per request ÷ haproxy | ${fmt(r.ratios.cpuPerRequestVsHaproxy, 2)} | ≤ ${r.goals.cpuPerRequestVsHaproxy} |`,
  ];
  return lines.join('\n');
}

const DESCRIBE: Record<HopProtocol, string> = {
  http1: 'One plaintext proxy hop, HTTP/1.1 keep-alive, wrk: direct vs haproxy vs nodemesh, interleaved',
  h2: 'One plaintext proxy hop, HTTP/2 (h2c), h2load: direct vs haproxy vs nodemesh, interleaved',
  grpc: 'One plaintext proxy hop, gRPC unary over h2c, h2load: direct vs haproxy vs nodemesh, interleaved',
};

/**
 * The `npm run bench` entry of a protocol: `--duration` is each repetition's length (3
 * repetitions per configuration after 3 s of warm-up), `--concurrency` the client's connections
 * (default 50 for wrk, 10 × 10 streams for h2load). The nodemesh proxy runs with the chart's
 * `proxy.nodeOptions`; NODEMESH_BENCH_SERVER_NODE_OPTIONS replaces them (profiling; '' for none).
 */
export function proxyHopScenario(protocol: HopProtocol): {
  readonly describe: string;
  readonly run: (o: {
    durationMs: number;
    concurrency: number | undefined;
  }) => Promise<{ json: object; markdown: string }>;
} {
  return {
    describe: DESCRIBE[protocol],
    run: async ({ durationMs, concurrency }) => {
      const nodeOptions = process.env.NODEMESH_BENCH_SERVER_NODE_OPTIONS;
      const result = await runProxyHopBench({
        protocol,
        durationMs,
        warmupMs: 3000,
        repetitions: 3,
        connections: concurrency ?? (protocol === 'http1' ? 50 : 10),
        streams: 10,
        pin: true,
        ...(nodeOptions === undefined ? {} : { proxyNodeOptions: nodeOptions }),
        ...nodemeshBinOption(),
      });
      return { json: result, markdown: proxyHopMarkdown(result) };
    },
  };
}
