// Per-request route metrics of Gateway API routes: `outbound_http_route_request_statuses_total`
// with the route's labels and the response's HTTP status, gRPC status (gRPC requests) and, when the
// proxy answered instead of a backend, its failure kind as `error`.
//
// Contract: one increment per request that reached a rule (requests matching no rule are counted
// at the edge, without route labels). A proxy failure is recorded with the status the edge
// synthesizes for it.

import { ProxyError } from '../http/proxy-error.ts';
import type { HttpLayer, HttpRequest } from '../http/stack.ts';
import { synthesize } from '../http/synthesize.ts';
import type { HttpRouteMetricCache } from './http-route-metric-cache.ts';
import type { HttpRouteFields } from './http-route.ts';

export function httpRouteStatusLayer<R extends HttpRequest & HttpRouteFields>(
  cache: HttpRouteMetricCache,
): HttpLayer<R> {
  return (inner) => async (req) => {
    const labels = req.httpRoute.labels;
    try {
      const outcome = await inner(req);
      cache
        .status(labels, {
          status: outcome.status,
          grpcStatus: req.grpc ? outcome.grpcStatus : undefined,
          error: undefined,
        })
        .inc();
      return outcome;
    } catch (err) {
      const e = synthesize(err);
      cache
        .status(labels, {
          status: e.status,
          grpcStatus: req.grpc ? String(e.grpcStatus) : undefined,
          error: err instanceof ProxyError ? err.failure : 'unexpected',
        })
        .inc();
      throw err;
    }
  };
}
