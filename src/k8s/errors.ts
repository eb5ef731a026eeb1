// KubernetesApiError: a call to the Kubernetes API that failed, with the call's name, the HTTP
// status (when the server answered) and the server's own message, and the client error as cause.
//
// Contract: `kubernetesApiError(call, err)` accepts whatever @kubernetes/client-node threw
// (ApiException with `code` and a JSON Status `body`, a fetch TypeError whose cause carries
// `ECONNREFUSED`, an AbortError, ...) and never throws itself. Messages never contain tokens.

import { MeshError, type MeshErrorOptions } from '../errors/index.ts';

/** A failed Kubernetes API call. `status` is the HTTP status, or undefined when no answer came. */
export class KubernetesApiError extends MeshError {
  readonly call: string;
  readonly status: number | undefined;

  constructor(call: string, status: number | undefined, message: string, options: MeshErrorOptions = {}) {
    super('MESH_ERR_K8S_API', message, {
      ...options,
      fields: { call, ...(status === undefined ? {} : { status }), ...options.fields },
    });
    this.call = call;
    this.status = status;
  }
}

/** Wraps what the client library threw for `call` (e.g. "create TokenReview") in a KubernetesApiError. */
export function kubernetesApiError(call: string, err: unknown): KubernetesApiError {
  const status = httpStatusOf(err);
  if (status !== undefined) {
    const detail = statusMessageOf(err);
    const said = detail === undefined ? '' : `: ${detail}`;
    return new KubernetesApiError(call, status, `Kubernetes API ${call} failed with HTTP ${status}${said}`, {
      cause: err,
    });
  }
  const code = networkCodeOf(err);
  const what = code ?? (err instanceof Error ? `${err.name}: ${err.message}` : String(err));
  return new KubernetesApiError(call, undefined, `Kubernetes API ${call} got no answer (${what})`, { cause: err });
}

/** The HTTP status carried by a client-node error (ApiException `code`, or Watch's `statusCode`). */
export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, statusCode } = err as { code?: unknown; statusCode?: unknown };
  if (isHttpStatus(code)) return code;
  if (isHttpStatus(statusCode)) return statusCode;
  return undefined;
}

function isHttpStatus(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 599;
}

/** The `message` (or `reason`) of the Kubernetes Status object in an ApiException's body, if any. */
function statusMessageOf(err: unknown): string | undefined {
  const body = (err as { body?: unknown }).body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.length > 0 ? body.slice(0, 200) : undefined;
    }
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { message, reason } = parsed as { message?: unknown; reason?: unknown };
  if (typeof message === 'string' && message.length > 0) return message;
  if (typeof reason === 'string' && reason.length > 0) return reason;
  return undefined;
}

/** A system or undici error code (ECONNREFUSED, UND_ERR_SOCKET, ...) found on the error or along its causes. */
function networkCodeOf(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^(E[A-Z0-9_]+|UND_ERR_[A-Z_]+)$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
