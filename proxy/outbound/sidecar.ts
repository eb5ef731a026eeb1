// The outbound HTTP stack of the sidecar, composed in one place (STYLE.md rule 7). A request whose
// target discovery knows (a Service name or ClusterIP) takes the logical path; anything else (a pod
// IP, an unknown name, no control plane) goes straight to its original destination or authority.
//
//   tap (records finished requests while someone taps, ADR 0013) → logical or direct
//   logical: http routes? (the profile carries Gateway API routes, ADR 0012)
//     yes:  route statuses metric → rule filters (unsupported, header edits) → redirect
//           → request timeout → backend (weighted pick, backend metric, backend filters, resolve)
//           → backend timeout → balance → endpoint
//     no:   route (match, route metrics, timeout) → retry (budget, replay) → attempt metrics
//           → split (dstOverrides) → balance (P2C peak-EWMA, queue, fail-fast, breaker) → endpoint
//   direct:  resolve (original destination / authority / ingress override) → endpoint
//   endpoint: tap endpoint (notes the endpoint and route) → l5d-require-id → loop guard
//             → endpoint metrics (request_total …) → forwarder
//
// In ingress mode `l5d-dst-override` names the logical target instead of the authority.

import type { HttpMetrics, RouteMetrics } from '../../src/metrics/index.ts';
import { endpointMetricsLayer } from '../http/endpoint-metrics.ts';
import type { ProxyError } from '../http/proxy-error.ts';
import { resolveLayer, type EndpointResolver } from '../http/resolve-layer.ts';
import {
  rejection,
  type Endpoint,
  type EndpointRequest,
  type HttpLayer,
  type HttpOutcome,
  type HttpRequest,
  type HttpService,
} from '../http/stack.ts';
import { attemptMetricsLayer } from '../layers/attempt-metrics.ts';
import { balanceLayer } from '../layers/balance.ts';
import { httpRouteBackendLayer } from '../layers/http-route-backend.ts';
import { httpRouteFiltersLayer } from '../layers/http-route-filters.ts';
import { HttpRouteMetricCache, type HttpRouteMetrics } from '../layers/http-route-metric-cache.ts';
import { httpRouteRedirectLayer } from '../layers/http-route-redirect.ts';
import { httpRouteStatusLayer } from '../layers/http-route-status.ts';
import { httpRouteBackendTimeoutLayer, httpRouteRequestTimeoutLayer } from '../layers/http-route-timeout.ts';
import { httpRouteLayer, type HttpRouteFields } from '../layers/http-route.ts';
import { requireIdentityLayer } from '../layers/require-identity.ts';
import { retryLayer } from '../layers/retry.ts';
import { RouteMetricCache } from '../layers/route-metric-cache.ts';
import { routeLayer, type RouteFields } from '../layers/route.ts';
import { splitLayer } from '../layers/split.ts';
import { tapEndpointLayer, type TapFields } from '../tap/index.ts';
import type { LogicalTarget, TargetRequest } from './targets.ts';

export interface OutboundTargetSource {
  resolve(request: TargetRequest): LogicalTarget | undefined | Promise<LogicalTarget | undefined>;
}

export interface OutboundStackDependencies {
  readonly targets: OutboundTargetSource | undefined;
  /** Where a request without a logical target goes. */
  readonly direct: EndpointResolver;
  /** Refuses endpoints that are this proxy's own listeners. */
  readonly loopGuard: (endpoint: Endpoint) => ProxyError | undefined;
  readonly httpMetrics: HttpMetrics;
  readonly routeMetrics: RouteMetrics;
  /** Gateway API route metrics (outbound_http_route_*), registered once per registry. */
  readonly httpRouteMetrics: HttpRouteMetrics;
  readonly forward: HttpService<EndpointRequest>;
  readonly ingressMode: boolean;
  /** The tap layer (tap/tap-layer.ts) over the whole stack; absent: no tap. */
  readonly tap?: HttpLayer<HttpRequest, HttpRequest & TapFields>;
}

type LogicalRequest = HttpRequest & { readonly logical: LogicalTarget };
type RoutedLogicalRequest = LogicalRequest & RouteFields;
type HttpRoutedRequest = LogicalRequest & HttpRouteFields;

export const DST_OVERRIDE_HEADER = 'l5d-dst-override';

export function outboundHttpStack(deps: OutboundStackDependencies): HttpService {
  const routed = routedStack(deps);
  return deps.tap === undefined ? routed : deps.tap(routed);
}

function routedStack(deps: OutboundStackDependencies): HttpService {
  const endpoint: HttpService<EndpointRequest> = tapEndpointLayer()(
    requireIdentityLayer()(loopGuardLayer(deps.loopGuard)(endpointMetricsLayer(deps.httpMetrics)(deps.forward))),
  );
  const routeSeries = new RouteMetricCache(deps.routeMetrics);
  const backends = deps.targets ?? { resolve: () => undefined };
  const profiled = routeLayer<LogicalRequest>(routeSeries)(
    retryLayer<RoutedLogicalRequest>(deps.routeMetrics)(
      attemptMetricsLayer<RoutedLogicalRequest>(routeSeries)(
        splitLayer<LogicalTarget, RoutedLogicalRequest>(backends)(balanceLayer<RoutedLogicalRequest>()(endpoint)),
      ),
    ),
  );
  const httpRouteSeries = new HttpRouteMetricCache(deps.httpRouteMetrics);
  const httpRouted = httpRouteStatusLayer<HttpRoutedRequest>(httpRouteSeries)(
    httpRouteFiltersLayer<HttpRoutedRequest>()(
      httpRouteRedirectLayer<HttpRoutedRequest>()(
        httpRouteRequestTimeoutLayer<HttpRoutedRequest>()(
          httpRouteBackendLayer<LogicalTarget, HttpRoutedRequest>(
            backends,
            httpRouteSeries,
          )(httpRouteBackendTimeoutLayer<HttpRoutedRequest>()(balanceLayer<HttpRoutedRequest>()(endpoint))),
        ),
      ),
    ),
  );
  const logical = httpRouteLayer<LogicalRequest>(httpRouted)(profiled);
  const direct = resolveLayer(deps.direct)(endpoint);
  const targets = deps.targets;
  if (targets === undefined) return direct;
  const dispatch = (req: HttpRequest, target: LogicalTarget | undefined): Promise<HttpOutcome> =>
    target === undefined ? direct(req) : logical({ ...req, logical: target });
  // Synchronous while discovery has answered (every request but a target's first): no async
  // function, no promise and no microtask turn of its own per request.
  return (req: HttpRequest) => {
    try {
      const override = deps.ingressMode ? dstOverride(req) : undefined;
      const resolved = targets.resolve(
        override === undefined
          ? { authority: req.authority, origDst: req.conn.origDst }
          : { authority: override, origDst: undefined },
      );
      return resolved instanceof Promise ? resolved.then((target) => dispatch(req, target)) : dispatch(req, resolved);
    } catch (err) {
      // As from an async function: a throw becomes a rejection.
      return rejection(err);
    }
  };
}

function dstOverride(req: HttpRequest): string | undefined {
  const override = req.headers[DST_OVERRIDE_HEADER];
  return Array.isArray(override) ? override[0] : override;
}

function loopGuardLayer(check: (endpoint: Endpoint) => ProxyError | undefined) {
  return (inner: HttpService<EndpointRequest>): HttpService<EndpointRequest> =>
    (req) => {
      const refused = check(req.endpoint);
      return refused === undefined ? inner(req) : Promise.reject(refused);
    };
}
