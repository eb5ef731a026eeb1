// Latency statistics for benchmark results: percentiles over recorded samples (nearest rank).

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

export function summarize(samplesMs: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samplesMs).sort();
  const at = (q: number): number =>
    sorted.length === 0
      ? Number.NaN
      : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    p50Ms: round(at(0.5)),
    p90Ms: round(at(0.9)),
    p99Ms: round(at(0.99)),
    p999Ms: round(at(0.999)),
    maxMs: round(sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] ?? Number.NaN)),
    meanMs: round(sorted.length === 0 ? Number.NaN : sum / sorted.length),
  };
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** The median and the spread of one figure over repetitions. */
export interface Range {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Median, min and max of the finite values (NaN when there are none). */
export function range(values: readonly number[]): Range {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const s = [...finite].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
  return { median: round(median, 3), min: s[0] ?? Number.NaN, max: s[s.length - 1] ?? Number.NaN };
}

/** `median (min–max)` for Markdown tables, `–` when there is no value. */
export function fmtRange(r: Range | undefined, digits = 1): string {
  if (r === undefined || !Number.isFinite(r.median)) return '–';
  const f = (v: number): string => v.toFixed(digits);
  return r.min === r.max ? f(r.median) : `${f(r.median)} (${f(r.min)}–${f(r.max)})`;
}
