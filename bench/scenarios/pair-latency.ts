// Scenario "pair-latency": the latency a sidecar pair with mTLS adds at a fixed 5,000 requests/s
// (issue 13 (4); goal: added p99 ≤ 1.5 ms), against a direct connection and a haproxy pair.
//
// The load: our open-loop generator (bench/lib/open-loop/): one request every 200 µs, evenly spaced,
// over 50 keep-alive connections, each latency measured from the request's scheduled time (no
// coordinated omission), exact percentiles over every sample. The alternative `client: 'h2load'`
// (NODEMESH_BENCH_LATENCY_CLIENT=h2load) is h2load --h1 --rps=100 per connection: its connections'
// timers fire together, so it sends bursts of 50 requests every 10 ms rather than a steady 5,000/s,
// and each burst queues behind itself (a 50-deep queue at every proxy); its latencies come from its
// per-request log and are not corrected for coordinated omission. "Added" latency is the pair's
// percentile minus direct's in the same round. Processes and CPU layout: bench/lib/pair-topology.ts.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  measureInterleaved,
  roundDifference,
  summarizeRuns,
  type ConfigSummary,
  type MeasuredRun,
} from '../lib/interleave.ts';
import { requireTools } from '../lib/load-tools.ts';
import type { NodemeshUnderTest } from '../lib/nodemesh-version.ts';
import { runOpenLoopProcess } from '../lib/open-loop/run.ts';
import { loadPath } from '../lib/pair-load.ts';
import { PAIR_CONFIGS, startPairTopology, type PairConfig, type PairTopology } from '../lib/pair-topology.ts';
import { nodemeshBinOption, serverNodeOptions, verdict, type BenchScenario } from '../lib/scenario.ts';
import { fmtRange as fmt, range, round, type Range } from '../lib/stats.ts';
import { nodemeshLine, pairTable } from './pair-throughput.ts';

/** Which load generator measures the latencies. */
export type LatencyClient = 'open-loop' | 'h2load';

export interface PairLatencyOptions {
  /** The total rate, requests/s (default 5,000). */
  readonly rate: number;
  /** Default 'open-loop'. */
  readonly client?: LatencyClient;
  readonly connections: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly repetitions: number;
  readonly pin: boolean;
  readonly proxyNodeOptions?: string;
  readonly nodemeshBin?: string;
  readonly topology?: PairTopology;
  /** The open-loop generator's lead-in for every run; default leadInMs(the run's duration). */
  readonly leadInMs?: number;
}

export interface AddedLatency {
  readonly p50Ms: Range;
  readonly p99Ms: Range;
  readonly p999Ms: Range;
}

export interface PairLatencyResult {
  readonly scenario: 'pair-latency';
  readonly client: string;
  readonly clientKind: LatencyClient;
  readonly rate: number;
  readonly nodemesh: NodemeshUnderTest;
  readonly durationS: number;
  readonly warmupS: number;
  /** The open-loop generator's unrecorded lead-in at the start of each run (leadInMs()). */
  readonly leadInS?: number;
  readonly repetitions: number;
  readonly pinned: boolean;
  readonly layout: string;
  readonly runs: readonly MeasuredRun<PairConfig>[];
  readonly summary: readonly ConfigSummary<PairConfig>[];
  /** Percentile of the pair − percentile of direct, same round. */
  readonly added: { readonly nodemeshPair: AddedLatency; readonly haproxyPair: AddedLatency };
  /** Configurations whose achieved rate was below 95 % of the target. */
  readonly underRate: readonly PairConfig[];
  readonly goals: { readonly addedP99Ms: { readonly goal: number; readonly met: boolean } };
}

