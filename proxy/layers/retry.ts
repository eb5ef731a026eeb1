// The retry layer (outbound, ServiceProfile mode; linkerd.md §4.7): a request on a route marked
// `isRetryable` whose response is classified as a failure is sent again, as long as the target's
// retry budget allows, its body (up to 64 KiB) has been kept for replay, and the route's timeout has
// not passed. Responses are classified before the client sees anything (the forwarder's onHead,
// which for gRPC waits for trailers that follow the headers at once).
//
// Contract: every original request deposits in the budget; each retry withdraws. A failure the
// budget refuses is delivered as it is and counted in route_retryable_total{skipped="no_budget"};
// each retry made is counted in route_retryable_total. Proxy errors (connect failures, timeouts)
// are not retried, nor are Upgrades, bodies over 64 KiB, or bodies still streaming when the
// response arrives.

import type { RouteMetrics } from '../../src/metrics/index.ts';
import type { HeadVerdict, HttpLayer, HttpOutcome, ResponseHead } from '../http/stack.ts';
import { ReplayableBody } from './replay-body.ts';
import type { RoutedRequest } from './route.ts';

export type RetryableRequest = RoutedRequest & {
  readonly logical: { retryBudget(): { deposit(): void; withdraw(): boolean } | undefined };
};

export function retryLayer<R extends RetryableRequest>(metrics: RouteMetrics): HttpLayer<R> {
  return (inner) => async (req) => {
    const { route, profile, routeLabels } = req;
    if (route === undefined || profile === undefined || !route.isRetryable || req.downstream.kind === 'upgrade') {
      return inner(req);
    }
    const budget = req.logical.retryBudget();
    if (budget === undefined) return inner(req);
    budget.deposit();
    const source = req.body ?? (req.downstream.kind === 'h1' ? req.downstream.req : req.downstream.stream);
    const body = new ReplayableBody(source);
    const outer = req.onHead;
    let retry = false;
    const onHead = (head: ResponseHead): HeadVerdict => {
      retry = false;
      const failed =
        profile.classify(route, {
          status: head.status,
          grpcStatus: head.grpcStatus === undefined ? undefined : Number(head.grpcStatus),
        }) === 'failure';
      if (failed && body.replayable() && req.signal?.aborted !== true) {
        if (budget.withdraw()) {
          metrics.retryableTotal.inc({ ...routeLabels });
          retry = true;
          return 'discard';
        }
        metrics.retryableTotal.inc({ ...routeLabels, skipped: 'no_budget' });
      }
      return outer?.(head) ?? 'commit';
    };
    let outcome: HttpOutcome = await inner({ ...req, body: body.stream, onHead });
    // Bounded by the budget: each pass withdrew one retry.
    while (retry && !outcome.committed) {
      outcome = await inner({ ...req, body: body.replay(), onHead });
    }
    return outcome;
  };
}
