// A gauge: a value per series that can be set, raised and lowered.
//
// Contract: set/inc/dec take any number (NaN and infinities included, as gauges may report them);
// a value that is not a number throws MetricError. `labels(...)` returns a child bound to one
// series. A gauge without labels exposes its one series (0) from the start. A collect callback
// (with `this` the gauge) typically set()s the current values just before each exposition.

import type { ChildTarget, LabelValues, MetricOptions } from './metric.ts';
import { ValueMetric, type ValueSeries } from './value-metric.ts';
import { MetricError } from './metric-error.ts';

export interface GaugeOptions<T extends string> extends MetricOptions<T> {
  /** Runs before each exposition, with `this` the gauge. */
  readonly collect?: (this: Gauge<T>) => void | Promise<void>;
}

/** A gauge bound to one series. */
export interface GaugeChild {
  set(value: number): void;
  inc(value?: number): void;
  dec(value?: number): void;
}

export type GaugeSeries = ValueSeries;

export class Gauge<T extends string = string> extends ValueMetric<T> {
  readonly type = 'gauge';

  constructor(opts: GaugeOptions<T>) {
    super(opts);
    const collect = opts.collect;
    this.collector = collect === undefined ? undefined : () => collect.call(this);
    this.reset();
  }

  set(value: number): void;
  set(labels: LabelValues<T>, value: number): void;
  set(labels: LabelValues<T> | number, value?: number): void {
    const v = checked(this, ValueMetric.valueOfCall(labels, value));
    this.seriesOfCall(labels).value = v;
  }

  inc(value?: number): void;
  inc(labels: LabelValues<T>, value?: number): void;
  inc(labels?: LabelValues<T> | number, value?: number): void {
    const v = checked(this, ValueMetric.valueOfCall(labels, value) ?? 1);
    this.seriesOfCall(labels).value += v;
  }

  dec(value?: number): void;
  dec(labels: LabelValues<T>, value?: number): void;
  dec(labels?: LabelValues<T> | number, value?: number): void {
    const v = checked(this, ValueMetric.valueOfCall(labels, value) ?? 1);
    this.seriesOfCall(labels).value -= v;
  }

  labels(labels: LabelValues<T>): GaugeChild {
    return new BoundGauge(this, this.target(labels));
  }
}

class BoundGauge implements GaugeChild {
  readonly #gauge: Gauge<string>;
  readonly #target: ChildTarget<GaugeSeries>;

  constructor(gauge: Gauge<string>, target: ChildTarget<GaugeSeries>) {
    this.#gauge = gauge;
    this.#target = target;
  }

  set(value: number): void {
    const v = checked(this.#gauge, value);
    this.#live().value = v;
  }

  inc(value = 1): void {
    const v = checked(this.#gauge, value);
    this.#live().value += v;
  }

  dec(value = 1): void {
    const v = checked(this.#gauge, value);
    this.#live().value -= v;
  }

  #live(): GaugeSeries {
    return this.#gauge.seriesOf(this.#target);
  }
}

function checked(gauge: Gauge<string>, value: unknown): number {
  if (typeof value !== 'number') {
    throw new MetricError(`gauge ${gauge.name} takes numbers, not ${typeof value}`, { name: gauge.name });
  }
  return value;
}
