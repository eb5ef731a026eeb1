// The arithmetic of `nodemesh routes`, pure: reduce one scrape of a proxy's /metrics to per-route
// totals (ServiceProfile routes and Gateway API routes), then turn two such snapshots taken a window
// apart into success rate, requests per second, retried (actual) requests per second and latency
// quantiles, with the counter, rate and quantile helpers of `nodemesh stat` (stat-math.ts).
//
// Contract: nothing here does I/O or reads the clock. A value with no data behind it is `undefined`,
// never NaN or 0; a counter that went down between the scrapes counts from zero (counterDelta).
// ServiceProfile requests that matched no route (no rt_route label) are the route `[default]`.
// Gateway API routes have no latency histogram and no per-attempt counter: those stay undefined.

import type { ParsedMetrics, Sample } from '../../metrics/index.ts';
import {
  addBuckets,
  bucketDeltas,
  counterDelta,
  histogramQuantile,
  perSecond,
  ratio,
  sumBuckets,
  type Bucket,
} from '../stat/stat-math.ts';

export const DEFAULT_ROUTE = '[default]';

/** `serviceprofile`: route_* families by dst and rt_route; `gateway`: outbound_http_route_*. */
export type RouteSource = 'serviceprofile' | 'gateway';

/** Which route a series belongs to. */
export interface RouteKey {
  readonly source: RouteSource;
  /** rt_route (or [default]), or the Gateway API route's name. */
  readonly route: string;
  /** dst, or the Gateway API parent as name.namespace[:port]. */
  readonly service: string;
  /** Gateway API only: the route's kind (HTTPRoute, GRPCRoute) and namespace. */
  readonly routeKind?: string;
  readonly routeNamespace?: string;
}

/** The totals of one route in one scrape. */
export interface RouteTotals extends RouteKey {
  readonly requests: number;
  /** Attempts, retries included (ServiceProfile routes only). */
  readonly actualRequests: number | undefined;
  readonly responses: number;
  readonly successes: number;
  /** Cumulative latency buckets summed over the route's label sets (empty for Gateway API routes). */
  readonly latencyBuckets: readonly Bucket[];
}

/** Per-route totals of one scrape, by routeId. */
export type RouteSnapshot = ReadonlyMap<string, RouteTotals>;

/** What `nodemesh routes` reports for one route over the window. */
export interface RouteStats extends RouteKey {
  /** Successful responses ÷ all responses in the window, 0..1. */
  readonly successRate: number | undefined;
  readonly requestsPerSecond: number;
  /** Attempts per second, retries included; above requestsPerSecond when retries happen. */
  readonly actualRequestsPerSecond: number | undefined;
  readonly latencyMsP50: number | undefined;
  readonly latencyMsP95: number | undefined;
  readonly latencyMsP99: number | undefined;
  readonly requests: number;
  readonly responses: number;
}

const SP = {
  requests: 'route_request_total',
  actual: 'route_actual_request_total',
  responses: 'route_response_total',
  latency: 'route_response_latency_ms_bucket',
} as const;
const GATEWAY_STATUSES = 'outbound_http_route_request_statuses_total';

/** A stable identity of a route across scrapes. */
export function routeId(key: RouteKey): string {
  return [key.source, key.service, key.routeNamespace ?? '', key.routeKind ?? '', key.route].join('\u0000');
}

/** True when a Gateway API route's request counts as a success: no 5xx, gRPC OK (if gRPC), no proxy error. */
export function isGatewaySuccess(labels: Readonly<Record<string, string>>): boolean {
  const status = Number(labels.http_status);
  const grpc = labels.grpc_status ?? '';
  const error = labels.error ?? '';
  return Number.isFinite(status) && status < 500 && (grpc === '' || grpc === '0') && error === '';
}

/** Reduces one parsed scrape to per-route totals. */
export function routeSnapshotOf(metrics: ParsedMetrics): RouteSnapshot {
  interface Acc {
    key: RouteKey;
    requests: number;
    actualRequests: number | undefined;
    responses: number;
    successes: number;
    buckets: Sample[];
  }
  const routes = new Map<string, Acc>();
  const acc = (key: RouteKey): Acc => {
    const id = routeId(key);
    let a = routes.get(id);
    if (a === undefined) {
      a = { key, requests: 0, actualRequests: undefined, responses: 0, successes: 0, buckets: [] };
      routes.set(id, a);
    }
    return a;
  };

  for (const s of metrics.samples) {
    switch (s.name) {
      case SP.requests:
        acc(profileKey(s)).requests += s.value;
        break;
      case SP.actual: {
        const a = acc(profileKey(s));
        a.actualRequests = (a.actualRequests ?? 0) + s.value;
        break;
      }
      case SP.responses: {
        const a = acc(profileKey(s));
        a.responses += s.value;
        if (s.labels.classification === 'success') a.successes += s.value;
        break;
      }
      case SP.latency:
        acc(profileKey(s)).buckets.push(s);
        break;
      case GATEWAY_STATUSES: {
        const a = acc(gatewayKey(s));
        a.requests += s.value;
        a.responses += s.value;
        if (isGatewaySuccess(s.labels)) a.successes += s.value;
        break;
      }
      default:
        break;
    }
  }

  const snapshot = new Map<string, RouteTotals>();
  for (const [id, a] of routes) {
    // A profile route always has an actual-request series once the proxy counts attempts; before
    // its first attempt, 0 attempts is the truth.
    const actualRequests = a.key.source === 'serviceprofile' ? (a.actualRequests ?? 0) : undefined;
    snapshot.set(id, {
      ...a.key,
      requests: a.requests,
      actualRequests,
      responses: a.responses,
      successes: a.successes,
      latencyBuckets: sumBuckets(a.buckets),
    });
  }
  return snapshot;
}

