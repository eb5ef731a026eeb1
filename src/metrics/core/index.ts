// Public surface of src/metrics/core: a small Prometheus metrics library with the subset of
// prom-client's API that nodemesh uses (ADR 0015). Import from here, never from the files.
export { Registry, type RegisteredMetric } from './registry.ts';
export { Counter, type CounterChild, type CounterOptions } from './counter.ts';
export { Gauge, type GaugeChild, type GaugeOptions } from './gauge.ts';
export { Histogram, DEFAULT_BUCKETS, type HistogramChild, type HistogramOptions } from './histogram.ts';
export { collectDefaultMetrics, type DefaultMetricsOptions } from './default-metrics.ts';
export { PROMETHEUS_CONTENT_TYPE } from './exposition.ts';
export { MetricError } from './metric-error.ts';
export type { LabelValue, LabelValues, MetricSnapshot, MetricType, SnapshotValue } from './metric.ts';
