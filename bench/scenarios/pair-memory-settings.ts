// Scenario "pair-memory-settings": what the proxy's memory settings cost in throughput and buy in
// memory. Compiled nodemesh pairs with mTLS run side by side (bench/lib/pair-topology.ts, all
// pinned to the proxies' CPU): "node-defaults" with no NODE_OPTIONS and
// NODEMESH_PROXY_V8_MEMORY_MODE=node-defaults (Node's and V8's defaults), "memory-settings" as a
// pod runs it: the chart's `proxy.nodeOptions` (NODEMESH_BENCH_AB_NODE_OPTIONS names other
// options) and the proxy's own V8 memory mode (proxy/v8-memory.ts; NODEMESH_BENCH_AB_V8_MEMORY_MODE
// names another), and, when NODEMESH_BENCH_AB_COMPARE_V8_MEMORY_MODE names a mode, a third pair
// "compared" with the same options and that mode. The load (NODEMESH_BENCH_AB_KIND: h1, wrk -c50
// over HTTP/1.1; h2 or grpc, h2load -c10 -m10) alternates between them (A B C A B C …, after a
// warm-up of each), so drift on a shared machine hits all alike; each run records requests/s,
// CPU per request and the highest RSS / USS of the two proxies while loaded.

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
import { buildDist } from '../lib/build-dist.ts';
import type { Child } from '../lib/children.ts';
import { requireTools, type LoadResult, type ToolName } from '../lib/load-tools.ts';
import { NODEMESH_SOURCE_BIN } from '../lib/nodemesh-pair.ts';
import { loadPath } from '../lib/pair-load.ts';
import { startPairTopology, type PairTopology } from '../lib/pair-topology.ts';
import { memorySample } from '../lib/proc.ts';
import { DEFAULT_V8_MEMORY_MODE } from '../../proxy/v8-memory.ts';
import { chartProxyNodeOptions } from '../lib/proxy-node-options.ts';
import { nodemeshBinOption, type BenchScenario } from '../lib/scenario.ts';
import { fmtRange as fmt, range, round, type Range } from '../lib/stats.ts';

export type MemoryConfig = 'node-defaults' | 'memory-settings' | 'compared';
/** The traffic: HTTP/1.1 (wrk), HTTP/2 or gRPC unary (h2load). */
export type MemoryLoadKind = 'h1' | 'h2' | 'grpc';
const KINDS: readonly MemoryLoadKind[] = ['h1', 'h2', 'grpc'];

export interface PairMemorySettingsOptions {
  readonly nodeOptions: string;
  /** NODEMESH_PROXY_V8_MEMORY_MODE of the memory-settings pair; undefined: the proxy's default. */
  readonly v8MemoryMode: string | undefined;
  /** NODEMESH_PROXY_V8_MEMORY_MODE of a third pair ("compared") with the same NODE_OPTIONS. */
  readonly compareV8MemoryMode?: string;
  readonly kind: MemoryLoadKind;
  /** h2load streams per connection (h2, grpc). */
  readonly streams: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly repetitions: number;
  readonly connections: number;
  readonly pin: boolean;
  /** The nodemesh entry point to build (default the sources here). */
  readonly nodemeshBin?: string;
}

export interface PairMemorySettingsResult {
  readonly scenario: 'pair-memory-settings';
  readonly nodeOptions: string;
  readonly v8MemoryMode: string;
  readonly compareV8MemoryMode: string | undefined;
  readonly kind: MemoryLoadKind;
  readonly client: string;
  readonly durationS: number;
  readonly repetitions: number;
  readonly layout: string;
  readonly runs: readonly MeasuredRun<MemoryConfig>[];
  readonly summary: readonly ConfigSummary<MemoryConfig>[];
  /** Per configuration: the highest RSS and USS of either proxy sampled while loaded, over all runs. */
  readonly loadedMemoryMb: Readonly<Partial<Record<MemoryConfig, { readonly rssMb: Range; readonly ussMb: Range }>>>;
  /** memory-settings ÷ node-defaults within each round. */
  readonly ratios: { readonly throughput: Range; readonly cpuPerRequest: Range };
  /** compared ÷ memory-settings within each round, when there is a compared pair. */
  readonly comparedRatios?: { readonly throughput: Range; readonly cpuPerRequest: Range };
}

