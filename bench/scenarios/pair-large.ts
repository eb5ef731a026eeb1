// Scenarios "pair-large-http1" and "pair-large-h2": throughput of large responses (10 MiB each)
// through a sidecar pair with mTLS, against a direct connection and a haproxy pair (issue 13 (6)).
//
// The upstream (bench/lib/body-upstream.ts, Node) answers every GET with the same preallocated
// 10 MiB body over HTTP/1.1 or h2c. Clients: wrk -t1 -c4 (HTTP/1.1 keep-alive) or h2load -t1 -c4
// -m1 (h2c); both read every byte. Throughput is responses/s × body size; CPU per MiB is the sum of
// both proxies' /proc accounting per response ÷ the body's MiB. Processes and CPU layout:
// bench/lib/pair-topology.ts. Interleaved repetitions after a warm-up.

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
import type { NodemeshUnderTest } from '../lib/nodemesh-version.ts';
import { loadPath, pathTools } from '../lib/pair-load.ts';
import {
  LARGE_BODY_BYTES,
  PAIR_CONFIGS,
  startPairTopology,
  type PairConfig,
  type PairTopology,
} from '../lib/pair-topology.ts';
import { nodemeshBinOption, serverNodeOptions, type BenchScenario } from '../lib/scenario.ts';
import { fmtRange as fmt, range, round, type Range } from '../lib/stats.ts';
import { nodemeshLine } from './pair-throughput.ts';

export type LargeKind = 'large-h1' | 'large-h2';

export interface PairLargeOptions {
  readonly kind: LargeKind;
  readonly connections: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly repetitions: number;
  readonly pin: boolean;
  /** Body size (default 10 MiB); a given topology decides it. */
  readonly bodyBytes?: number;
  readonly proxyNodeOptions?: string;
  readonly nodemeshBin?: string;
  readonly topology?: PairTopology;
}

export interface LargeSummary {
  readonly config: PairConfig;
  readonly mibPerSecond: Range;
  /** Both proxies together: CPU ms per MiB carried. */
  readonly proxyCpuMsPerMib: Range | undefined;
}

export interface PairLargeResult {
  readonly scenario: string;
  readonly kind: LargeKind;
  readonly client: string;
  readonly bodyBytes: number;
  readonly nodemesh: NodemeshUnderTest;
  readonly durationS: number;
  readonly warmupS: number;
  readonly repetitions: number;
  readonly pinned: boolean;
  readonly layout: string;
  readonly runs: readonly MeasuredRun<PairConfig>[];
  readonly summary: readonly ConfigSummary<PairConfig>[];
  readonly throughput: readonly LargeSummary[];
  readonly ratios: { readonly throughputVsHaproxyPair: Range; readonly throughputVsDirect: Range };
}

export const LARGE_SCENARIO_NAME: Record<LargeKind, string> = {
  'large-h1': 'pair-large-http1',
  'large-h2': 'pair-large-h2',
};

