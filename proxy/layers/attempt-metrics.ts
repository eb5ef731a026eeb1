// Per-attempt route metrics (linkerd.md §5): route_actual_request_total and
// route_actual_response_total count every attempt of a routed request, retries included, so that
// actual minus route counts is the retry traffic.
//
// Contract: nothing is recorded for requests without a profile. A discarded attempt (a retry
// followed) is recorded with its own status and classification.

import { failureOutcome } from '../http/response-memo.ts';
import type { CompiledProfile } from '../../src/profiles/index.ts';
import { callInner, type HttpLayer, type HttpOutcome, type HttpService } from '../http/stack.ts';
import type { RouteChildren, RouteMetricCache } from './route-metric-cache.ts';
import type { RoutedRequest } from './route.ts';

export function attemptMetricsLayer<R extends RoutedRequest>(cache: RouteMetricCache): HttpLayer<R> {
  // Without a profile (most requests), no async function of its own: see callInner.
  return (inner) => (req) => {
    const { routeMetrics: series, profile } = req;
    if (series === undefined || profile === undefined) return callInner(inner, req);
    return measured(cache, inner, req, series, profile);
  };
}

async function measured<R extends RoutedRequest>(
  cache: RouteMetricCache,
  inner: HttpService<R>,
  req: R,
  series: RouteChildren,
  profile: CompiledProfile,
): Promise<HttpOutcome> {
  series.actualRequest.inc();
  try {
    const outcome = await inner(req);
    cache
      .response(series, {
        status: outcome.status,
        classification: profile.classify(req.route, {
          status: outcome.status,
          grpcStatus: outcome.grpcStatus === undefined ? undefined : Number(outcome.grpcStatus),
        }),
        grpcStatus: outcome.grpcStatus,
        error: undefined,
      })
      .actual.inc();
    return outcome;
  } catch (err) {
    // Attempts are not labelled with a grpc-status when they fail.
    cache.response(series, failureOutcome(err, false)).actual.inc();
    throw err;
  }
}
