// Scenarios "pair-http1", "pair-h2", "pair-grpc": a sidecar pair with mTLS between the two proxies
// at saturation, side by side with a direct connection and with a haproxy pair (TLS 1.3 and client
// certificates between its two sides, certificates from the same CA) — issue 13 (2) and (3);
// goals: ≥ 0.6× the haproxy pair's throughput, and no TLS handshake per request between the
// proxies in steady state (issue 5).
//
// Processes and CPU layout: bench/lib/pair-topology.ts. Clients: wrk -t1 (HTTP/1.1 keep-alive),
// h2load -t1 (h2c; gRPC with a pre-framed body). Configurations are interleaved (direct,
// haproxy-pair, nodemesh-pair, direct, …) after a warm-up of each; CPU per request is the sum of
// both proxies' /proc accounting; handshakes are the server side's accepted connections during the
// measured runs (the warm-up opens the pools, so steady state should open none).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  measureInterleaved,
  roundRatio,
  summarizeRuns,
  type ConfigSummary,
  type MeasuredRun,
} from '../lib/interleave.ts';
import { requireTools } from '../lib/load-tools.ts';
import { loadPath, pathTools } from '../lib/pair-load.ts';
import { PAIR_CONFIGS, startPairTopology, type PairConfig, type PairTopology } from '../lib/pair-topology.ts';
import { nodemeshBinOption, serverNodeOptions, verdict, type BenchScenario } from '../lib/scenario.ts';
import type { NodemeshUnderTest } from '../lib/nodemesh-version.ts';
import { fmtRange as fmt, type Range } from '../lib/stats.ts';

export type PairKind = 'h1' | 'h2' | 'grpc';

export interface PairThroughputOptions {
  readonly kind: PairKind;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly repetitions: number;
  /** Client connections (wrk -c, h2load -c). */
  readonly connections: number;
  /** h2 streams per connection (h2load -m). */
  readonly streams: number;
  readonly pin: boolean;
  readonly proxyNodeOptions?: string;
  /** The nodemesh entry point (default the sources here). */
  readonly nodemeshBin?: string;
  /** A running topology with this kind (smoke tests share one); otherwise one is started here. */
  readonly topology?: PairTopology;
}

export interface PairThroughputResult {
  readonly scenario: string;
  readonly kind: PairKind;
  readonly client: string;
  readonly nodemesh: NodemeshUnderTest;
  readonly durationS: number;
  readonly warmupS: number;
  readonly repetitions: number;
  readonly pinned: boolean;
  readonly layout: string;
  readonly runs: readonly MeasuredRun<PairConfig>[];
  readonly summary: readonly ConfigSummary<PairConfig>[];
  readonly ratios: {
    readonly throughputVsHaproxyPair: Range;
    readonly throughputVsDirect: Range;
    readonly cpuPerRequestVsHaproxyPair: Range;
  };
  readonly goals: {
    readonly throughputVsHaproxyPair: { readonly goal: number; readonly met: boolean };
    /**
     * TLS handshakes between the nodemesh proxies in the runs' steady windows (goal: none), and in
     * the whole measured runs (which also count connections replaced at a run's start, after the
     * previous run's client left requests in flight).
     */
    readonly handshakesInSteadyState: {
      readonly steadyWindows: number | undefined;
      readonly perRequest: number | undefined;
      readonly wholeRuns: number | undefined;
      readonly met: boolean | undefined;
    };
  };
}

export const PAIR_SCENARIO_NAME: Record<PairKind, string> = { h1: 'pair-http1', h2: 'pair-h2', grpc: 'pair-grpc' };

