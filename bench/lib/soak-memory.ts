// Memory over time for the soak: RSS of named processes from /proc/<pid>/status (VmRSS), sampled
// on a fixed interval, plus the V8 heap in use of processes with a Prometheus /metrics
// (nodejs_heap_size_used_bytes), and the least-squares slope of each series after
// the warm-up, in MB per minute.

import { findSamples, parsePrometheusText } from '../../src/metrics/index.ts';
import { memoryMb } from './proc.ts';
import { round } from './stats.ts';

export interface WatchedProcess {
  readonly name: string;
  readonly pid: number;
  /** http://host:port of its admin server, when it has /metrics. */
  readonly admin?: string;
}

export interface MemoryPoint {
  /** Seconds since the sampling started. */
  readonly t: number;
  readonly rssMb: number;
  /** V8 heap in use, MB (NaN without /metrics). */
  readonly heapMb: number;
}

export interface MemoryTrend {
  readonly name: string;
  readonly pid: number;
  /** RSS at the first sample at or after the warm-up's end. */
  readonly rssAtWarmupMb: number;
  readonly rssEndMb: number;
  readonly rssMaxMb: number;
  /** Least-squares slope of RSS over the samples after the warm-up. */
  readonly rssSlopeMbPerMin: number;
  readonly heapAtWarmupMb: number;
  readonly heapEndMb: number;
  readonly heapSlopeMbPerMin: number;
  readonly samplesAfterWarmup: number;
}

/** Least-squares slope of y over x (NaN with fewer than two points or no spread in x). */
export function leastSquaresSlope(points: readonly { x: number; y: number }[]): number {
  const finite = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const n = finite.length;
  if (n < 2) return Number.NaN;
  const mx = finite.reduce((a, p) => a + p.x, 0) / n;
  const my = finite.reduce((a, p) => a + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of finite) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

/** The trend of one process's series after `warmupS` seconds. */
export function memoryTrend(p: WatchedProcess, series: readonly MemoryPoint[], warmupS: number): MemoryTrend {
  const after = series.filter((s) => s.t >= warmupS);
  const first = after[0];
  const last = after[after.length - 1];
  const slope = (f: (s: MemoryPoint) => number): number =>
    round(leastSquaresSlope(after.map((s) => ({ x: s.t / 60, y: f(s) }))), 3);
  return {
    name: p.name,
    pid: p.pid,
    rssAtWarmupMb: round(first?.rssMb ?? Number.NaN, 1),
    rssEndMb: round(last?.rssMb ?? Number.NaN, 1),
    rssMaxMb: round(Math.max(...after.map((s) => s.rssMb)), 1),
    rssSlopeMbPerMin: slope((s) => s.rssMb),
    heapAtWarmupMb: round(first?.heapMb ?? Number.NaN, 1),
    heapEndMb: round(last?.heapMb ?? Number.NaN, 1),
    heapSlopeMbPerMin: slope((s) => s.heapMb),
    samplesAfterWarmup: after.length,
  };
}

/** Samples every process every `intervalMs` until stop(). */
export class MemorySampler {
  readonly #processes: readonly WatchedProcess[];
  readonly #intervalMs: number;
  readonly #series = new Map<string, MemoryPoint[]>();
  #timer: NodeJS.Timeout | undefined;
  #startedAt = 0;
  #sampling: Promise<void> = Promise.resolve();

  constructor(o: { processes: readonly WatchedProcess[]; intervalMs: number }) {
    this.#processes = o.processes;
    this.#intervalMs = o.intervalMs;
    for (const p of o.processes) this.#series.set(p.name, []);
  }

  start(): void {
    this.#startedAt = performance.now();
    this.#sampling = this.#sample();
    this.#timer = setInterval(() => {
      this.#sampling = this.#sampling.then(() => this.#sample());
    }, this.#intervalMs);
  }

  /** Takes a last sample and stops. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#sampling;
    await this.#sample();
  }

  series(name: string): readonly MemoryPoint[] {
    return this.#series.get(name) ?? [];
  }

  trends(warmupS: number): MemoryTrend[] {
    return this.#processes.map((p) => memoryTrend(p, this.series(p.name), warmupS));
  }

  async #sample(): Promise<void> {
    const t = round((performance.now() - this.#startedAt) / 1000, 1);
    await Promise.all(
      this.#processes.map(async (p) => {
        const rssMb = round(memoryMb(p.pid).rssMb, 1);
        const heapMb = p.admin === undefined ? Number.NaN : await heapUsedMb(p.admin);
        this.#series.get(p.name)?.push({ t, rssMb, heapMb });
      }),
    );
  }
}

/** nodejs_heap_size_used_bytes from `${admin}/metrics`, MB; NaN when unavailable. */
async function heapUsedMb(admin: string): Promise<number> {
  try {
    const res = await fetch(`${admin}/metrics`, { signal: AbortSignal.timeout(3000) });
    const [sample] = findSamples(parsePrometheusText(await res.text()), 'nodejs_heap_size_used_bytes');
    return sample === undefined ? Number.NaN : round(sample.value / 2 ** 20, 1);
  } catch {
    return Number.NaN;
  }
}
