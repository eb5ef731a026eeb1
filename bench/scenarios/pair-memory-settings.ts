// Scenario "pair-memory-settings": what the proxy's memory settings cost in throughput and buy in
// memory. Two compiled nodemesh pairs with mTLS run side by side (bench/lib/pair-topology.ts, both
// pinned to the proxies' CPU): "node-defaults" with no NODE_OPTIONS and
// NODEMESH_PROXY_OPTIMIZE_FOR_SIZE=false (Node's and V8's defaults), "memory-settings" as a pod
// runs it: the chart's `proxy.nodeOptions` (NODEMESH_BENCH_AB_NODE_OPTIONS names other options)
// and the proxy's own default (V8's memory-saving mode, proxy/v8-memory.ts;
// NODEMESH_BENCH_AB_OPTIMIZE_FOR_SIZE=false measures the options without it). wrk -c50 over HTTP/1.1 alternates between them (A B A B …, after a warm-up of
// each), so drift on a shared machine hits both alike; each run records requests/s, CPU per
// request and the highest RSS / USS of the two proxies while loaded.

import {
  measureInterleaved,
  roundRatio,
  summarizeRuns,
  type ConfigSummary,
  type MeasuredRun,
} from '../lib/interleave.ts';
import { buildDist } from '../lib/build-dist.ts';
import type { Child } from '../lib/children.ts';
import { requireTools, type LoadResult } from '../lib/load-tools.ts';
import { NODEMESH_SOURCE_BIN } from '../lib/nodemesh-pair.ts';
import { loadPath } from '../lib/pair-load.ts';
import { startPairTopology, type PairTopology } from '../lib/pair-topology.ts';
import { memorySample } from '../lib/proc.ts';
import { chartProxyNodeOptions } from '../lib/proxy-node-options.ts';
import { nodemeshBinOption, type BenchScenario } from '../lib/scenario.ts';
import { fmtRange as fmt, range, round, type Range } from '../lib/stats.ts';

export type MemoryConfig = 'node-defaults' | 'memory-settings';
const CONFIGS: readonly MemoryConfig[] = ['node-defaults', 'memory-settings'];

export interface PairMemorySettingsOptions {
  readonly nodeOptions: string;
  /** V8's memory-saving mode in the memory-settings pair (the proxy's default: on). */
  readonly optimizeForSize: boolean;
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
  readonly optimizeForSize: boolean;
  readonly client: string;
  readonly durationS: number;
  readonly repetitions: number;
  readonly layout: string;
  readonly runs: readonly MeasuredRun<MemoryConfig>[];
  readonly summary: readonly ConfigSummary<MemoryConfig>[];
  /** Per configuration: the highest RSS and USS of either proxy sampled while loaded, over all runs. */
  readonly loadedMemoryMb: Readonly<Record<MemoryConfig, { readonly rssMb: Range; readonly ussMb: Range }>>;
  /** memory-settings ÷ node-defaults within each round. */
  readonly ratios: { readonly throughput: Range; readonly cpuPerRequest: Range };
}

