// Linkerd's metric families, names, labels and buckets (shared/reference/linkerd.md §5), so that
// dashboards and alerts written for Linkerd's proxy work on ours unchanged.
//
// Our metrics library (./core) needs label names up front; Linkerd's series carry different label sets (inbound vs
// outbound, TLS vs not, dst_* labels from discovery). Each family therefore declares the union of
// its labels, and a series sets only the ones that apply: unset labels are left out of the output,
// exactly as Linkerd's proxy leaves them out.

import { Counter, Gauge, Histogram, type Registry } from './core/index.ts';

/** response_latency_ms buckets, in milliseconds. */
export const LATENCY_BUCKETS_MS: readonly number[] = Object.freeze([
  1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000, 10_000, 20_000, 30_000,
  40_000, 50_000,
]);

export const TARGET_LABELS = ['direction', 'authority', 'target_addr', 'target_ip', 'target_port'] as const;
export const TLS_LABELS = ['tls', 'server_id', 'client_id', 'no_tls_reason', 'sni'] as const;
/** Labels from discovery metadata (WeightedAddr and set labels), prefixed `dst_`. */
export const DST_LABELS = [
  'dst_service',
  'dst_namespace',
  'dst_pod',
  'dst_serviceaccount',
  'dst_deployment',
  'dst_statefulset',
  'dst_daemonset',
  'dst_replicaset',
  'dst_k8s_job',
  'dst_pod_template_hash',
  'dst_control_plane_ns',
  'dst_zone',
  'dst_zone_locality',
] as const;
/** Inbound server and authorization labels. */
export const SRV_LABELS = [
  'srv_group',
  'srv_kind',
  'srv_name',
  'srv_port',
  'authz_group',
  'authz_kind',
  'authz_name',
] as const;
export const RESPONSE_LABELS = ['status_code'] as const;
export const END_LABELS = ['classification', 'grpc_status', 'error'] as const;
export const ROUTE_LABELS = ['direction', 'dst', 'rt_route'] as const;

const HTTP_LABELS = [...TARGET_LABELS, ...TLS_LABELS, ...DST_LABELS, ...SRV_LABELS] as const;

export type HttpLabel = (typeof HTTP_LABELS)[number];
export type HttpLabels = Partial<Record<HttpLabel, string>>;

export interface HttpMetrics {
  readonly requestTotal: Counter<HttpLabel>;
  readonly responseTotal: Counter<HttpLabel | (typeof RESPONSE_LABELS)[number] | (typeof END_LABELS)[number]>;
  readonly responseLatencyMs: Histogram<HttpLabel | (typeof RESPONSE_LABELS)[number]>;
}

export function createHttpMetrics(registry: Registry): HttpMetrics {
  return {
    requestTotal: new Counter({
      name: 'request_total',
      help: 'Total count of HTTP requests.',
      labelNames: HTTP_LABELS,
      registers: [registry],
    }),
    responseTotal: new Counter({
      name: 'response_total',
      help: 'Total count of HTTP responses.',
      labelNames: [...HTTP_LABELS, ...RESPONSE_LABELS, ...END_LABELS],
      registers: [registry],
    }),
    responseLatencyMs: new Histogram({
      name: 'response_latency_ms',
      help: "Elapsed times between a request's headers being received and its response stream completing.",
      labelNames: [...HTTP_LABELS, ...RESPONSE_LABELS],
      buckets: [...LATENCY_BUCKETS_MS],
      registers: [registry],
    }),
  };
}

type RouteLabel = (typeof ROUTE_LABELS)[number];
type RouteResponseLabel = RouteLabel | (typeof RESPONSE_LABELS)[number] | (typeof END_LABELS)[number];

export interface RouteMetrics {
  readonly requestTotal: Counter<RouteLabel>;
  readonly responseTotal: Counter<RouteResponseLabel>;
  readonly responseLatencyMs: Histogram<RouteLabel | (typeof RESPONSE_LABELS)[number]>;
  readonly actualRequestTotal: Counter<RouteLabel>;
  readonly actualResponseTotal: Counter<RouteResponseLabel>;
  readonly retryableTotal: Counter<RouteLabel | 'skipped'>;
}