function profileKey(s: Sample): RouteKey {
  const route = s.labels.rt_route ?? '';
  return { source: 'serviceprofile', route: route === '' ? DEFAULT_ROUTE : route, service: s.labels.dst ?? '' };
}

function gatewayKey(s: Sample): RouteKey {
  const { parent_name: name = '', parent_namespace: ns = '', parent_port: port = '' } = s.labels;
  const parent = ns === '' ? name : `${name}.${ns}`;
  return {
    source: 'gateway',
    route: s.labels.route_name ?? '',
    service: port === '' ? parent : `${parent}:${port}`,
    routeKind: s.labels.route_kind ?? '',
    routeNamespace: s.labels.route_namespace ?? '',
  };
}

const EMPTY: Omit<RouteTotals, keyof RouteKey> = {
  requests: 0,
  actualRequests: 0,
  responses: 0,
  successes: 0,
  latencyBuckets: [],
};

/**
 * The stats of every route in `after` (a route new since `before` counts from zero), sorted by
 * service, then route, with [default] last among a service's routes.
 */
export function routeStats(before: RouteSnapshot, after: RouteSnapshot, windowMs: number): RouteStats[] {
  return groupRouteStats([{ before, after, windowMs }]);
}

/** Two route snapshots of one proxy taken `windowMs` apart. */
export interface RouteSnapshotPair {
  readonly before: RouteSnapshot;
  readonly after: RouteSnapshot;
  readonly windowMs: number;
}

interface RouteSum {
  readonly key: RouteKey;
  requests: number;
  requestsPerSecond: number;
  actualRequestsPerSecond: number | undefined;
  responses: number;
  successes: number;
  latency: Bucket[];
}

/**
 * The stats of every route of a workload served by several proxies: each proxy's counters are
 * differenced on their own, then added up (rates are the sum of each proxy's rate over its own
 * window). For one proxy this is exactly `routeStats`.
 */
export function groupRouteStats(pairs: readonly RouteSnapshotPair[]): RouteStats[] {
  const sums = new Map<string, RouteSum>();
  for (const { before, after, windowMs } of pairs) {
    for (const [id, b] of after) {
      const a = before.get(id) ?? EMPTY;
      let sum = sums.get(id);
      if (sum === undefined) {
        const { source, route, service, routeKind, routeNamespace } = b;
        const key: RouteKey = {
          source,
          route,
          service,
          ...(routeKind === undefined ? {} : { routeKind }),
          ...(routeNamespace === undefined ? {} : { routeNamespace }),
        };
        sum = {
          key,
          requests: 0,
          requestsPerSecond: 0,
          actualRequestsPerSecond: undefined,
          responses: 0,
          successes: 0,
          latency: [],
        };
        sums.set(id, sum);
      }
      const requests = counterDelta(a.requests, b.requests);
      sum.requests += requests;
      sum.requestsPerSecond += perSecond(requests, windowMs);
      if (b.actualRequests !== undefined) {
        sum.actualRequestsPerSecond =
          (sum.actualRequestsPerSecond ?? 0) +
          perSecond(counterDelta(a.actualRequests ?? 0, b.actualRequests), windowMs);
      }
      sum.responses += counterDelta(a.responses, b.responses);
      sum.successes += counterDelta(a.successes, b.successes);
      sum.latency = addBuckets(sum.latency, bucketDeltas(a.latencyBuckets, b.latencyBuckets));
    }
  }
  const stats: RouteStats[] = [...sums.values()].map((s) => ({
    ...s.key,
    successRate: ratio(s.successes, s.responses),
    requestsPerSecond: s.requestsPerSecond,
    actualRequestsPerSecond: s.actualRequestsPerSecond,
    latencyMsP50: histogramQuantile(0.5, s.latency),
    latencyMsP95: histogramQuantile(0.95, s.latency),
    latencyMsP99: histogramQuantile(0.99, s.latency),
    requests: s.requests,
    responses: s.responses,
  }));
  return stats.sort(compareRoutes);
}

const SOURCE_ORDER: readonly RouteSource[] = ['serviceprofile', 'gateway'];

function compareRoutes(x: RouteStats, y: RouteStats): number {
  return (
    SOURCE_ORDER.indexOf(x.source) - SOURCE_ORDER.indexOf(y.source) ||
    x.service.localeCompare(y.service) ||
    Number(x.route === DEFAULT_ROUTE) - Number(y.route === DEFAULT_ROUTE) ||
    x.route.localeCompare(y.route) ||
    (x.routeNamespace ?? '').localeCompare(y.routeNamespace ?? '') ||
    (x.routeKind ?? '').localeCompare(y.routeKind ?? '')
  );
}
