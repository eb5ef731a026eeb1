// The traffic split layer (ServiceProfile `dstOverrides`, linkerd.md §8): when the profile names
// backends, each attempt goes to one of them with probability weight ÷ total, and that backend —
// a Service of its own — is balanced over its own endpoints. Weights are read from the current
// profile on every attempt, so a change applies to the next request; requests in flight keep the
// backend they were sent to.
//
// Contract: a backend that is the target itself uses the target's own balancer; another backend is
// resolved like any logical target (its endpoints and balancer kept while used). A backend that
// discovery does not know fails its share of requests with ProxyError('no-endpoints') (503), as in
// Linkerd, rather than silently moving its traffic elsewhere.

import type { CompiledProfile } from '../../src/profiles/index.ts';
import { ProxyError } from '../http/proxy-error.ts';
import { callInner, type HttpLayer, type HttpOutcome, type HttpRequest, type HttpService } from '../http/stack.ts';
import { resolveBackend, type BackendResolver, type BackendTarget } from './backend-resolve.ts';

export type { BackendResolver } from './backend-resolve.ts';
export type SplitTarget = BackendTarget;

export interface SplitRequest<T extends SplitTarget> extends HttpRequest {
  readonly logical: T;
  readonly profile?: CompiledProfile | undefined;
}

export function splitLayer<T extends SplitTarget, R extends SplitRequest<T>>(
  backends: BackendResolver<T>,
  random: () => number = Math.random,
): HttpLayer<R> {
  // Without a split (most requests), no async function of its own: see callInner.
  return (inner) => (req) => {
    const split = req.profile?.backends;
    if (split === undefined || split.length === 0) return callInner(inner, req);
    const chosen = pick(split, random);
    if (chosen === undefined || chosen === req.logical.name) return callInner(inner, req);
    return toBackend(backends, inner, req, chosen);
  };
}

async function toBackend<T extends SplitTarget, R extends SplitRequest<T>>(
  backends: BackendResolver<T>,
  inner: HttpService<R>,
  req: R,
  chosen: string,
): Promise<HttpOutcome> {
  const resolved = resolveBackend(backends, req.logical, chosen);
  const backend = resolved instanceof Promise ? await resolved : resolved;
  if (backend === undefined) {
    throw new ProxyError('no-endpoints', `backend ${chosen} of ${req.logical.name} is not a known Service`);
  }
  return inner({ ...req, logical: backend });
}

/** A backend authority with probability weight ÷ total. */
function pick(
  split: readonly { readonly authority: string; readonly weight: number }[],
  random: () => number,
): string | undefined {
  let total = 0;
  for (const b of split) total += b.weight;
  let r = random() * total;
  for (const b of split) {
    r -= b.weight;
    if (r < 0) return b.authority;
  }
  return split.at(-1)?.authority;
}