export function createRouteMetrics(registry: Registry): RouteMetrics {
  const responseLabels = [...ROUTE_LABELS, ...RESPONSE_LABELS, ...END_LABELS];
  return {
    requestTotal: new Counter({
      name: 'route_request_total',
      help: 'Total count of HTTP requests per ServiceProfile route.',
      labelNames: ROUTE_LABELS,
      registers: [registry],
    }),
    responseTotal: new Counter({
      name: 'route_response_total',
      help: 'Total count of HTTP responses per ServiceProfile route.',
      labelNames: responseLabels,
      registers: [registry],
    }),
    responseLatencyMs: new Histogram({
      name: 'route_response_latency_ms',
      help: 'Elapsed times per ServiceProfile route, from request headers to response end.',
      labelNames: [...ROUTE_LABELS, ...RESPONSE_LABELS],
      buckets: [...LATENCY_BUCKETS_MS],
      registers: [registry],
    }),
    actualRequestTotal: new Counter({
      name: 'route_actual_request_total',
      help: 'Total count of HTTP request attempts per route, retries included.',
      labelNames: ROUTE_LABELS,
      registers: [registry],
    }),
    actualResponseTotal: new Counter({
      name: 'route_actual_response_total',
      help: 'Total count of HTTP responses to attempts per route, retries included.',
      labelNames: responseLabels,
      registers: [registry],
    }),
    retryableTotal: new Counter({
      name: 'route_retryable_total',
      help: 'Total count of retryable failures per route; skipped="no_budget" counts retries the budget refused.',
      labelNames: [...ROUTE_LABELS, 'skipped'],
      registers: [registry],
    }),
  };
}

const TCP_LABELS = [...TARGET_LABELS, 'peer', ...TLS_LABELS, ...DST_LABELS, ...SRV_LABELS] as const;
type TcpLabel = (typeof TCP_LABELS)[number];

export interface TcpMetrics {
  readonly openTotal: Counter<TcpLabel>;
  readonly closeTotal: Counter<TcpLabel | 'classification' | 'errno'>;
  readonly openConnections: Gauge<TcpLabel>;
  readonly readBytesTotal: Counter<TcpLabel>;
  readonly writeBytesTotal: Counter<TcpLabel>;
}

export function createTcpMetrics(registry: Registry): TcpMetrics {
  return {
    openTotal: new Counter({
      name: 'tcp_open_total',
      help: 'Total count of opened connections.',
      labelNames: TCP_LABELS,
      registers: [registry],
    }),
    closeTotal: new Counter({
      name: 'tcp_close_total',
      help: 'Total count of closed connections.',
      labelNames: [...TCP_LABELS, 'classification', 'errno'],
      registers: [registry],
    }),
    openConnections: new Gauge({
      name: 'tcp_open_connections',
      help: 'Number of currently-open connections.',
      labelNames: TCP_LABELS,
      registers: [registry],
    }),
    readBytesTotal: new Counter({
      name: 'tcp_read_bytes_total',
      help: 'Total count of bytes read from peers.',
      labelNames: TCP_LABELS,
      registers: [registry],
    }),
    writeBytesTotal: new Counter({
      name: 'tcp_write_bytes_total',
      help: 'Total count of bytes written to peers.',
      labelNames: TCP_LABELS,
      registers: [registry],
    }),
  };
}

export interface IdentityCertMetrics {
  readonly expirationTimestampSeconds: Gauge;
  readonly refreshCount: Counter;
  readonly refreshFailures: Counter;
}

/** The workload side of identity: when our certificate expires and how often it was refreshed. */
export function createIdentityCertMetrics(registry: Registry): IdentityCertMetrics {
  return {
    expirationTimestampSeconds: new Gauge({
      name: 'identity_cert_expiration_timestamp_seconds',
      help: "Time when this proxy's current mTLS identity certificate will expire (in seconds since the UNIX epoch).",
      registers: [registry],
    }),
    refreshCount: new Counter({
      name: 'identity_cert_refresh_count',
      help: "The total number of times this proxy's mTLS identity certificate has been refreshed by the Identity service.",
      registers: [registry],
    }),
    refreshFailures: new Counter({
      name: 'identity_cert_refresh_failures_total',
      help: 'Certify calls that failed (identity service unreachable or refusing); the current certificate stays in use while valid.',
      registers: [registry],
    }),
  };
}
