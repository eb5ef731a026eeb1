// The route layer (outbound, ServiceProfile mode; linkerd.md §4.7–4.8, §5): matches the request
// against the target's profile routes, records the route metrics (route_request_total,
// route_response_total, route_response_latency_ms with `dst` and `rt_route`), and bounds the whole
// request — every attempt, retries included — by the route's timeout.
//
// Contract: passes `route` (the first matching route, or undefined) down. Without a profile the
// request goes down untouched and no route metrics are recorded. The timeout runs until a response
// head is committed to the client; when it fires first, the attempt in flight is cancelled and the
// request fails with ProxyError('response-timeout') (504, gRPC DEADLINE_EXCEEDED). A committed
// response then streams to its end.

import type { CompiledProfile, CompiledRoute } from '../../src/profiles/index.ts';
import { ProxyError } from '../http/proxy-error.ts';
import { failureOutcome } from '../http/response-memo.ts';
import {
  callInner,
  layerStart,
  rejection,
  type HttpLayer,
  type HttpOutcome,
  type HttpRequest,
  type HttpService,
} from '../http/stack.ts';
import type { RouteChildren, RouteMetricCache } from './route-metric-cache.ts';
import { performance } from 'node:perf_hooks';

export interface ProfiledRequest extends HttpRequest {
  readonly logical: { readonly name: string; profile(): CompiledProfile | undefined };
}

export interface RouteFields {
  readonly profile: CompiledProfile | undefined;
  readonly route: CompiledRoute | undefined;
  /** Route metric labels and series of this request (undefined without a profile; no rt_route when no route matched). */
  readonly routeMetrics: RouteChildren | undefined;
}

export interface RouteLabels {
  readonly direction: string;
  readonly dst: string;
  readonly rt_route?: string;
}

export type RoutedRequest = ProfiledRequest & RouteFields;

export function routeLayer<R extends ProfiledRequest>(cache: RouteMetricCache): HttpLayer<R, R & RouteFields> {
  // Without a profile (most requests), no async function of its own: see callInner.
  return (inner) => (req) => {
    let profile: CompiledProfile | undefined;
    try {
      profile = req.logical.profile();
    } catch (err) {
      return rejection(err);
    }
    if (profile === undefined) return callInner(inner, { ...req, profile, route: undefined, routeMetrics: undefined });
    return routeRequest(cache, inner, req, profile);
  };
}

async function routeRequest<R extends ProfiledRequest>(
  cache: RouteMetricCache,
  inner: HttpService<R & RouteFields>,
  req: R,
  profile: CompiledProfile,
): Promise<HttpOutcome> {
  const route = profile.matchRoute({ method: req.method, path: req.target });
  const series = cache.route(req.logical.name, route?.name);
  const labels = series.labels;
  series.request.inc();
  const started = layerStart(req.state);
  const timeoutMs = route?.timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  let signal = req.signal;
  if (timeoutMs !== undefined) {
    const controller = new AbortController();
    timer = setTimeout(
      () =>
        controller.abort(
          new ProxyError(
            'response-timeout',
            `route ${labels.rt_route ?? '(default)'} of ${labels.dst} timed out after ${timeoutMs}ms`,
          ),
        ),
      timeoutMs,
    );
    signal = signal === undefined ? controller.signal : AbortSignal.any([signal, controller.signal]);
  }
  const onHead = req.onHead;
  let outcome: HttpOutcome;
  try {
    outcome = await inner({
      ...req,
      profile,
      route,
      routeMetrics: series,
      ...(signal === undefined ? {} : { signal }),
      ...(timer === undefined
        ? {}
        : {
            onHead: (head) => {
              const verdict = onHead?.(head) ?? 'commit';
              if (verdict === 'commit') clearTimeout(timer);
              return verdict;
            },
          }),
    });
  } catch (err) {
    clearTimeout(timer);
    const end = cache.response(series, failureOutcome(err, req.grpc));
    end.latency.observe(performance.now() - started);
    end.total.inc();
    throw err;
  }
  clearTimeout(timer);
  const end = cache.response(series, {
    status: outcome.status,
    classification: profile.classify(route, {
      status: outcome.status,
      grpcStatus: outcome.grpcStatus === undefined ? undefined : Number(outcome.grpcStatus),
    }),
    grpcStatus: outcome.grpcStatus,
    error: undefined,
  });
  end.latency.observe(performance.now() - started);
  end.total.inc();
  return outcome;
}
