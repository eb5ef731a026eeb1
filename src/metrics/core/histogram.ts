// A histogram: per series, counts of observations in buckets with upper bounds `buckets`, their sum
// and their count, exposed as `<name>_bucket{le=…}` (cumulative, ending with le="+Inf"),
// `<name>_sum` and `<name>_count`.
//
// Contract: buckets are finite and strictly increasing (default: prom-client's
// 0.005 … 10); `le` cannot be a label name. An observation equal to a bound counts in that bound's
// bucket. observe() takes finite numbers only, anything else throws MetricError. A child
// (`labels(...)`) finds the bucket with a loop over a Float64Array of bounds and adds to a typed
// array of counts: no allocation per observation. A histogram without labels exposes its one
// series (all zero) from the start.

import { formatValue } from './exposition.ts';
import {
  Metric,
  type ChildTarget,
  type LabelValues,
  type MetricOptions,
  type SeriesBase,
  type SnapshotValue,
} from './metric.ts';
import { MetricError } from './metric-error.ts';

export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

export interface HistogramOptions<T extends string> extends MetricOptions<T> {
  /** Upper bounds of the buckets, increasing; +Inf is implied. */
  readonly buckets?: readonly number[];
  /** Runs before each exposition, with `this` the histogram. */
  readonly collect?: (this: Histogram<T>) => void | Promise<void>;
}

/** A histogram bound to one series. */
export interface HistogramChild {
  observe(value: number): void;
}

export interface HistogramSeries extends SeriesBase {
  /** Observations per bucket (not cumulative); those above the last bound are only in `count`. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export class Histogram<T extends string = string> extends Metric<T, HistogramSeries> {
  readonly type = 'histogram';
  readonly #bounds: Float64Array;
  /** `le` label values of the bounds, as exposed. */
  readonly #le: readonly string[];

  constructor(opts: HistogramOptions<T>) {
    super(opts);
    if (this.labelNames.includes('le' as T)) {
      throw new MetricError(`histogram ${this.name}: le is a reserved label name`, { name: this.name });
    }
    const buckets = opts.buckets ?? DEFAULT_BUCKETS;
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i] as number;
      if (!Number.isFinite(b) || (i > 0 && b <= (buckets[i - 1] as number))) {
        throw new MetricError(`histogram ${this.name}: buckets must be finite and increasing`, {
          name: this.name,
          buckets,
        });
      }
    }
    this.#bounds = Float64Array.from(buckets);
    this.#le = buckets.map(formatValue);
    const collect = opts.collect;
    this.collector = collect === undefined ? undefined : () => collect.call(this);
    this.reset();
  }

  observe(value: number): void;
  observe(labels: LabelValues<T>, value: number): void;
  observe(labels: LabelValues<T> | number, value?: number): void {
    if (typeof labels === 'object') {
      const v = checked(this, value);
      this.record(this.series(labels), v);
    } else {
      const v = checked(this, labels);
      this.record(this.series(undefined), v);
    }
  }

  labels(labels: LabelValues<T>): HistogramChild {
    return new BoundHistogram(this, this.target(labels));
  }

  /** Adds a checked observation to `s`. */
  record(s: HistogramSeries, value: number): void {
    const bounds = this.#bounds;
    const n = bounds.length;
    let i = 0;
    while (i < n && value > (bounds[i] as number)) i++;
    if (i < n) s.counts[i] = (s.counts[i] as number) + 1;
    s.sum += value;
    s.count++;
  }

  protected newSeries(key: string, values: readonly (string | undefined)[]): HistogramSeries {
    return {
      key,
      values,
      live: true,
      text: undefined,
      counts: new Float64Array(this.#bounds.length),
      sum: 0,
      count: 0,
    };
  }

  protected exposeSeries(s: HistogramSeries, labels: string): string {
    const bucket = labels === '' ? `\n${this.name}_bucket{le="` : `\n${this.name}_bucket{${labels},le="`;
    let out = '';
    let cumulative = 0;
    for (let i = 0; i < this.#le.length; i++) {
      cumulative += s.counts[i] as number;
      out += `${bucket}${this.#le[i] as string}"} ${formatValue(cumulative)}`;
    }
    out += `${bucket}+Inf"} ${formatValue(s.count)}`;
    const braces = labels === '' ? '' : `{${labels}}`;
    out += `\n${this.name}_sum${braces} ${formatValue(s.sum)}`;
    out += `\n${this.name}_count${braces} ${formatValue(s.count)}`;
    return out;
  }

  protected snapshotSeries(s: HistogramSeries, labels: Record<string, string>, out: SnapshotValue[]): void {
    let cumulative = 0;
    for (let i = 0; i < this.#bounds.length; i++) {
      cumulative += s.counts[i] as number;
      out.push({
        labels: { ...labels, le: this.#bounds[i] as number },
        value: cumulative,
        metricName: `${this.name}_bucket`,
      });
    }
    out.push({ labels: { ...labels, le: '+Inf' }, value: s.count, metricName: `${this.name}_bucket` });
    out.push({ labels, value: s.sum, metricName: `${this.name}_sum` });
    out.push({ labels, value: s.count, metricName: `${this.name}_count` });
  }
}

class BoundHistogram implements HistogramChild {
  readonly #histogram: Histogram<string>;
  readonly #target: ChildTarget<HistogramSeries>;

  constructor(histogram: Histogram<string>, target: ChildTarget<HistogramSeries>) {
    this.#histogram = histogram;
    this.#target = target;
  }

  observe(value: number): void {
    const v = checked(this.#histogram, value);
    this.#histogram.record(this.#histogram.seriesOf(this.#target), v);
  }
}

function checked(histogram: Histogram<string>, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new MetricError(`histogram ${histogram.name} cannot observe ${String(value)}`, { name: histogram.name });
  }
  return value;
}