export async function runPairMemorySettingsBench(o: PairMemorySettingsOptions): Promise<PairMemorySettingsResult> {
  const tools = requireTools(['wrk']);
  const dist = await buildDist(o.nodemeshBin ?? NODEMESH_SOURCE_BIN);
  const topologies = new Map<MemoryConfig, PairTopology>();
  try {
    for (const c of CONFIGS) {
      const t = await startPairTopology({
        kinds: ['h1'],
        pin: o.pin,
        nodemeshBin: dist,
        proxyNodeOptions: c === 'memory-settings' ? o.nodeOptions : '',
        ...(c === 'memory-settings' && o.optimizeForSize
          ? {}
          : { proxyEnv: { NODEMESH_PROXY_OPTIMIZE_FOR_SIZE: 'false' } }),
      });
      topologies.set(c, t);
      await t.preflightPath('nodemesh-pair', 'h1');
    }
    const topo = (c: MemoryConfig): PairTopology => topologies.get(c)!;
    const peaks: Record<MemoryConfig, { rss: number[]; uss: number[] }> = {
      'node-defaults': { rss: [], uss: [] },
      'memory-settings': { rss: [], uss: [] },
    };
    const runs = await measureInterleaved<MemoryConfig>({
      configs: CONFIGS,
      repetitions: o.repetitions,
      warmupMs: o.warmupMs,
      durationMs: o.durationMs,
      load: async (config, durationMs, label) => {
        const t = topo(config);
        const loading = loadPath(tools, t.path('nodemesh-pair', 'h1'), {
          connections: o.connections,
          streams: 1,
          durationMs,
          dir: '',
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
    const summary = CONFIGS.map((c) => summarizeRuns(runs, c, topo(c).proxies('nodemesh-pair')));
    const mem = (c: MemoryConfig): { rssMb: Range; ussMb: Range } => ({
      rssMb: range(peaks[c].rss),
      ussMb: range(peaks[c].uss),
    });
    return {
      scenario: 'pair-memory-settings',
      nodeOptions: o.nodeOptions,
      optimizeForSize: o.optimizeForSize,
      client: `wrk -t1 -c${o.connections}`,
      durationS: o.durationMs / 1000,
      repetitions: o.repetitions,
      layout: topo('node-defaults').layout,
      runs,
      summary,
      loadedMemoryMb: { 'node-defaults': mem('node-defaults'), 'memory-settings': mem('memory-settings') },
      ratios: {
        throughput: roundRatio(runs, 'memory-settings', 'node-defaults', (r) => r.load.requestsPerSecond),
        cpuPerRequest: roundRatio(runs, 'memory-settings', 'node-defaults', (r) => r.proxyCpuUsPerRequest),
      },
    };
  } finally {
    for (const t of topologies.values()) await t.stop();
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
      s.config === 'memory-settings'
        ? `NODE_OPTIONS \`${r.nodeOptions}\`${r.optimizeForSize ? ', optimize-for-size' : ', no optimize-for-size'}`
        : 'none, no optimize-for-size';
    return `| ${s.config} | ${opts} | ${fmt(s.requestsPerSecond, 0)} | ${s.proxyCpuUsPerRequest === undefined ? '' : fmt(s.proxyCpuUsPerRequest, 1)} | ${fmt(s.p99Ms, 2)} | ${fmt(m.rssMb, 1)} | ${fmt(m.ussMb, 1)} | ${s.errors} |`;
  });
  return [
    `Two compiled nodemesh pairs with mTLS side by side, ${r.client} over HTTP/1.1 alternating between them (${r.repetitions} × ${r.durationS} s each, after a warm-up). Layout: ${r.layout}. Medians with [min–max] over the runs; memory: the highest RSS / USS of either proxy sampled every 250 ms while loaded.`,
    '',
    '| configuration | proxy memory settings | requests/s | proxy CPU µs per request (both) | p99 ms | loaded RSS MB | loaded USS MB | errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `memory-settings ÷ node-defaults within each round: throughput ${fmt(r.ratios.throughput, 2)}, CPU per request ${fmt(r.ratios.cpuPerRequest, 2)}.`,
  ].join('\n');
}

/** `--duration` per run (default 10 s), 5 rounds; NODEMESH_BENCH_AB_NODE_OPTIONS replaces the chart's options. */
export function pairMemorySettingsScenario(): BenchScenario {
  return {
    describe:
      "The proxy's memory settings A/B: two compiled mTLS pairs, Node's defaults against the chart's proxy.nodeOptions with V8's optimize-for-size, wrk -c50 interleaved; throughput, CPU per request and loaded memory",
    run: async ({ durationMs, concurrency }) => {
      const ab = process.env.NODEMESH_BENCH_AB_NODE_OPTIONS;
      const result = await runPairMemorySettingsBench({
        nodeOptions: ab === undefined || ab === '' ? chartProxyNodeOptions() : ab,
        optimizeForSize: process.env.NODEMESH_BENCH_AB_OPTIMIZE_FOR_SIZE !== 'false',
        durationMs,
        warmupMs: 3000,
        repetitions: 5,
        connections: concurrency ?? 50,
        pin: true,
        ...nodemeshBinOption(),
      });
      return { json: result, markdown: pairMemorySettingsMarkdown(result) };
    },
  };
}