export async function runPairLatencyBench(o: PairLatencyOptions): Promise<PairLatencyResult> {
  const clientKind = o.client ?? 'open-loop';
  const tools = clientKind === 'h2load' ? requireTools(['h2load']) : {};
  const topology =
    o.topology ??
    (await startPairTopology({
      kinds: ['h1'],
      pin: o.pin,
      ...(o.proxyNodeOptions === undefined ? {} : { proxyNodeOptions: o.proxyNodeOptions }),
      ...(o.nodemeshBin === undefined ? {} : { nodemeshBin: o.nodemeshBin }),
    }));
  const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-bench-latency-'));
  try {
    if (o.topology === undefined) await topology.preflightAll();
    const perConnection = Math.max(1, Math.round(o.rate / o.connections));
    const cpu = topology.restCpu === undefined ? {} : { cpu: topology.restCpu };
    const runs = await measureInterleaved<PairConfig>({
      configs: PAIR_CONFIGS,
      repetitions: o.repetitions,
      warmupMs: o.warmupMs,
      durationMs: o.durationMs,
      load: (config, durationMs, label) => {
        const p = topology.path(config, 'h1');
        if (clientKind === 'open-loop') {
          const { host, port, authority } = p;
          return runOpenLoopProcess({
            host,
            port,
            authority,
            rate: o.rate,
            connections: o.connections,
            durationMs,
            warmupMs: o.leadInMs ?? leadInMs(durationMs),
            ...cpu,
          });
        }
        return loadPath(tools, p, {
          connections: o.connections,
          streams: 1,
          durationMs,
          dir,
          label,
          rps: perConnection,
          perRequestLatency: true,
          ...cpu,
        });
      },
      proxies: (config) => topology.proxies(config),
      upstream: topology.upstream('h1'),
      counter: (config) => topology.serverConnections(config),
    });
    const summary = PAIR_CONFIGS.map((c) => summarizeRuns(runs, c, topology.proxies(c)));
    const added = (c: PairConfig): AddedLatency => ({
      p50Ms: roundDifference(runs, c, 'direct', (r) => r.load.latencyMs.p50),
      p99Ms: roundDifference(runs, c, 'direct', (r) => r.load.latencyMs.p99),
      p999Ms: roundDifference(runs, c, 'direct', (r) => r.load.latencyMs.p999),
    });
    const nodemeshPair = added('nodemesh-pair');
    const target = clientKind === 'open-loop' ? o.rate : perConnection * o.connections;
    return {
      scenario: 'pair-latency',
      client:
        clientKind === 'open-loop'
          ? `open-loop generator, ${o.connections} connections, one request every ${round(1e6 / target, 1)} µs`
          : `h2load --h1 -t1 -c${o.connections} --rps=${perConnection}`,
      clientKind,
      rate: target,
      nodemesh: topology.nodemesh,
      durationS: o.durationMs / 1000,
      warmupS: o.warmupMs / 1000,
      ...(clientKind === 'open-loop' ? { leadInS: (o.leadInMs ?? leadInMs(o.durationMs)) / 1000 } : {}),
      repetitions: o.repetitions,
      pinned: topology.pinned,
      layout: topology.layout,
      runs,
      summary,
      added: { nodemeshPair, haproxyPair: added('haproxy-pair') },
      underRate: summary.filter((s) => s.requestsPerSecond.median < 0.95 * target).map((s) => s.config),
      goals: { addedP99Ms: { goal: 1.5, met: nodemeshPair.p99Ms.median <= 1.5 } },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (o.topology === undefined) await topology.stop();
  }
}

/**
 * The open-loop generator's unrecorded lead-in for a run of `durationMs`: a fifth of the run, at
 * least 0.5 s and at most 3 s. A new generator process is late by up to 2–3 ms at p99 in its first
 * second and ~1.5 ms in its second, also against direct (its JIT and its connections' first
 * reads), and settles by the third; 15 s runs skip those 3 s.
 */
export function leadInMs(durationMs: number): number {
  return Math.round(Math.min(3000, Math.max(500, durationMs / 5)));
}

export function pairLatencyMarkdown(r: PairLatencyResult): string {
  const row = (name: string, a: AddedLatency): string =>
    `| ${name} | ${fmt(a.p50Ms, 2)} | ${fmt(a.p99Ms, 2)} | ${fmt(a.p999Ms, 2)} |`;
  const method =
    r.clientKind === 'open-loop'
      ? 'Latencies from the scheduled time of each request to the end of its response (coordinated omission corrected), exact percentiles.'
      : "Latencies from h2load's per-request log (its connections send in bursts of one request each every interval; no coordinated-omission correction: read p50–p99.9, not the max).";
  return [
    `${r.client} (${r.rate} requests/s in all); ${r.repetitions} interleaved repetitions × ${r.durationS} s after ${r.warmupS} s warm-up per configuration${r.leadInS === undefined ? '' : `, each run recorded after a ${r.leadInS} s lead-in at the same rate (the generator's own start-up)`}; median (min–max). ${method}`,
    `Layout: ${r.layout}.`,
    nodemeshLine(r.nodemesh),
    ...(r.underRate.length === 0
      ? []
      : [
          `**Below the target rate** (achieved < 95 % of ${r.rate}/s): ${r.underRate.join(', ')} — its latencies are those of an overloaded path.`,
        ]),
    '',
    ...pairTable(r.summary, { p999: true }),
    ...generatorHealth(r),
    '',
    '| added over direct (same round), ms | p50 | p99 | p99.9 |',
    '| --- | --- | --- | --- |',
    row('haproxy pair', r.added.haproxyPair),
    row('nodemesh pair', r.added.nodemeshPair),
    '',
    `Goal: the nodemesh pair adds ≤ ${r.goals.addedP99Ms.goal} ms at p99 at ${r.rate} requests/s: ${verdict(r.goals.addedP99Ms.met)} (${fmt(r.added.nodemeshPair.p99Ms, 2)} ms).`,
  ].join('\n');
}

/** The open-loop generator's own lateness per path: the floor under every latency above. */
function generatorHealth(r: PairLatencyResult): string[] {
  if (r.clientKind !== 'open-loop') return [];
  const lines = PAIR_CONFIGS.map((config) => {
    const mine = r.runs.filter((run) => run.config === config);
    const lag = range(mine.map((run) => run.load.generator?.sendLagMs.p99 ?? Number.NaN));
    const service = range(mine.map((run) => run.load.generator?.serviceMs.p99 ?? Number.NaN));
    return `${config}: send lag p99 ${fmt(lag, 2)} ms, p99 from the write ${fmt(service, 2)} ms`;
  });
  return [
    '',
    `The generator's own lateness (write time − scheduled time, which includes waiting for a free connection) and the p99 a closed-loop client would report (from the write): ${lines.join('; ')}.`,
  ];
}

/** `--duration` is each repetition (3 after 3 s warm-up); `--concurrency` the connections sharing the 5,000/s (default 50). */
export function pairLatencyScenario(): BenchScenario {
  return {
    describe:
      'Latency added by a sidecar pair with mTLS at a fixed 5,000 requests/s (open-loop, evenly spaced): direct vs haproxy pair vs nodemesh pair',
    run: async ({ durationMs, concurrency }) => {
      const result = await runPairLatencyBench({
        rate: 5000,
        client: latencyClientOption(),
        connections: concurrency ?? 50,
        durationMs,
        warmupMs: 3000,
        repetitions: 3,
        pin: true,
        ...serverNodeOptions(),
        ...nodemeshBinOption(),
        ...latencyLeadInOption(),
      });
      return { json: result, markdown: pairLatencyMarkdown(result) };
    },
  };
}

/**
 * NODEMESH_BENCH_LATENCY_LEAD_IN_MS: the open-loop generator's unrecorded lead-in in ms for every
 * run (e.g. 500, the method before session 13); unset: leadInMs() of the run's duration.
 */
export function latencyLeadInOption(env: NodeJS.ProcessEnv = process.env): { leadInMs?: number } {
  const v = env.NODEMESH_BENCH_LATENCY_LEAD_IN_MS;
  if (v === undefined || v === '') return {};
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) {
    throw new Error(
      `NODEMESH_BENCH_LATENCY_LEAD_IN_MS=${JSON.stringify(v)}: expected a whole number of milliseconds ≥ 0`,
    );
  }
  return { leadInMs: n };
}

/** NODEMESH_BENCH_LATENCY_CLIENT: `open-loop` (default) or `h2load`. */
export function latencyClientOption(env: NodeJS.ProcessEnv = process.env): LatencyClient {
  const v = env.NODEMESH_BENCH_LATENCY_CLIENT;
  if (v === undefined || v === '' || v === 'open-loop') return 'open-loop';
  if (v === 'h2load') return 'h2load';
  throw new Error(`NODEMESH_BENCH_LATENCY_CLIENT=${JSON.stringify(v)}: expected open-loop or h2load`);
}
