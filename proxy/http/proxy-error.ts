// Why the proxy itself could not deliver a request. The edge (synthesize.ts) turns these into
// Linkerd's synthesized responses (linkerd.md §4.10): 502 for connect and upstream failures, 504
// for timeouts, 403 for refused routes, 404 and 500 for Gateway API routes that cannot serve a request; gRPC callers get a grpc-status instead of a page.

import { MeshError, type MeshErrorOptions } from '../../src/errors/index.ts';

export type ProxyFailure =
  /** The endpoint refused the connection or was unreachable. */
  | 'connect-failed'
  /** Connecting took longer than the connect timeout. */
  | 'connect-timeout'
  /** The endpoint reset or closed the connection before or during the response. */
  | 'upstream-reset'
  /** The request names no target the proxy may send it to. */
  | 'no-target'
  /** The target is the proxy itself. */
  | 'loop'
  /** Discovery knows the service and it has no ready endpoints. */
  | 'no-endpoints'
  /** The inbound policy does not allow this client (403; gRPC PERMISSION_DENIED). */
  | 'forbidden'
  /** The route's timeout passed before a response head arrived (504; gRPC DEADLINE_EXCEEDED). */
  | 'response-timeout'
  /** No endpoint became ready within the fail-fast timeout, or the balancer is in fail-fast (504). */
  | 'fail-fast'
  /** The balancer's queue is full (503). */
  | 'load-shed'
  /** `l5d-require-id` names an identity the chosen endpoint does not have (502). */
  | 'identity-required'
  /** The target has Gateway API routes and none of their rules matches (404; gRPC UNIMPLEMENTED). */
  | 'no-route'
  /** The matched route rule (or its chosen backend) uses a filter nodemesh does not implement (500). */
  | 'route-unsupported'
  /** The matched route rule has no backend with weight, or its backend is not a known Service (500). */
  | 'no-backend';

export class ProxyError extends MeshError {
  readonly failure: ProxyFailure;

  constructor(failure: ProxyFailure, message: string, options?: MeshErrorOptions) {
    super('MESH_ERR_PROXY_FORWARD', message, { ...options, fields: { failure, ...options?.fields } });
    this.failure = failure;
  }
}

/** Classifies a socket-level error from connecting or talking to an upstream. */
export function upstreamError(err: unknown, target: string, connected: boolean): ProxyError {
  if (err instanceof ProxyError) return err;
  // Our own errors (a peer proxy that failed identity verification) explain themselves.
  if (err instanceof MeshError) {
    return new ProxyError('connect-failed', `connection to ${target} failed: ${err.message}`, { cause: err });
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (!connected) {
    if (code === 'ETIMEDOUT')
      return new ProxyError('connect-timeout', `connecting to ${target} timed out`, { cause: err });
    return new ProxyError('connect-failed', `connection to ${target} failed: ${code || describe(err)}`, { cause: err });
  }
  return new ProxyError('upstream-reset', `${target} closed the connection mid-request: ${code || describe(err)}`, {
    cause: err,
  });
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : 'unknown error';
}
