// A registry of metrics and its text exposition (Prometheus text format 0.0.4).
//
// Contract: a metric registers itself when constructed with `registers: [registry]`; a name can be
// registered once per registry (again with the same object is a no-op; another object throws
// MetricError). metrics() first runs every collect callback (concurrently, awaiting async ones),
// then writes the families in registration order, separated by a blank line, ending with a
// newline. There is no global registry: each process and each test makes its own.

import { PROMETHEUS_CONTENT_TYPE } from './exposition.ts';
import { MetricError } from './metric-error.ts';
import type { MetricSnapshot, MetricType } from './metric.ts';

/** What a registry needs of a metric. */
export interface RegisteredMetric {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  runCollect(): Promise<void>;
  expose(): string;
  get(): Promise<MetricSnapshot>;
  reset(): void;
}

export class Registry {
  static readonly PROMETHEUS_CONTENT_TYPE = PROMETHEUS_CONTENT_TYPE;
  /** The content type of metrics(). */
  readonly contentType: string = PROMETHEUS_CONTENT_TYPE;
  readonly #metrics = new Map<string, RegisteredMetric>();

  registerMetric(metric: RegisteredMetric): void {
    const existing = this.#metrics.get(metric.name);
    if (existing !== undefined && existing !== metric) {
      throw new MetricError(`a metric named ${metric.name} is already registered`, { name: metric.name });
    }
    this.#metrics.set(metric.name, metric);
  }

  getSingleMetric(name: string): RegisteredMetric | undefined {
    return this.#metrics.get(name);
  }

  /** Resets every registered metric. */
  resetMetrics(): void {
    for (const metric of this.#metrics.values()) metric.reset();
  }

  /** The text exposition of every registered metric, after running their collect callbacks. */
  async metrics(): Promise<string> {
    const all = [...this.#metrics.values()];
    await Promise.all(all.map((m) => m.runCollect()));
    let out = '';
    for (const metric of all) out += out === '' ? metric.expose() : `\n\n${metric.expose()}`;
    return `${out}\n`;
  }
}
