// Interleaved measurement of several configurations (A B C A B C …, so drift on a shared machine
// hits every configuration alike), with each run's cost taken from the processes' own accounting:
// CPU seconds from /proc/<pid>/stat of the proxies and the upstream, divided by the requests the
// load generator completed, and an optional counter (connections between the proxies) sampled
// around each run. Summaries give the median and the spread over repetitions; ratios are taken
// within a round (configuration ÷ reference in the same repetition), then summarised.

import type { Child } from './children.ts';
import type { LoadResult } from './load-tools.ts';
import { cpuSeconds, memoryMb } from './proc.ts';
import { range, round, type Range } from './stats.ts';

export interface InterleaveSpec<C extends string> {
  readonly configs: readonly C[];
  readonly repetitions: number;
  /** Unmeasured load on each configuration before the first repetition (JIT, pools, caches). */
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Runs the load generator against a configuration. */
  readonly load: (config: C, durationMs: number, label: string) => Promise<LoadResult>;
  /** The processes whose CPU is the configuration's cost (e.g. both proxies of a pair). */
  readonly proxies: (config: C) => readonly Child[];
  readonly upstream?: Child;
  /** A counter sampled before and after each run (e.g. TLS handshakes between proxies); NaN if none. */
  readonly counter?: (config: C) => Promise<number>;
}

export interface MeasuredRun<C extends string> {
  readonly config: C;
  readonly repetition: number;
  readonly load: LoadResult;
  readonly elapsedS: number;
  /** CPU µs per request of all the configuration's proxies together; undefined without proxies. */
  readonly proxyCpuUsPerRequest: number | undefined;
  /** The same per proxy, in the order of `proxies(config)`. */
  readonly proxyCpuUsPerRequestEach: readonly number[];
  /** Cores the proxies used together while measured (1 = one whole core). */
  readonly proxyCoreUse: number | undefined;
  readonly upstreamCpuUsPerRequest: number | undefined;
  /** The counter's increase during the run, and per request. */
  readonly counted: number | undefined;
  readonly countedPerRequest: number | undefined;
  /**
   * The counter's increase in the run's steady window (from 25 % to 85 % of its duration, so
   * neither the ramp-up nor the previous run's end is in it), and per request in that window
   * (requests estimated from the run's rate).
   */
  readonly countedSteady: number | undefined;
  readonly steadyRequests: number | undefined;
  readonly countedSteadyPerRequest: number | undefined;
}

const STEADY_FROM = 0.25;
const STEADY_TO = 0.85;

export async function measureInterleaved<C extends string>(spec: InterleaveSpec<C>): Promise<MeasuredRun<C>[]> {
  if (spec.warmupMs > 0) for (const config of spec.configs) await spec.load(config, spec.warmupMs, 'warmup');
  const runs: MeasuredRun<C>[] = [];
  for (let rep = 1; rep <= spec.repetitions; rep++) {
    for (const config of spec.configs) {
      const procs = spec.proxies(config);
      const c0 = spec.counter === undefined ? Number.NaN : await spec.counter(config);
      const p0 = procs.map((p) => cpuSeconds(p.pid));
      const u0 = spec.upstream === undefined ? Number.NaN : cpuSeconds(spec.upstream.pid);
      const t0 = performance.now();
      const loading = spec.load(config, spec.durationMs, `${config}-${rep}`);
      const steady = steadyWindow(spec, config, t0);
      const load = await loading;
      const elapsedS = (performance.now() - t0) / 1000;
      const { counted: countedSteady, seconds: steadyS } = await steady;
      const p1 = procs.map((p) => cpuSeconds(p.pid));
      const u1 = spec.upstream === undefined ? Number.NaN : cpuSeconds(spec.upstream.pid);
      const c1 = spec.counter === undefined ? Number.NaN : await spec.counter(config);
      // The processes' CPU covers every request of the run, a generator's lead-in included.
      const n = Math.max(1, load.served ?? load.requests);
      const each = procs.map((_, i) => round((((p1[i] ?? 0) - (p0[i] ?? 0)) * 1e6) / n, 2));
      const cpuTotal = procs.reduce((a, _, i) => a + (p1[i] ?? 0) - (p0[i] ?? 0), 0);
      const counted = Number.isFinite(c0) && Number.isFinite(c1) ? c1 - c0 : undefined;
      runs.push({
        config,
        repetition: rep,
        load,
        elapsedS: round(elapsedS),
        proxyCpuUsPerRequest: procs.length === 0 ? undefined : round((cpuTotal * 1e6) / n, 2),
        proxyCpuUsPerRequestEach: each,
        proxyCoreUse: procs.length === 0 ? undefined : round(cpuTotal / elapsedS, 2),
        upstreamCpuUsPerRequest: Number.isFinite(u0) ? round(((u1 - u0) * 1e6) / n, 2) : undefined,
        counted,
        countedPerRequest: counted === undefined ? undefined : round(counted / n, 6),
        countedSteady,
        steadyRequests: countedSteady === undefined ? undefined : Math.round(load.requestsPerSecond * steadyS),
        countedSteadyPerRequest:
          countedSteady === undefined
            ? undefined
            : round(countedSteady / Math.max(1, load.requestsPerSecond * steadyS), 6),
      });
    }
  }
  return runs;
}

