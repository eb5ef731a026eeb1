// Scenario "pair-latency": the latency a sidecar pair with mTLS adds at a fixed 5,000 requests/s
// (issue 13 (4); goal: added p99 ≤ 1.5 ms), against a direct connection and a haproxy pair.
//
// Open-loop-ish generator: h2load --h1 with 50 connections each sending 100 requests/s on its own
// schedule (--rps), per-request latencies from its log (--log-file), percentiles by nearest rank.
// A connection whose response is late sends its next request late (h2load does not correct for
// coordinated omission), so with a 10 ms interval per connection the tail above ~10 ms is
// understated; the figures to read are p50–p99.9 well below that. "Added" latency is the pair's
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
import { loadPath } from '../lib/pair-load.ts';
import { PAIR_CONFIGS, startPairTopology, type PairConfig, type PairTopology } from '../lib/pair-topology.ts';
import { nodemeshBinOption, serverNodeOptions, verdict, type BenchScenario } from '../lib/scenario.ts';
import { fmtRange as fmt, type Range } from '../lib/stats.ts';
import { nodemeshLine, pairTable } from './pair-throughput.ts';

export interface PairLatencyOptions {
  /** The total rate, requests/s (default 5,000). */
  readonly rate: number;
  readonly connections: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly repetitions: number;
  readonly pin: boolean;
  readonly proxyNodeOptions?: string;
  readonly nodemeshBin?: string;
  readonly topology?: PairTopology;
}

export interface AddedLatency {
  readonly p50Ms: Range;
  readonly p99Ms: Range;
  readonly p999Ms: Range;
}

export interface PairLatencyResult {
  readonly scenario: 'pair-latency';
  readonly client: string;
  readonly rate: number;
  readonly nodemesh: NodemeshUnderTest;
  readonly durationS: number;
  readonly warmupS: number;
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
  const tools = requireTools(['h2load']);
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
    const runs = await measureInterleaved<PairConfig>({
      configs: PAIR_CONFIGS,
      repetitions: o.repetitions,
      warmupMs: o.warmupMs,
      durationMs: o.durationMs,
      load: (config, durationMs, label) =>
        loadPath(tools, topology.path(config, 'h1'), {
          connections: o.connections,
          streams: 1,
          durationMs,
          dir,
          label,
          rps: perConnection,
          perRequestLatency: true,
          ...(topology.restCpu === undefined ? {} : { cpu: topology.restCpu }),
        }),
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
    const target = perConnection * o.connections;
    return {
      scenario: 'pair-latency',
      client: `h2load --h1 -t1 -c${o.connections} --rps=${perConnection}`,
      rate: target,
      nodemesh: topology.nodemesh,
      durationS: o.durationMs / 1000,
      warmupS: o.warmupMs / 1000,
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

export function pairLatencyMarkdown(r: PairLatencyResult): string {
  const row = (name: string, a: AddedLatency): string =>
    `| ${name} | ${fmt(a.p50Ms, 2)} | ${fmt(a.p99Ms, 2)} | ${fmt(a.p999Ms, 2)} |`;
  return [
    `${r.client} (${r.rate} requests/s in all); ${r.repetitions} interleaved repetitions × ${r.durationS} s after ${r.warmupS} s warm-up per configuration; median (min–max). Latencies from h2load's per-request log (no coordinated-omission correction: read p50–p99.9, not the max).`,
    `Layout: ${r.layout}.`,
    nodemeshLine(r.nodemesh),
    ...(r.underRate.length === 0
      ? []
      : [
          `**Below the target rate** (achieved < 95 % of ${r.rate}/s): ${r.underRate.join(', ')} — its latencies are those of an overloaded path.`,
        ]),
    '',
    ...pairTable(r.summary, { p999: true }),
    '',
    '| added over direct (same round), ms | p50 | p99 | p99.9 |',
    '| --- | --- | --- | --- |',
    row('haproxy pair', r.added.haproxyPair),
    row('nodemesh pair', r.added.nodemeshPair),
    '',
    `Goal: the nodemesh pair adds ≤ ${r.goals.addedP99Ms.goal} ms at p99 at ${r.rate} requests/s: ${verdict(r.goals.addedP99Ms.met)} (${fmt(r.added.nodemeshPair.p99Ms, 2)} ms).`,
  ].join('\n');
}

/** `--duration` is each repetition (3 after 3 s warm-up); `--concurrency` the connections sharing the 5,000/s (default 50). */
export function pairLatencyScenario(): BenchScenario {
  return {
    describe:
      'Latency added by a sidecar pair with mTLS at a fixed 5,000 requests/s (h2load --h1 --rps): direct vs haproxy pair vs nodemesh pair',
    run: async ({ durationMs, concurrency }) => {
      const result = await runPairLatencyBench({
        rate: 5000,
        connections: concurrency ?? 50,
        durationMs,
        warmupMs: 3000,
        repetitions: 3,
        pin: true,
        ...serverNodeOptions(),
        ...nodemeshBinOption(),
      });
      return { json: result, markdown: pairLatencyMarkdown(result) };
    },
  };
}
