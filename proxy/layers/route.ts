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

import type { RouteMetrics } from '../../src/metrics/index.ts';
import type { CompiledProfile, CompiledRoute } from '../../src/profiles/index.ts';
import { ProxyError } from '../http/proxy-error.ts';
import { synthesize } from '../http/synthesize.ts';
import type { HttpLayer, HttpOutcome, HttpRequest } from '../http/stack.ts';

export interface ProfiledRequest extends HttpRequest {
  readonly logical: { readonly name: string; profile(): CompiledProfile | undefined };
}

export interface RouteFields {
  readonly profile: CompiledProfile | undefined;
  readonly route: CompiledRoute | undefined;
  /** Route metric labels of this request (undefined without a profile; no rt_route when no route matched). */
  readonly routeLabels: RouteLabels | undefined;
}

export interface RouteLabels {
  readonly direction: string;
  readonly dst: string;
  readonly rt_route?: string;
}

export type RoutedRequest = ProfiledRequest & RouteFields;

export function routeLayer<R extends ProfiledRequest>(metrics: RouteMetrics): HttpLayer<R, R & RouteFields> {
  return (inner) => async (req) => {
    const profile = req.logical.profile();
    if (profile === undefined) return inner({ ...req, profile, route: undefined, routeLabels: undefined });
    const route = profile.matchRoute({ method: req.method, path: req.target });
    const labels: RouteLabels =
      route === undefined
        ? { direction: 'outbound', dst: req.logical.name }
        : { direction: 'outbound', dst: req.logical.name, rt_route: route.name };
    metrics.requestTotal.inc(labels);
    const started = performance.now();
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
        routeLabels: labels,
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
      const e = synthesize(err);
      const status = String(e.status);
      metrics.responseLatencyMs.observe({ ...labels, status_code: status }, performance.now() - started);
      metrics.responseTotal.inc({
        ...labels,
        status_code: status,
        classification: 'failure',
        ...(req.grpc ? { grpc_status: String(e.grpcStatus) } : {}),
        error: err instanceof ProxyError ? err.failure : 'unexpected',
      });
      throw err;
    }
    clearTimeout(timer);
    const withStatus = { ...labels, status_code: String(outcome.status) };
    metrics.responseLatencyMs.observe(withStatus, performance.now() - started);
    metrics.responseTotal.inc({
      ...withStatus,
      classification: profile.classify(route, {
        status: outcome.status,
        grpcStatus: outcome.grpcStatus === undefined ? undefined : Number(outcome.grpcStatus),
      }),
      ...(outcome.grpcStatus === undefined ? {} : { grpc_status: outcome.grpcStatus }),
    });
    return outcome;
  };
}
