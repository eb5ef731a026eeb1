// Linkerd's policy route metrics for Gateway API routes (ADR 0012, linkerd.md §5):
// `outbound_http_route_request_statuses_total` (one per request, by status and error) and
// `outbound_http_route_backend_requests_total` (one per backend request), without per-request
// label hashing: the route and backend label objects are compiled once per profile update
// (gateway-routing.ts), and the metric children are looked up by those objects' identity.
//
// Contract: the families are registered once per registry (createHttpRouteMetrics). The recorded
// series are exactly those of calling the families with the same labels. Children are kept in
// WeakMaps keyed by the compiled label objects, so a replaced profile's entries go with it.

import { Counter, type Registry } from '../../src/metrics/index.ts';
import type { BackendMetricLabels, RouteMetricLabels } from '../outbound/gateway-routing.ts';

const ROUTE_LABELS = [
  'parent_name',
  'parent_namespace',
  'parent_port',
  'route_kind',
  'route_name',
  'route_namespace',
] as const;

export interface HttpRouteMetrics {
  readonly requestStatuses: Counter;
  readonly backendRequests: Counter;
}

export function createHttpRouteMetrics(registry: Registry): HttpRouteMetrics {
  return {
    requestStatuses: new Counter({
      name: 'outbound_http_route_request_statuses_total',
      help: 'Completed requests per Gateway API route, by HTTP status, gRPC status and proxy error.',
      labelNames: [...ROUTE_LABELS, 'http_status', 'grpc_status', 'error'],
      registers: [registry],
    }),
    backendRequests: new Counter({
      name: 'outbound_http_route_backend_requests_total',
      help: 'Requests sent to each backend of a Gateway API route.',
      labelNames: [...ROUTE_LABELS, 'backend_name', 'backend_namespace', 'backend_port'],
      registers: [registry],
    }),
  };
}

/** What the layers use of a metric child. */
export interface CounterChild {
  inc(value?: number): void;
}

export interface RouteStatus {
  readonly status: number;
  /** Set for gRPC requests. */
  readonly grpcStatus: string | undefined;
  /** The proxy's failure kind when the proxy answered. */
  readonly error: string | undefined;
}

export class HttpRouteMetricCache {
  readonly #metrics: HttpRouteMetrics;
  readonly #statuses = new WeakMap<RouteMetricLabels, Map<string, CounterChild>>();
  readonly #backends = new WeakMap<BackendMetricLabels, CounterChild>();

  constructor(metrics: HttpRouteMetrics) {
    this.#metrics = metrics;
  }

  status(route: RouteMetricLabels, s: RouteStatus): CounterChild {
    let byStatus = this.#statuses.get(route);
    if (byStatus === undefined) {
      byStatus = new Map();
      this.#statuses.set(route, byStatus);
    }
    const key = `${s.status}|${s.grpcStatus ?? ''}|${s.error ?? ''}`;
    let child = byStatus.get(key);
    if (child === undefined) {
      child = this.#metrics.requestStatuses.labels({
        ...route,
        http_status: String(s.status),
        ...(s.grpcStatus === undefined ? {} : { grpc_status: s.grpcStatus }),
        ...(s.error === undefined ? {} : { error: s.error }),
      });
      byStatus.set(key, child);
    }
    return child;
  }

  backend(labels: BackendMetricLabels): CounterChild {
    let child = this.#backends.get(labels);
    if (child === undefined) {
      child = this.#metrics.backendRequests.labels({ ...labels });
      this.#backends.set(labels, child);
    }
    return child;
  }
}
