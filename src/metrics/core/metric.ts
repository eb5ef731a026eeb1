// The shared core of Counter, Gauge and Histogram: name and label checks, registration, the
// collect callback, the series store, and the family's exposition.
//
// Contract:
// - A series is found by a key built from its label values in `labelNames` order: no sorting and
//   no hashing of label objects. Unset labels (absent or undefined) are left out of the series and
//   its output, so `{a: 'x'}` and `{a: 'x', b: undefined}` are the same series. A label name that
//   `labelNames` does not hold throws MetricError.
// - A child (`labels()`) resolves its key once and then touches its series directly. The series is
//   created at the child's first update, not by `labels()` itself, so an unused child adds no
//   output. reset() drops every series; a child whose series was dropped attaches a fresh one at
//   its next update.
// - Subclasses call reset() at the end of their constructor: a metric without labels then has its
//   one series (all zero) from the start.
// - Single-threaded; nothing here awaits except the collect callback.

import { familyHeader, formatLabelPairs } from './exposition.ts';
import { MetricError } from './metric-error.ts';
import type { Registry } from './registry.ts';

export type LabelValue = string | number;
/** Labels of one series; the keys must be among the metric's labelNames. */
export type LabelValues<T extends string> = Partial<Record<T, LabelValue | undefined>>;
export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricOptions<T extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly T[];
  /** Registries to register with. None by default: there is no global registry. */
  readonly registers?: readonly Registry[];
}

/** One sample of a MetricSnapshot, shaped as prom-client's `get()` gives it. */
export interface SnapshotValue {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
  /** Histogram samples only: `<name>_bucket`, `<name>_sum` or `<name>_count`. */
  readonly metricName?: string;
}

export interface MetricSnapshot {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly values: SnapshotValue[];
}

export interface SeriesBase {
  readonly key: string;
  /** Label values in labelNames order; undefined where unset. */
  readonly values: readonly (string | undefined)[];
  /** False once reset() dropped the series. */
  live: boolean;
  /** The formatted label pairs, computed at the first exposition. */
  text: string | undefined;
}

/** Where a child's series lives: its key and label values, and the series once created. */
export interface ChildTarget<S extends SeriesBase> {
  readonly key: string;
  readonly values: readonly (string | undefined)[];
  series: S | undefined;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export abstract class Metric<T extends string, S extends SeriesBase> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly T[];
  abstract readonly type: MetricType;
  /** The collect callback bound to the metric; subclasses set it from their options. */
  protected collector: (() => void | Promise<void>) | undefined;
  readonly #index = new Map<string, number>();
  readonly #scratch: (string | undefined)[];
  #series = new Map<string, S>();

  constructor(opts: MetricOptions<T>) {
    if (!METRIC_NAME.test(opts.name)) {
      throw new MetricError(`invalid metric name ${JSON.stringify(opts.name)}`, { name: opts.name });
    }
    if (typeof opts.help !== 'string' || opts.help === '') {
      throw new MetricError(`metric ${opts.name} has no help text`, { name: opts.name });
    }
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = Object.freeze([...(opts.labelNames ?? [])]);
    for (const [i, label] of this.labelNames.entries()) {
      if (!LABEL_NAME.test(label) || this.#index.has(label)) {
        throw new MetricError(`metric ${opts.name}: invalid or repeated label name ${JSON.stringify(label)}`, {
          name: opts.name,
          label,
        });
      }
      this.#index.set(label, i);
    }
    this.#scratch = new Array<string | undefined>(this.labelNames.length).fill(undefined);
    for (const registry of opts.registers ?? []) registry.registerMetric(this);
  }

  /** Drops every series; a metric without labels keeps one series, at zero. */
  reset(): void {
    for (const s of this.#series.values()) s.live = false;
    this.#series = new Map();
    if (this.labelNames.length === 0) this.series(undefined);
  }

  /** Runs the collect callback, if the metric has one. */
  async runCollect(): Promise<void> {
    if (this.collector !== undefined) await this.collector();
  }

  /** The family in text format (HELP, TYPE and one line per sample), without a trailing newline. */
  expose(): string {
    let out = familyHeader(this.name, this.help, this.type);
    for (const s of this.#series.values()) {
      s.text ??= formatLabelPairs(this.labelNames, s.values);
      out += this.exposeSeries(s, s.text);
    }
    return out;
  }

  /** The samples after running the collect callback, as prom-client's `get()`. */
  async get(): Promise<MetricSnapshot> {
    await this.runCollect();
    const values: SnapshotValue[] = [];
    for (const s of this.#series.values()) {
      const labels: Record<string, string> = {};
      for (let i = 0; i < this.labelNames.length; i++) {
        const value = s.values[i];
        if (value !== undefined) labels[this.labelNames[i] as string] = value;
      }
      this.snapshotSeries(s, labels, values);
    }
    return { name: this.name, help: this.help, type: this.type, values };
  }

  /** The live series of a child's target: its own, or (after a reset dropped it) a fresh one. */
  seriesOf(target: ChildTarget<S>): S {
    const own = target.series;
    if (own !== undefined && own.live) return own;
    let s = this.#series.get(target.key);
    if (s === undefined) {
      s = this.newSeries(target.key, target.values);
      this.#series.set(target.key, s);
    }
    target.series = s;
    return s;
  }

  /** The series of `labels` (undefined: no labels), created on first use. */
  protected series(labels: LabelValues<T> | undefined): S {
    const key = this.#fill(labels);
    let s = this.#series.get(key);
    if (s === undefined) {
      s = this.newSeries(key, this.#scratch.slice());
      this.#series.set(key, s);
    }
    return s;
  }

  /** A child's target for `labels`: validated and keyed now, its series created at first use. */
  protected target(labels: LabelValues<T>): ChildTarget<S> {
    const key = this.#fill(labels);
    return { key, values: Object.freeze(this.#scratch.slice()), series: undefined };
  }

  protected abstract newSeries(key: string, values: readonly (string | undefined)[]): S;
  /** The sample lines of one series, each preceded by a newline. `labels` is `a="x",b="y"` or ''. */
  protected abstract exposeSeries(s: S, labels: string): string;
  protected abstract snapshotSeries(s: S, labels: Record<string, string>, out: SnapshotValue[]): void;

  /** Writes `labels` into the scratch values in labelNames order and returns the series key. */
  #fill(labels: LabelValues<T> | undefined): string {
    const values = this.#scratch;
    const n = values.length;
    for (let i = 0; i < n; i++) values[i] = undefined;
    if (labels !== undefined) {
      for (const name in labels) {
        const i = this.#index.get(name);
        if (i === undefined) {
          throw new MetricError(`label ${JSON.stringify(name)} is not a label of metric ${this.name}`, {
            name: this.name,
            label: name,
            labelNames: this.labelNames,
          });
        }
        const value = labels[name];
        values[i] = value === undefined ? undefined : typeof value === 'string' ? value : String(value);
      }
    }
    // Each value is written as `<length>:<value>` and an unset one as `!`, so no two label sets
    // share a key whatever characters the values hold.
    let key = '';
    for (let i = 0; i < n; i++) {
      const value = values[i];
      key += value === undefined ? '!' : `${value.length}:${value}`;
    }
    return key;
  }
}
