// A counter: a value per series that only goes up.
//
// Contract: inc() takes a finite value >= 0 (default 1), anything else throws MetricError.
// `labels(...)` returns a child bound to one series: its inc() does no label lookup and no
// allocation. A counter without labels exposes its one series (0) from the start.

import type { ChildTarget, LabelValues, MetricOptions } from './metric.ts';
import { ValueMetric, type ValueSeries } from './value-metric.ts';
import { MetricError } from './metric-error.ts';

export interface CounterOptions<T extends string> extends MetricOptions<T> {
  /** Runs before each exposition, with `this` the counter. */
  readonly collect?: (this: Counter<T>) => void | Promise<void>;
}

/** A counter bound to one series. */
export interface CounterChild {
  inc(value?: number): void;
}

export type CounterSeries = ValueSeries;

export class Counter<T extends string = string> extends ValueMetric<T> {
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
    const v = checked(this, ValueMetric.valueOfCall(labels, value) ?? 1);
    this.seriesOfCall(labels).value += v;
  }

  labels(labels: LabelValues<T>): CounterChild {
    return new BoundCounter(this, this.target(labels));
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
    this.#counter.seriesOf(this.#target).value += v;
  }
}

/** `value` when a counter can add it: a finite number >= 0. */
function checked(counter: Counter<string>, value: number): number {
  if (!(value >= 0) || value === Number.POSITIVE_INFINITY) {
    throw new MetricError(`counter ${counter.name} cannot add ${String(value)}`, { name: counter.name, value });
  }
  return value;
}
