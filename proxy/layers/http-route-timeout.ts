// Gateway API route timeouts (GEP-1742): `timeouts.request` bounds the whole request,
// `timeouts.backendRequest` each request to a backend (the balancer's queue included).
//
// Contract: as the ServiceProfile route timeout (ADR 0010), a timeout runs until a response head
// is committed to the client; when it fires first the attempt in flight (or the wait for an
// endpoint) is cancelled and the request fails with ProxyError('response-timeout') (504; gRPC
// DEADLINE_EXCEEDED). A committed streaming response is not cut off. `0s` and no timeout pass the
// request down untouched.

import { ProxyError } from '../http/proxy-error.ts';
import type { HttpLayer, HttpOutcome, HttpRequest, HttpService } from '../http/stack.ts';
import type { HttpRouteFields } from './http-route.ts';

export function httpRouteRequestTimeoutLayer<R extends HttpRequest & HttpRouteFields>(): HttpLayer<R> {
  return (inner) => (req) => {
    const ms = req.httpRoute.requestTimeoutMs;
    if (ms === undefined) return inner(req);
    return withDeadline(inner, req, ms, `${req.httpRoute.description} timed out after ${ms}ms (timeouts.request)`);
  };
}

export function httpRouteBackendTimeoutLayer<
  R extends HttpRequest & HttpRouteFields & { readonly logical: { readonly name: string } },
>(): HttpLayer<R> {
  return (inner) => (req) => {
    const ms = req.httpRoute.backendTimeoutMs;
    if (ms === undefined) return inner(req);
    return withDeadline(
      inner,
      req,
      ms,
      `backend ${req.logical.name} of ${req.httpRoute.description} timed out after ${ms}ms (timeouts.backendRequest)`,
    );
  };
}

async function withDeadline<R extends HttpRequest>(
  inner: HttpService<R>,
  req: R,
  ms: number,
  message: string,
): Promise<HttpOutcome> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new ProxyError('response-timeout', message)), ms);
  const signal = req.signal === undefined ? controller.signal : AbortSignal.any([req.signal, controller.signal]);
  const onHead = req.onHead;
  try {
    return await inner({
      ...req,
      signal,
      onHead: (head) => {
        const verdict = onHead?.(head) ?? 'commit';
        if (verdict === 'commit') clearTimeout(timer);
        return verdict;
      },
    });
  } finally {
    clearTimeout(timer);
  }
}
