// The retry layer (outbound, ServiceProfile mode; linkerd.md §4.7): a request on a route marked
// `isRetryable` whose response is classified as a failure is sent again, as long as the target's
// retry budget allows, its body (up to 64 KiB) has been kept for replay, and the route's timeout has
// not passed. Responses are classified before the client sees anything (the forwarder's onHead,
// which for gRPC waits for trailers that follow the headers at once).
//
// Contract: every original request deposits in the budget; each retry withdraws. A failure the
// budget refuses is delivered as it is and counted in route_retryable_total{skipped="no_budget"};
// each retry made is counted in route_retryable_total. An attempt that fails before any response
// head arrives — the endpoint refused the connection or reset it (an endpoint killed mid-request) —
// is retried the same way, as Linkerd's retry policy retries errors; timeouts are not (the route's
// timeout bounds the whole request), nor are Upgrades, bodies over 64 KiB, or bodies still
// streaming when the response arrives.

import type { RouteMetrics } from '../../src/metrics/index.ts';
import type { CompiledProfile, CompiledRoute } from '../../src/profiles/index.ts';
import {
  callInner,
  rejection,
  type HeadVerdict,
  type HttpLayer,
  type HttpOutcome,
  type HttpService,
  type ResponseHead,
} from '../http/stack.ts';
import { Readable } from 'node:stream';
import { emptyBody } from '../http/empty-body.ts';
import { ProxyError } from '../http/proxy-error.ts';
import { ReplayableBody } from './replay-body.ts';
import type { RoutedRequest } from './route.ts';

export type RetryableRequest = RoutedRequest & {
  readonly logical: { retryBudget(): { deposit(): void; withdraw(): boolean } | undefined };
};

export function retryLayer<R extends RetryableRequest>(metrics: RouteMetrics): HttpLayer<R> {
  // A request that cannot be retried (most) passes through without an async function of its own.
  return (inner) => (req) => {
    const { route, profile } = req;
    if (route === undefined || profile === undefined || !route.isRetryable || req.downstream.kind === 'upgrade') {
      return callInner(inner, req);
    }
    let budget: RetryBudget | undefined;
    try {
      budget = req.logical.retryBudget();
    } catch (err) {
      return rejection(err);
    }
    if (budget === undefined) return callInner(inner, req);
    return withRetries(metrics, inner, req, profile, route, budget);
  };
}

type RetryBudget = NonNullable<ReturnType<RetryableRequest['logical']['retryBudget']>>;

async function withRetries<R extends RetryableRequest>(
  metrics: RouteMetrics,
  inner: HttpService<R>,
  req: R,
  profile: CompiledProfile,
  route: CompiledRoute,
  budget: RetryBudget,
): Promise<HttpOutcome> {
  const { routeMetrics } = req;
  budget.deposit();
  // A request without a body (most GETs) needs no copy: every attempt sends none.
  const body = hasBody(req) ? new ReplayableBody(req.body ?? downstreamBody(req)) : NO_BODY;
  const outer = req.onHead;
  let retry = false;
  let headSeen = false;
  const onHead = (head: ResponseHead): HeadVerdict => {
    headSeen = true;
    retry = false;
    const failed =
      profile.classify(route, {
        status: head.status,
        grpcStatus: head.grpcStatus === undefined ? undefined : Number(head.grpcStatus),
      }) === 'failure';
    if (failed && body.replayable() && req.signal?.aborted !== true) {
      if (budget.withdraw()) {
        metrics.retryableTotal.inc({ ...routeMetrics?.labels });
        retry = true;
        return 'discard';
      }
      metrics.retryableTotal.inc({ ...routeMetrics?.labels, skipped: 'no_budget' });
    }
    return outer?.(head) ?? 'commit';
  };
  const send = async (attempt: R): Promise<HttpOutcome> => {
    headSeen = false;
    retry = false;
    try {
      return await inner(attempt);
    } catch (err) {
      if (headSeen || !retriableError(err) || !body.replayable() || req.signal?.aborted === true) throw err;
      if (!budget.withdraw()) {
        metrics.retryableTotal.inc({ ...routeMetrics?.labels, skipped: 'no_budget' });
        throw err;
      }
      metrics.retryableTotal.inc({ ...routeMetrics?.labels });
      retry = true;
      return { status: 502, grpcStatus: undefined, committed: false };
    }
  };
  let outcome: HttpOutcome = await send(
    body === NO_BODY
      ? { ...req, onHead, peekTrailers: true }
      : { ...req, body: body.stream, onHead, peekTrailers: true },
  );
  // Bounded by the budget: each pass withdrew one retry.
  while (retry && !outcome.committed) {
    outcome = await send({ ...req, body: body.replay(), onHead, peekTrailers: true });
  }
  return outcome;
}

/** Failures of an attempt that no endpoint answered: safe to send again on a retryable route. */
function retriableError(err: unknown): boolean {
  return err instanceof ProxyError && (err.failure === 'connect-failed' || err.failure === 'upstream-reset');
}

/** The replay source of a request that has no body. */
const NO_BODY = {
  stream: undefined,
  replayable: (): boolean => true,
  replay: (): Readable => Readable.from([], { objectMode: false }),
};

/** False when the request certainly has no body (no framing on HTTP/1, END_STREAM on the HTTP/2 HEADERS). */
function hasBody(req: RetryableRequest): boolean {
  if (req.body !== undefined) return true;
  const down = req.downstream;
  if (down.kind === 'h2') return !down.stream.endAfterHeaders;
  return req.headers['content-length'] !== undefined
    ? req.headers['content-length'] !== '0'
    : req.headers['transfer-encoding'] !== undefined;
}

function downstreamBody(req: RetryableRequest): Readable {
  const down = req.downstream;
  switch (down.kind) {
    case 'h1':
    case 'upgrade':
      return down.req.body ?? emptyBody();
    case 'h2':
      return down.stream.body;
  }
}