/** Samples the counter at 25 % and 85 % of a run that started at `t0`. */
async function steadyWindow<C extends string>(
  spec: InterleaveSpec<C>,
  config: C,
  t0: number,
): Promise<{ counted: number | undefined; seconds: number }> {
  const counter = spec.counter;
  if (counter === undefined) return { counted: undefined, seconds: 0 };
  const at = async (share: number): Promise<{ value: number; t: number }> => {
    const wait = t0 + share * spec.durationMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    return { value: await counter(config), t: performance.now() };
  };
  const a = await at(STEADY_FROM);
  const b = await at(STEADY_TO);
  const counted = Number.isFinite(a.value) && Number.isFinite(b.value) ? b.value - a.value : undefined;
  return { counted, seconds: (b.t - a.t) / 1000 };
}

export interface ConfigSummary<C extends string> {
  readonly config: C;
  readonly requestsPerSecond: Range;
  readonly proxyCpuUsPerRequest: Range | undefined;
  /** Per proxy (client side, server side), medians. */
  readonly proxyCpuUsPerRequestEach: readonly Range[];
  readonly proxyCoreUse: Range | undefined;
  readonly upstreamCpuUsPerRequest: Range | undefined;
  readonly p50Ms: Range;
  readonly p90Ms: Range;
  readonly p99Ms: Range;
  readonly p999Ms: Range;
  /** Peak RSS (VmHWM) of each proxy at the end of the runs, MB. */
  readonly peakRssMb: readonly number[];
  readonly errors: number;
  readonly requests: number;
  /** The counter's total increase over the measured runs, and per request. */
  readonly counted: number | undefined;
  readonly countedPerRequest: number | undefined;
  /** The same within the runs' steady windows (see MeasuredRun). */
  readonly countedSteady: number | undefined;
  readonly countedSteadyPerRequest: number | undefined;
}

export function summarizeRuns<C extends string>(
  runs: readonly MeasuredRun<C>[],
  config: C,
  procs: readonly Child[],
): ConfigSummary<C> {
  const mine = runs.filter((r) => r.config === config);
  const defined = (xs: readonly (number | undefined)[]): number[] => xs.filter((v): v is number => v !== undefined);
  const maybe = (xs: readonly (number | undefined)[]): Range | undefined =>
    defined(xs).length === 0 ? undefined : range(defined(xs));
  const requests = mine.reduce((a, r) => a + r.load.requests, 0);
  const counts = defined(mine.map((r) => r.counted));
  const counted = counts.length === 0 ? undefined : counts.reduce((a, b) => a + b, 0);
  const steady = defined(mine.map((r) => r.countedSteady));
  const countedSteady = steady.length === 0 ? undefined : steady.reduce((a, b) => a + b, 0);
  const steadyRequests = mine.reduce((a, r) => a + (r.steadyRequests ?? 0), 0);
  return {
    config,
    requestsPerSecond: range(mine.map((r) => r.load.requestsPerSecond)),
    proxyCpuUsPerRequest: maybe(mine.map((r) => r.proxyCpuUsPerRequest)),
    proxyCpuUsPerRequestEach: procs.map((_, i) => range(mine.map((r) => r.proxyCpuUsPerRequestEach[i] ?? Number.NaN))),
    proxyCoreUse: maybe(mine.map((r) => r.proxyCoreUse)),
    upstreamCpuUsPerRequest: maybe(mine.map((r) => r.upstreamCpuUsPerRequest)),
    p50Ms: range(mine.map((r) => r.load.latencyMs.p50)),
    p90Ms: range(mine.map((r) => r.load.latencyMs.p90)),
    p99Ms: range(mine.map((r) => r.load.latencyMs.p99)),
    p999Ms: range(mine.map((r) => r.load.latencyMs.p999 ?? Number.NaN)),
    peakRssMb: procs.map((p) => round(memoryMb(p.pid).peakRssMb, 1)),
    errors: mine.reduce((a, r) => a + r.load.errors, 0),
    requests,
    counted,
    countedPerRequest: counted === undefined ? undefined : round(counted / Math.max(1, requests), 6),
    countedSteady,
    countedSteadyPerRequest:
      countedSteady === undefined ? undefined : round(countedSteady / Math.max(1, steadyRequests), 6),
  };
}

/** `f(run of a) ÷ f(run of b)` within each repetition, summarised. */
export function roundRatio<C extends string>(
  runs: readonly MeasuredRun<C>[],
  a: C,
  b: C,
  f: (r: MeasuredRun<C>) => number | undefined,
): Range {
  const reps = [...new Set(runs.map((r) => r.repetition))];
  return range(
    reps.map((rep) => {
      const x = runs.find((r) => r.repetition === rep && r.config === a);
      const y = runs.find((r) => r.repetition === rep && r.config === b);
      const fx = x === undefined ? undefined : f(x);
      const fy = y === undefined ? undefined : f(y);
      return fx === undefined || fy === undefined ? Number.NaN : round(fx / fy);
    }),
  );
}

/** `f(run of a) − f(run of b)` within each repetition, summarised (added latency). */
export function roundDifference<C extends string>(
  runs: readonly MeasuredRun<C>[],
  a: C,
  b: C,
  f: (r: MeasuredRun<C>) => number | undefined,
): Range {
  const reps = [...new Set(runs.map((r) => r.repetition))];
  return range(
    reps.map((rep) => {
      const x = runs.find((r) => r.repetition === rep && r.config === a);
      const y = runs.find((r) => r.repetition === rep && r.config === b);
      const fx = x === undefined ? undefined : f(x);
      const fy = y === undefined ? undefined : f(y);
      return fx === undefined || fy === undefined ? Number.NaN : round(fx - fy);
    }),
  );
}