export async function runPairMemorySettingsBench(o: PairMemorySettingsOptions): Promise<PairMemorySettingsResult> {
  const needed: ToolName[] = o.kind === 'h1' ? ['wrk'] : ['h2load'];
  const tools = requireTools(needed);
  const kind = o.kind;
  const configs: MemoryConfig[] = ['node-defaults', 'memory-settings'];
  if (o.compareV8MemoryMode !== undefined) configs.push('compared');
  const mode = (c: MemoryConfig): string | undefined =>
    c === 'node-defaults' ? 'node-defaults' : c === 'compared' ? o.compareV8MemoryMode : o.v8MemoryMode;
  const dist = await buildDist(o.nodemeshBin ?? NODEMESH_SOURCE_BIN);
  const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-bench-memory-'));
  const topologies = new Map<MemoryConfig, PairTopology>();
  try {
    for (const c of configs) {
      const m = mode(c);
      const t = await startPairTopology({
        kinds: [kind],
        pin: o.pin,
        nodemeshBin: dist,
        proxyNodeOptions: c === 'node-defaults' ? '' : o.nodeOptions,
        ...(m === undefined ? {} : { proxyEnv: { NODEMESH_PROXY_V8_MEMORY_MODE: m } }),
      });
      topologies.set(c, t);
      await t.preflightPath('nodemesh-pair', kind);
    }
    const topo = (c: MemoryConfig): PairTopology => topologies.get(c)!;
    const peaks: Record<MemoryConfig, { rss: number[]; uss: number[] }> = {
      'node-defaults': { rss: [], uss: [] },
      'memory-settings': { rss: [], uss: [] },
      compared: { rss: [], uss: [] },
    };
    const runs = await measureInterleaved<MemoryConfig>({
      configs,
      repetitions: o.repetitions,
      warmupMs: o.warmupMs,
      durationMs: o.durationMs,
      load: async (config, durationMs, label) => {
        const t = topo(config);
        const loading = loadPath(tools, t.path('nodemesh-pair', kind), {
          connections: o.connections,
          streams: o.kind === 'h1' ? 1 : o.streams,
          durationMs,
          dir,
          label,
          ...(t.restCpu === undefined ? {} : { cpu: t.restCpu }),
        });
        if (label === 'warmup') return loading;
        const peak = await samplePeak(t.proxies('nodemesh-pair'), loading);
        peaks[config].rss.push(peak.rssMb);
        peaks[config].uss.push(peak.ussMb);
        return loading;
      },
      proxies: (config) => topo(config).proxies('nodemesh-pair'),
    });
    const summary = configs.map((c) => summarizeRuns(runs, c, topo(c).proxies('nodemesh-pair')));
    const mem = (c: MemoryConfig): { rssMb: Range; ussMb: Range } => ({
      rssMb: range(peaks[c].rss),
      ussMb: range(peaks[c].uss),
    });
    const ratiosOf = (a: MemoryConfig, b: MemoryConfig): { throughput: Range; cpuPerRequest: Range } => ({
      throughput: roundRatio(runs, a, b, (r) => r.load.requestsPerSecond),
      cpuPerRequest: roundRatio(runs, a, b, (r) => r.proxyCpuUsPerRequest),
    });
    return {
      scenario: 'pair-memory-settings',
      nodeOptions: o.nodeOptions,
      v8MemoryMode: o.v8MemoryMode ?? `${DEFAULT_V8_MEMORY_MODE} (the proxy's default)`,
      compareV8MemoryMode: o.compareV8MemoryMode,
      kind: o.kind,
      client: o.kind === 'h1' ? `wrk -t1 -c${o.connections}` : `h2load -t1 -c${o.connections} -m${o.streams}`,
      durationS: o.durationMs / 1000,
      repetitions: o.repetitions,
      layout: topo('node-defaults').layout,
      runs,
      summary,
      loadedMemoryMb: Object.fromEntries(configs.map((c) => [c, mem(c)])),
      ratios: ratiosOf('memory-settings', 'node-defaults'),
      ...(o.compareV8MemoryMode === undefined ? {} : { comparedRatios: ratiosOf('compared', 'memory-settings') }),
    };
  } finally {
    for (const t of topologies.values()) await t.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The highest RSS and USS of any of `procs`, sampled every 250 ms until `until` settles. */
async function samplePeak(
  procs: readonly Child[],
  until: Promise<LoadResult>,
): Promise<{ rssMb: number; ussMb: number }> {
  let done = false;
  void until.finally(() => (done = true)).catch(() => undefined);
  let rssMb = 0;
  let ussMb = 0;
  while (!done) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    for (const p of procs) {
      const m = memorySample(p.pid);
      rssMb = Math.max(rssMb, round(m.rssMb, 1));
      ussMb = Math.max(ussMb, round(m.ussMb, 1));
    }
  }
  return { rssMb, ussMb };
}

export function pairMemorySettingsMarkdown(r: PairMemorySettingsResult): string {
  const rows = r.summary.map((s) => {
    const m = r.loadedMemoryMb[s.config];
    const opts =
      s.config === 'node-defaults'
        ? 'none, V8 memory mode node-defaults'
        : `NODE_OPTIONS \`${r.nodeOptions}\`, V8 memory mode ${s.config === 'compared' ? (r.compareV8MemoryMode ?? '') : r.v8MemoryMode}`;
    return `| ${s.config} | ${opts} | ${fmt(s.requestsPerSecond, 0)} | ${s.proxyCpuUsPerRequest === undefined ? '' : fmt(s.proxyCpuUsPerRequest, 1)} | ${fmt(s.p99Ms, 2)} | ${m === undefined ? '' : fmt(m.rssMb, 1)} | ${m === undefined ? '' : fmt(m.ussMb, 1)} | ${s.errors} |`;
  });
  const protocol = r.kind === 'h1' ? 'HTTP/1.1' : r.kind === 'h2' ? 'HTTP/2' : 'gRPC unary';
  return [
    `${r.summary.length} compiled nodemesh pairs with mTLS side by side, ${r.client} over ${protocol} alternating between them (${r.repetitions} × ${r.durationS} s each, after a warm-up). Layout: ${r.layout}. Medians with [min–max] over the runs; memory: the highest RSS / USS of either proxy sampled every 250 ms while loaded.`,
    '',
    '| configuration | proxy memory settings | requests/s | proxy CPU µs per request (both) | p99 ms | loaded RSS MB | loaded USS MB | errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `memory-settings ÷ node-defaults within each round: throughput ${fmt(r.ratios.throughput, 2)}, CPU per request ${fmt(r.ratios.cpuPerRequest, 2)}.`,
    ...(r.comparedRatios === undefined
      ? []
      : [
          `compared ÷ memory-settings within each round: throughput ${fmt(r.comparedRatios.throughput, 2)}, CPU per request ${fmt(r.comparedRatios.cpuPerRequest, 2)}.`,
        ]),
  ].join('\n');
}

/**
 * `--duration` per run (default 10 s), 5 rounds; NODEMESH_BENCH_AB_NODE_OPTIONS replaces the chart's
 * options, NODEMESH_BENCH_AB_V8_MEMORY_MODE the proxy's default mode, NODEMESH_BENCH_AB_COMPARE_V8_MEMORY_MODE
 * adds a third pair, NODEMESH_BENCH_AB_KIND (h1, h2, grpc) chooses the traffic.
 */
export function pairMemorySettingsScenario(): BenchScenario {
  return {
    describe:
      "The proxy's memory settings A/B: compiled mTLS pairs, Node's defaults against the chart's proxy.nodeOptions with the proxy's V8 memory mode (and optionally another mode), HTTP/1.1, HTTP/2 or gRPC interleaved; throughput, CPU per request and loaded memory",
    run: async ({ durationMs, concurrency }) => {
      const env = (name: string): string | undefined => {
        const v = process.env[name];
        return v === undefined || v === '' ? undefined : v;
      };
      const kind = env('NODEMESH_BENCH_AB_KIND') ?? 'h1';
      if (!KINDS.includes(kind as MemoryLoadKind))
        throw new Error(`NODEMESH_BENCH_AB_KIND must be one of ${KINDS.join(', ')}, got ${kind}`);
      const compare = env('NODEMESH_BENCH_AB_COMPARE_V8_MEMORY_MODE');
      const result = await runPairMemorySettingsBench({
        nodeOptions: env('NODEMESH_BENCH_AB_NODE_OPTIONS') ?? chartProxyNodeOptions(),
        v8MemoryMode: env('NODEMESH_BENCH_AB_V8_MEMORY_MODE'),
        ...(compare === undefined ? {} : { compareV8MemoryMode: compare }),
        kind: kind as MemoryLoadKind,
        streams: 10,
        durationMs,
        warmupMs: 3000,
        repetitions: 5,
        connections: concurrency ?? (kind === 'h1' ? 50 : 10),
        pin: true,
        ...nodemeshBinOption(),
      });
      return { json: result, markdown: pairMemorySettingsMarkdown(result) };
    },
  };
}
