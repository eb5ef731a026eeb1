// A counter: a value per series that only goes up.
//
// Contract: inc() takes a finite value >= 0 (default 1), anything else throws MetricError.
// `labels(...)` returns a child bound to one series: its inc() does no label lookup and no
// allocation. A counter without labels exposes its one series (0) from the start.

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

export interface CounterOptions<T extends string> extends MetricOptions<T> {
  /** Runs before each exposition, with `this` the counter. */
  readonly collect?: (this: Counter<T>) => void | Promise<void>;
}

/** A counter bound to one series. */
export interface CounterChild {
  inc(value?: number): void;
}

export interface CounterSeries extends SeriesBase {
  value: number;
}

export class Counter<T extends string = string> extends Metric<T, CounterSeries> {
  readonly type = 'counter';

  constructor(opts: CounterOptions<T>) {
    super(opts);
    const collect = opts.collect;
    this.collector = collect === undefined ? undefined : () => collect.call(this);
    this.reset();
  }

  /** Adds `value` (default 1) to the series of `labels`, or to the series without labels. */
  inc(value?: number): void;
  inc(labels: LabelValues<T>, value?: number): void;
  inc(labels?: LabelValues<T> | number, value?: number): void {
    if (typeof labels === 'object') {
      const v = checked(this, value ?? 1);
      this.series(labels).value += v;
    } else {
      const v = checked(this, labels ?? 1);
      this.series(undefined).value += v;
    }
  }

  labels(labels: LabelValues<T>): CounterChild {
    return new BoundCounter(this, this.target(labels));
  }

  /** The live series of a child's target; for BoundCounter. */
  seriesOf(target: ChildTarget<CounterSeries>): CounterSeries {
    return this.attach(target);
  }

  protected newSeries(key: string, values: readonly (string | undefined)[]): CounterSeries {
    return { key, values, live: true, text: undefined, value: 0 };
  }

  protected exposeSeries(s: CounterSeries, labels: string): string {
    return labels === ''
      ? `\n${this.name} ${formatValue(s.value)}`
      : `\n${this.name}{${labels}} ${formatValue(s.value)}`;
  }

  protected snapshotSeries(s: CounterSeries, labels: Record<string, string>, out: SnapshotValue[]): void {
    out.push({ labels, value: s.value });
  }
}

class BoundCounter implements CounterChild {
  readonly #counter: Counter<string>;
  readonly #target: ChildTarget<CounterSeries>;

  constructor(counter: Counter<string>, target: ChildTarget<CounterSeries>) {
    this.#counter = counter;
    this.#target = target;
  }

  inc(value = 1): void {
    const v = checked(this.#counter, value);
    let s = this.#target.series;
    if (s === undefined || !s.live) s = this.#counter.seriesOf(this.#target);
    s.value += v;
  }
}

/** `value` when a counter can add it: a finite number >= 0. */
function checked(counter: Counter<string>, value: number): number {
  if (!(value >= 0) || value === Number.POSITIVE_INFINITY) {
    throw new MetricError(`counter ${counter.name} cannot add ${String(value)}`, { name: counter.name, value });
  }
  return value;
}
