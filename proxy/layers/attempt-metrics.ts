// Per-attempt route metrics (linkerd.md §5): route_actual_request_total and
// route_actual_response_total count every attempt of a routed request, retries included, so that
// actual minus route counts is the retry traffic.
//
// Contract: nothing is recorded for requests without a profile. A discarded attempt (a retry
// followed) is recorded with its own status and classification.

import type { RouteMetrics } from '../../src/metrics/index.ts';
import { ProxyError } from '../http/proxy-error.ts';
import { synthesize } from '../http/synthesize.ts';
import type { HttpLayer } from '../http/stack.ts';
import type { RoutedRequest } from './route.ts';

export function attemptMetricsLayer<R extends RoutedRequest>(metrics: RouteMetrics): HttpLayer<R> {
  return (inner) => async (req) => {
    const { routeLabels: labels, profile } = req;
    if (labels === undefined || profile === undefined) return inner(req);
    metrics.actualRequestTotal.inc(labels);
    try {
      const outcome = await inner(req);
      metrics.actualResponseTotal.inc({
        ...labels,
        status_code: String(outcome.status),
        classification: profile.classify(req.route, {
          status: outcome.status,
          grpcStatus: outcome.grpcStatus === undefined ? undefined : Number(outcome.grpcStatus),
        }),
        ...(outcome.grpcStatus === undefined ? {} : { grpc_status: outcome.grpcStatus }),
      });
      return outcome;
    } catch (err) {
      const e = synthesize(err);
      metrics.actualResponseTotal.inc({
        ...labels,
        status_code: String(e.status),
        classification: 'failure',
        error: err instanceof ProxyError ? err.failure : 'unexpected',
      });
      throw err;
    }
  };
}
