// The common part of the metrics whose series hold one number (counters and gauges): how such a
// series is created, exposed and snapshotted.
//
// Contract: a subclass adds only its update methods and its children (which find their series
// through Metric.seriesOf).

import { formatValue } from './exposition.ts';
import { Metric, type LabelValues, type SeriesBase, type SnapshotValue } from './metric.ts';

export interface ValueSeries extends SeriesBase {
  value: number;
}

export abstract class ValueMetric<T extends string> extends Metric<T, ValueSeries> {
  /** The series an update called as `(value?)` or `(labels, value?)` changes. */
  protected seriesOfCall(labels: LabelValues<T> | number | undefined): ValueSeries {
    return this.series(typeof labels === 'object' ? labels : undefined);
  }

  /** The value an update called as `(value?)` or `(labels, value?)` passes (undefined when none). */
  protected static valueOfCall(labels: object | number | undefined, value: number | undefined): number | undefined {
    return typeof labels === 'object' ? value : labels;
  }

  protected newSeries(key: string, values: readonly (string | undefined)[]): ValueSeries {
    return { key, values, live: true, text: undefined, value: 0 };
  }

  protected exposeSeries(s: ValueSeries, labels: string): string {
    return labels === ''
      ? `\n${this.name} ${formatValue(s.value)}`
      : `\n${this.name}{${labels}} ${formatValue(s.value)}`;
  }

  protected snapshotSeries(s: ValueSeries, labels: Record<string, string>, out: SnapshotValue[]): void {
    out.push({ labels, value: s.value });
  }
}
