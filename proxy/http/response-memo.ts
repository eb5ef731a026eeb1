// The metric children of a series per response outcome (status, classification, grpc-status,
// error), shared by the endpoint and route metric caches: the last outcome's children are
// remembered, since requests in a row mostly get the same answer, so most lookups build no key.
//
// Contract: lookupResponse() returns the children `make` created for the first response with the
// same four values on this series, creating them once per distinct outcome. failureOutcome() is
// the outcome a failed attempt is recorded under.

import { ProxyError } from './proxy-error.ts';
import { synthesize } from './synthesize.ts';

export interface ResponseOutcome {
  readonly status: number;
  readonly classification: string;
  readonly grpcStatus: string | undefined;
  /** The proxy's failure kind, for failed attempts. */
  readonly error: string | undefined;
}

/**
 * A failed attempt as a response outcome: the status (and, for gRPC, the grpc-status) the proxy
 * answers it with, classified a failure, with the proxy's failure kind as `error`.
 */
export function failureOutcome(err: unknown, grpc: boolean): ResponseOutcome & { readonly classification: 'failure' } {
  const e = synthesize(err);
  return {
    status: e.status,
    classification: 'failure',
    grpcStatus: grpc ? String(e.grpcStatus) : undefined,
    error: err instanceof ProxyError ? err.failure : 'unexpected',
  };
}

/** What a series keeps for lookupResponse(). */
export interface ResponseMemo<C> {
  readonly responses: Map<string, C>;
  last: (ResponseOutcome & { readonly children: C }) | undefined;
}

/** `make` should be made once per cache (not per call), so a lookup allocates nothing on a hit. */
export function lookupResponse<S extends ResponseMemo<C>, C>(
  series: S,
  r: ResponseOutcome,
  make: (series: S, r: ResponseOutcome) => C,
): C {
  const last = series.last;
  if (
    last !== undefined &&
    last.status === r.status &&
    last.classification === r.classification &&
    last.grpcStatus === r.grpcStatus &&
    last.error === r.error
  ) {
    return last.children;
  }
  const key = `${r.status}|${r.classification}|${r.grpcStatus ?? ''}|${r.error ?? ''}`;
  let children = series.responses.get(key);
  if (children === undefined) {
    children = make(series, r);
    series.responses.set(key, children);
  }
  series.last = {
    status: r.status,
    classification: r.classification,
    grpcStatus: r.grpcStatus,
    error: r.error,
    children,
  };
  return children;
}