export async function runPairLargeBench(o: PairLargeOptions): Promise<PairLargeResult> {
  const protocol = o.kind === 'large-h1' ? 'http1' : 'h2';
  const tools = requireTools(pathTools(protocol, false));
  const topology =
    o.topology ??
    (await startPairTopology({
      kinds: [o.kind],
      pin: o.pin,
      ...(o.bodyBytes === undefined ? {} : { largeBodyBytes: o.bodyBytes }),
      ...(o.proxyNodeOptions === undefined ? {} : { proxyNodeOptions: o.proxyNodeOptions }),
      ...(o.nodemeshBin === undefined ? {} : { nodemeshBin: o.nodemeshBin }),
    }));
  const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-bench-large-'));
  try {
    if (o.topology === undefined) await topology.preflightAll();
    const bytes = topology.largeBodyBytes;
    const runs = await measureInterleaved<PairConfig>({
      configs: PAIR_CONFIGS,
      repetitions: o.repetitions,
      warmupMs: o.warmupMs,
      durationMs: o.durationMs,
      load: (config, durationMs, label) =>
        loadPath(tools, topology.path(config, o.kind), {
          connections: o.connections,
          streams: 1,
          durationMs,
          dir,
          label,
          ...(topology.restCpu === undefined ? {} : { cpu: topology.restCpu }),
        }),
      proxies: (config) => topology.proxies(config),
      upstream: topology.upstream(o.kind),
      counter: (config) => topology.serverConnections(config),
    });
    const mib = bytes / 2 ** 20;
    const mibPerSecond = (r: MeasuredRun<PairConfig>): number => round(r.load.requestsPerSecond * mib, 1);
    const throughput = PAIR_CONFIGS.map((config): LargeSummary => {
      const mine = runs.filter((r) => r.config === config);
      const cpu = mine.map((r) => r.proxyCpuUsPerRequest).filter((v): v is number => v !== undefined);
      return {
        config,
        mibPerSecond: range(mine.map(mibPerSecond)),
        proxyCpuMsPerMib: cpu.length === 0 ? undefined : range(cpu.map((us) => round(us / 1000 / mib, 3))),
      };
    });
    return {
      scenario: LARGE_SCENARIO_NAME[o.kind],
      kind: o.kind,
      client: protocol === 'http1' ? `wrk -t1 -c${o.connections}` : `h2load -t1 -c${o.connections} -m1`,
      bodyBytes: bytes,
      nodemesh: topology.nodemesh,
      durationS: o.durationMs / 1000,
      warmupS: o.warmupMs / 1000,
      repetitions: o.repetitions,
      pinned: topology.pinned,
      layout: topology.layout,
      runs,
      summary: PAIR_CONFIGS.map((c) => summarizeRuns(runs, c, topology.proxies(c))),
      throughput,
      ratios: {
        throughputVsHaproxyPair: roundRatio(runs, 'nodemesh-pair', 'haproxy-pair', mibPerSecond),
        throughputVsDirect: roundRatio(runs, 'nodemesh-pair', 'direct', mibPerSecond),
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (o.topology === undefined) await topology.stop();
  }
}

export function pairLargeMarkdown(r: PairLargeResult): string {
  const mib = r.bodyBytes / 2 ** 20;
  return [
    `${r.client}, ${mib} MiB responses; ${r.repetitions} interleaved repetitions × ${r.durationS} s after ${r.warmupS} s warm-up per configuration; median (min–max).`,
    `Layout: ${r.layout}.`,
    nodemeshLine(r.nodemesh),
    '',
    '| path | responses/s | MiB/s | proxies CPU ms per MiB | proxies core use | p50 ms | p99 ms | peak RSS MB (client / server) | handshakes between proxies (steady / whole) | errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.summary.map((s) => {
      const t = r.throughput.find((x) => x.config === s.config);
      return `| ${s.config} | ${fmt(s.requestsPerSecond, 1)} | ${fmt(t?.mibPerSecond, 0)} | ${fmt(t?.proxyCpuMsPerMib, 2)} | ${fmt(s.proxyCoreUse, 2)} | ${fmt(s.p50Ms, 1)} | ${fmt(s.p99Ms, 1)} | ${s.peakRssMb.length === 0 ? '–' : s.peakRssMb.join(' / ')} | ${s.counted === undefined ? '–' : `${s.countedSteady ?? '–'} / ${s.counted}`} | ${s.errors} |`;
    }),
    '',
    `nodemesh pair throughput ÷ haproxy pair: ${fmt(r.ratios.throughputVsHaproxyPair, 2)}; ÷ direct: ${fmt(r.ratios.throughputVsDirect, 2)} (same round).`,
  ].join('\n');
}

/** `--duration` is each repetition (3 after 3 s warm-up); `--concurrency` the client's connections (default 4). */
export function pairLargeScenario(kind: LargeKind): BenchScenario {
  return {
    describe: `${LARGE_BODY_BYTES / 2 ** 20} MiB responses through a sidecar pair with mTLS, ${kind === 'large-h1' ? 'HTTP/1.1 (wrk)' : 'HTTP/2 (h2load)'}: direct vs haproxy pair vs nodemesh pair, interleaved`,
    run: async ({ durationMs, concurrency }) => {
      const result = await runPairLargeBench({
        kind,
        connections: concurrency ?? 4,
        durationMs,
        warmupMs: 3000,
        repetitions: 3,
        pin: true,
        ...serverNodeOptions(),
        ...nodemeshBinOption(),
      });
      return { json: result, markdown: pairLargeMarkdown(result) };
    },
  };
}
