// Turning the API server's answers into messages people can act on: who refused what, and which
// RBAC rule is missing (the CLI needs `list pods` and `get pods/proxy`; `check` also reads
// Deployments, webhook configurations and CRDs).

import { reasonOf } from '../stat/mesh-state.ts';
import { ProxySourceError } from '../stat/proxy-target.ts';

/** The cluster could not be asked, or refused: the message says why and what to grant or fix. */
export class KubeAccessError extends ProxySourceError {
  override readonly name = 'KubeAccessError';
  /** The API server's HTTP status when it answered (403 for a missing RBAC rule). */
  readonly status: number | undefined;

  constructor(message: string, options: { readonly cause?: unknown; readonly status?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
  }
}

/** Where a request went, for messages. */
export interface ApiPlace {
  readonly server: string;
  readonly context: string;
}

/** The `message` of a Kubernetes Status body, or undefined when the body is not one. */
export function statusMessageOf(body: string): string | undefined {
  if (!body.trimStart().startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(body) as { kind?: unknown; message?: unknown };
    if (parsed.kind !== 'Status') return undefined;
    return typeof parsed.message === 'string' ? parsed.message : '';
  } catch {
    return undefined;
  }
}

/**
 * The error for a refused request: `what` is what was tried (`list pods in namespace shop`) and
 * `rbac` the rule it needs (`list pods`).
 */
export function refusal(place: ApiPlace, what: string, rbac: string, status: number, body: string): KubeAccessError {
  const said = statusMessageOf(body) ?? body.trim().slice(0, 200);
  if (status === 401) {
    return new KubeAccessError(
      `${what}: the API server ${place.server} did not accept the credentials of context ${place.context} (401 Unauthorized); log in again or check the kubeconfig user`,
      { status },
    );
  }
  if (status === 403) {
    return new KubeAccessError(
      `${what}: forbidden (403); the CLI needs the RBAC rule ${rbac}${said === '' ? '' : ` (the API server said: ${said})`}`,
      { status },
    );
  }
  return new KubeAccessError(`${what}: the API server answered ${status}${said === '' ? '' : `: ${said}`}`, { status });
}

/** The error for an API server that did not answer. */
export function unreachable(place: ApiPlace, what: string, err: unknown): KubeAccessError {
  return new KubeAccessError(
    `${what}: cannot reach the API server ${place.server} of context ${place.context} (${reasonOf(err)}); is the cluster up and the kubeconfig current?`,
    { cause: err },
  );
}
