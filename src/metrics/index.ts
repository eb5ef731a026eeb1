// Public surface of src/metrics.
export {
  Registry,
  Counter,
  Gauge,
  Histogram,
  MetricError,
  PROMETHEUS_CONTENT_TYPE,
  type CounterChild,
  type GaugeChild,
  type HistogramChild,
  type LabelValues,
  type MetricSnapshot,
} from './core/index.ts';
export { createRegistry, exposition, type CreateRegistryOptions } from './registry.ts';
export {
  LATENCY_BUCKETS_MS,
  TARGET_LABELS,
  TLS_LABELS,
  DST_LABELS,
  SRV_LABELS,
  ROUTE_LABELS,
  createHttpMetrics,
  createRouteMetrics,
  createTcpMetrics,
  createIdentityCertMetrics,
  type HttpMetrics,
  type HttpLabels,
  type RouteMetrics,
  type TcpMetrics,
  type IdentityCertMetrics,
} from './families.ts';
export {
  parsePrometheusText,
  sumSamples,
  findSamples,
  type Sample,
  type MetricFamily,
  type ParsedMetrics,
} from './parse-text.ts';