export async function runPairThroughputBench(o: PairThroughputOptions): Promise<PairThroughputResult> {
  const protocol = o.kind === 'h1' ? 'http1' : o.kind;
  const tools = requireTools(pathTools(protocol, false));
  const topology =
    o.topology ??
    (await startPairTopology({
      kinds: [o.kind],
      pin: o.pin,
      ...(o.proxyNodeOptions === undefined ? {} : { proxyNodeOptions: o.proxyNodeOptions }),
      ...(o.nodemeshBin === undefined ? {} : { nodemeshBin: o.nodemeshBin }),
    }));
  const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-bench-pair-load-'));
  try {
    if (o.topology === undefined) await topology.preflightAll();
    const cpu = topology.restCpu === undefined ? {} : { cpu: topology.restCpu };
    const runs = await measureInterleaved<PairConfig>({
      configs: PAIR_CONFIGS,
      repetitions: o.repetitions,
      warmupMs: o.warmupMs,
      durationMs: o.durationMs,
      load: (config, durationMs, label) =>
        loadPath(tools, topology.path(config, o.kind), {
          connections: o.connections,
          streams: o.streams,
          durationMs,
          dir,
          label,
          // Per-request latencies from h2load's log (wrk reports its own percentiles).
          perRequestLatency: protocol !== 'http1' && label !== 'warmup',
          ...cpu,
        }),
      proxies: (config) => topology.proxies(config),
      upstream: topology.upstream(o.kind),
      counter: (config) => topology.serverConnections(config),
    });
    const summary = PAIR_CONFIGS.map((c) => summarizeRuns(runs, c, topology.proxies(c)));
    const rps = (r: MeasuredRun<PairConfig>): number => r.load.requestsPerSecond;
    const throughputVsHaproxyPair = roundRatio(runs, 'nodemesh-pair', 'haproxy-pair', rps);
    const mesh = summary.find((s) => s.config === 'nodemesh-pair');
    return {
      scenario: PAIR_SCENARIO_NAME[o.kind],
      kind: o.kind,
      nodemesh: topology.nodemesh,
      client: protocol === 'http1' ? `wrk -t1 -c${o.connections}` : `h2load -t1 -c${o.connections} -m${o.streams}`,
      durationS: o.durationMs / 1000,
      warmupS: o.warmupMs / 1000,
      repetitions: o.repetitions,
      pinned: topology.pinned,
      layout: topology.layout,
      runs,
      summary,
      ratios: {
        throughputVsHaproxyPair,
        throughputVsDirect: roundRatio(runs, 'nodemesh-pair', 'direct', rps),
        cpuPerRequestVsHaproxyPair: roundRatio(runs, 'nodemesh-pair', 'haproxy-pair', (r) => r.proxyCpuUsPerRequest),
      },
      goals: {
        throughputVsHaproxyPair: { goal: 0.6, met: throughputVsHaproxyPair.median >= 0.6 },
        handshakesInSteadyState: handshakeGoal(mesh),
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (o.topology === undefined) await topology.stop();
  }
}

/** The steady-state handshake goal from the nodemesh pair's summary. */
export function handshakeGoal(
  mesh: ConfigSummary<PairConfig> | undefined,
): PairThroughputResult['goals']['handshakesInSteadyState'] {
  const steady = mesh?.countedSteady;
  return {
    steadyWindows: steady,
    perRequest: mesh?.countedSteadyPerRequest,
    wholeRuns: mesh?.counted,
    met: steady === undefined ? undefined : steady === 0,
  };
}

/** The per-configuration table of a pair run (shared with the other pair scenarios). */
export function pairTable(summary: readonly ConfigSummary<PairConfig>[], opts: { p999?: boolean } = {}): string[] {
  const cell = (s: ConfigSummary<PairConfig>): string => {
    const [a, b] = s.proxyCpuUsPerRequestEach;
    return s.proxyCpuUsPerRequest === undefined ? '–' : `${fmt(s.proxyCpuUsPerRequest)} (${fmt(a)} + ${fmt(b)})`;
  };
  const hs = (s: ConfigSummary<PairConfig>): string =>
    s.counted === undefined ? '–' : `${s.countedSteady ?? '–'} / ${s.counted}`;
  return [
    `| path | requests/s | proxies CPU µs/req (client + server side) | proxies core use | upstream CPU µs/req | p50 ms | p99 ms |${opts.p999 === true ? ' p99.9 ms |' : ''} peak RSS MB (client / server) | handshakes between proxies (steady windows / whole runs) | errors |`,
    `| --- | --- | --- | --- | --- | --- | --- |${opts.p999 === true ? ' --- |' : ''} --- | --- | --- |`,
    ...summary.map(
      (s) =>
        `| ${s.config} | ${fmt(s.requestsPerSecond, 0)} | ${cell(s)} | ${fmt(s.proxyCoreUse, 2)} | ${fmt(s.upstreamCpuUsPerRequest)} | ${fmt(s.p50Ms, 2)} | ${fmt(s.p99Ms, 2)} |${opts.p999 === true ? ` ${fmt(s.p999Ms, 2)} |` : ''} ${s.peakRssMb.length === 0 ? '–' : s.peakRssMb.join(' / ')} | ${hs(s)} | ${s.errors} |`,
    ),
  ];
}

export function pairThroughputMarkdown(r: PairThroughputResult): string {
  const g = r.goals;
  return [
    `${r.client}; ${r.repetitions} interleaved repetitions × ${r.durationS} s after ${r.warmupS} s warm-up per configuration; median (min–max).`,
    `Layout: ${r.layout}.`,
    nodemeshLine(r.nodemesh),
    '',
    ...pairTable(r.summary),
    '',
    '| ratio (nodemesh pair ÷ other, same round) | median (min–max) | goal | verdict |',
    '| --- | --- | --- | --- |',
    `| throughput ÷ haproxy pair | ${fmt(r.ratios.throughputVsHaproxyPair, 2)} | ≥ ${g.throughputVsHaproxyPair.goal} | ${verdict(g.throughputVsHaproxyPair.met)} |`,
    `| throughput ÷ direct | ${fmt(r.ratios.throughputVsDirect, 2)} | – | – |`,
    `| CPU per request ÷ haproxy pair | ${fmt(r.ratios.cpuPerRequestVsHaproxyPair, 2)} | – | – |`,
    handshakeRow(g.handshakesInSteadyState),
  ].join('\n');
}

/** Which nodemesh was measured, for the Markdown. */
export function nodemeshLine(n: NodemeshUnderTest): string {
  const state = n.dirty === true ? ', with uncommitted changes' : '';
  return `nodemesh under test: commit ${n.commit.slice(0, 12)}${state} (${n.bin}).`;
}

/** The goal row for handshakes between the nodemesh proxies. */
export function handshakeRow(h: PairThroughputResult['goals']['handshakesInSteadyState']): string {
  return `| TLS handshakes between the nodemesh proxies per request, steady windows (whole runs: ${h.wholeRuns ?? '–'} handshakes) | ${h.steadyWindows ?? '–'} handshakes, ${h.perRequest ?? '–'}/req | 0 | ${verdict(h.met)} |`;
}

const DESCRIBE: Record<PairKind, string> = {
  h1: 'Sidecar pair with mTLS between, HTTP/1.1 keep-alive, wrk: direct vs haproxy pair (TLS) vs nodemesh pair, interleaved',
  h2: 'Sidecar pair with mTLS between, HTTP/2 (h2c at the edges), h2load: direct vs haproxy pair vs nodemesh pair, interleaved',
  grpc: 'Sidecar pair with mTLS between, gRPC unary, h2load: direct vs haproxy pair vs nodemesh pair, interleaved',
};

/** `--duration` is each repetition (3 after 3 s warm-up); `--concurrency` the client's connections (50 for wrk, 10 × 10 streams for h2load). */
export function pairThroughputScenario(kind: PairKind): BenchScenario {
  return {
    describe: DESCRIBE[kind],
    run: async ({ durationMs, concurrency }) => {
      const result = await runPairThroughputBench({
        kind,
        durationMs,
        warmupMs: 3000,
        repetitions: 3,
        connections: concurrency ?? (kind === 'h1' ? 50 : 10),
        streams: 10,
        pin: true,
        ...serverNodeOptions(),
        ...nodemeshBinOption(),
      });
      return { json: result, markdown: pairThroughputMarkdown(result) };
    },
  };
}
