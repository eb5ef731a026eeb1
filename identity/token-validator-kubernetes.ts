// KubernetesTokenValidator: the TokenValidator of a cluster. It asks the Kubernetes API to review
// the token (TokenReview, authentication.k8s.io/v1) for the audience `identity.nodemesh.io`, as
// Linkerd's identity service does for `identity.l5d.io` (reference/linkerd.md §3.2).
//
// Contract:
// - If the API server answers that the token is not for that audience (a token bound to the API
//   server's own audience, such as the legacy service-account token), the review is retried once
//   without audiences, as Linkerd does; `retryWithoutAudience: false` turns that off.
// - A review is accepted only when `status.error` is empty and `status.authenticated` is true, and
//   the username is `system:serviceaccount:<ns>:<sa>` with DNS-1123 labels; otherwise
//   TokenInvalidError (the username or the API server's reason in the message), or
//   TokenExpiredError when the API server says the token expired.
// - Failing to ask (network error, HTTP 4xx/5xx, no answer within `timeoutMs`, which covers the
//   whole call including the retry) is TokenReviewError with the KubernetesApiError as cause.
// - A caller's abort rejects with `signal.reason`.
// `checkTokenReviewAccess` is the start-up check that the service may create TokenReviews.

import {
  AuthenticationV1Api,
  Observable,
  type AuthorizationV1Api,
  type ConfigurationOptions,
  type KubeConfig,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
  type V1TokenReviewStatus,
} from '@kubernetes/client-node';
import { httpStatusOf, kubernetesApiError, type KubernetesApiError } from '../src/k8s/index.ts';
import {
  IDENTITY_TOKEN_AUDIENCE,
  TokenExpiredError,
  TokenInvalidError,
  TokenReviewError,
  parseServiceAccountUsername,
  tokenText,
} from '../src/tokens/index.ts';
import type { TokenValidator, ValidatedToken } from './token-validator.ts';

/** Ten seconds, as the per-request timeout of Linkerd's Kubernetes client. */
export const DEFAULT_TOKEN_REVIEW_TIMEOUT_MS = 10_000;

/** The part of AuthenticationV1Api the validator uses. */
export type TokenReviewClient = Pick<AuthenticationV1Api, 'createTokenReview'>;

/** The part of AuthorizationV1Api the start-up check uses. */
export type AccessReviewClient = Pick<AuthorizationV1Api, 'createSelfSubjectAccessReview'>;

export interface KubernetesTokenValidatorDependencies {
  readonly authentication: TokenReviewClient;
}

export interface KubernetesTokenValidatorOptions {
  /** The audiences to review for (default `['identity.nodemesh.io']`). */
  readonly audiences?: readonly string[];
  /** Deadline of one validate() call, retry included (default 10 s). */
  readonly timeoutMs?: number;
  /** Retry without audiences when the API server refuses the audience (default true, as Linkerd). */
  readonly retryWithoutAudience?: boolean;
}

export class KubernetesTokenValidator implements TokenValidator {
  readonly #api: TokenReviewClient;
  readonly #audiences: readonly string[];
  readonly #timeoutMs: number;
  readonly #retryWithoutAudience: boolean;

  constructor(deps: KubernetesTokenValidatorDependencies, options: KubernetesTokenValidatorOptions = {}) {
    this.#api = deps.authentication;
    this.#audiences = Object.freeze([...(options.audiences ?? [IDENTITY_TOKEN_AUDIENCE])]);
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TOKEN_REVIEW_TIMEOUT_MS;
    this.#retryWithoutAudience = options.retryWithoutAudience ?? true;
    if (!(Number.isFinite(this.#timeoutMs) && this.#timeoutMs > 0)) {
      throw new RangeError(`TokenReview timeout must be a positive number of milliseconds, got ${this.#timeoutMs}`);
    }
  }

  /** A validator talking to the API server of `kubeConfig`. */
  static fromKubeConfig(kubeConfig: KubeConfig, options?: KubernetesTokenValidatorOptions): KubernetesTokenValidator {
    return new KubernetesTokenValidator({ authentication: kubeConfig.makeApiClient(AuthenticationV1Api) }, options);
  }

  async validate(token: Uint8Array | string, signal?: AbortSignal): Promise<ValidatedToken> {
    const text = tokenText(token);
    signal?.throwIfAborted();
    return withDeadline('TokenReview', this.#timeoutMs, signal, async (callSignal) => {
      const first = await this.#review(text, this.#audiences, callSignal);
      if (this.#retryWithoutAudience && this.#audiences.length > 0 && isAudienceRefusal(first)) {
        const second = await this.#review(text, [], callSignal);
        // When the retry fails too, the audience complaint says more than the retry's reason,
        // unless the retry found the token expired.
        return accept(second.authenticated === true || isExpiry(second) ? second : first);
      }
      return accept(first);
    });
  }

  async #review(token: string, audiences: readonly string[], signal: AbortSignal): Promise<V1TokenReviewStatus> {
    const body = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token, ...(audiences.length > 0 ? { audiences: [...audiences] } : {}) },
    };
    const review = await this.#api.createTokenReview({ body }, withSignal(signal));
    if (review.status === undefined) {
      throw new TokenReviewError('bad-answer', 'the Kubernetes API answered the TokenReview without a status');
    }
    return review.status;
  }
}

/**
 * Checks, with a SelfSubjectAccessReview, that the credentials in use may create TokenReviews (the
 * identity service's start-up check, as Linkerd's). Throws TokenReviewError: 'forbidden' when the
 * API server says no (the message names the RBAC rule to grant), 'api-error' / 'timeout' when it
 * could not be asked.
 */
export async function checkTokenReviewAccess(
  deps: { readonly authorization: AccessReviewClient },
  options: { readonly timeoutMs?: number; readonly signal?: AbortSignal } = {},
): Promise<void> {
  const body = {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: {
      resourceAttributes: { group: 'authentication.k8s.io', version: 'v1', resource: 'tokenreviews', verb: 'create' },
    },
  };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TOKEN_REVIEW_TIMEOUT_MS;
  const review = await withDeadline('SelfSubjectAccessReview', timeoutMs, options.signal, (signal) =>
    deps.authorization.createSelfSubjectAccessReview({ body }, withSignal(signal)),
  );
  if (review.status?.allowed !== true) {
    const why = review.status?.reason ?? review.status?.evaluationError ?? 'no reason given';
    throw new TokenReviewError(
      'forbidden',
      `the identity service may not create TokenReviews (${why}); grant its service account the RBAC rule ` +
        `{apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"]}`,
    );
  }
}

/** Turns a review status into the service account, or the error that says why not. */
function accept(status: V1TokenReviewStatus): ValidatedToken {
  const error = status.error ?? '';
  if (isExpiry(status)) {
    throw new TokenExpiredError(
      `the Kubernetes API says the token has expired (${error}); the kubelet refreshes projected tokens, ` +
        'so check that the proxy reads its token file afresh for every request',
      undefined,
    );
  }
  if (error !== '') {
    throw new TokenInvalidError(
      'rejected',
      `the Kubernetes API rejected the token: ${error}; the proxy must send a projected service-account token ` +
        `with audience ${IDENTITY_TOKEN_AUDIENCE} (the injector mounts one)`,
      { fields: { reviewError: error } },
    );
  }
  if (status.authenticated !== true) {
    throw new TokenInvalidError('not-authenticated', 'the Kubernetes API did not authenticate the token');
  }
  const username = status.user?.username ?? '';
  const parsed = parseServiceAccountUsername(username);
  if ('problem' in parsed) {
    throw new TokenInvalidError(
      'bad-subject',
      `the token authenticates username ${JSON.stringify(username)}, which ${parsed.problem}; only service-account tokens get identities`,
      { fields: { username } },
    );
  }
  return Object.freeze({ namespace: parsed.namespace, serviceAccount: parsed.serviceAccount });
}

function isAudienceRefusal(status: V1TokenReviewStatus): boolean {
  return status.authenticated !== true && /audience/i.test(status.error ?? '');
}

function isExpiry(status: V1TokenReviewStatus): boolean {
  return status.authenticated !== true && /expired/i.test(status.error ?? '');
}

/**
 * Runs `call` with a signal that aborts after `timeoutMs` or when `caller` aborts, and turns what
 * the client library throws into TokenReviewError (or the caller's abort reason).
 */
async function withDeadline<T>(
  what: string,
  timeoutMs: number,
  caller: AbortSignal | undefined,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error(`${what} timed out`)), timeoutMs);
  const signal = caller === undefined ? deadline.signal : AbortSignal.any([caller, deadline.signal]);
  try {
    return await call(signal);
  } catch (err) {
    if (err instanceof TokenReviewError || err instanceof TokenInvalidError || err instanceof TokenExpiredError) {
      throw err;
    }
    if (caller?.aborted === true) throw caller.reason;
    const apiError = kubernetesApiError(`create ${what}`, err);
    if (deadline.signal.aborted) {
      throw new TokenReviewError('timeout', `the Kubernetes API did not answer the ${what} within ${timeoutMs} ms`, {
        cause: apiError,
      });
    }
    throw new TokenReviewError(
      'api-error',
      `could not ask the Kubernetes API for a ${what}: ${apiError.message}${advice(apiError)}`,
      {
        cause: apiError,
        fields: { ...(apiError.status === undefined ? {} : { status: apiError.status }) },
      },
    );
  } finally {
    clearTimeout(timer);
  }
}

function advice(err: KubernetesApiError): string {
  const status = httpStatusOf(err.cause) ?? err.status;
  if (status === 401) return "; the identity service's own credentials were refused: check its service-account token";
  if (status === 403) {
    return '; grant the identity service the RBAC rule {apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"]}';
  }
  if (status === undefined) return '; check that the API server is reachable from the identity service';
  return '';
}

/** Per-call options that attach `signal` to the request (client-node has no signal parameter). */
function withSignal(signal: AbortSignal): ConfigurationOptions<ObservableMiddleware> {
  const middleware: ObservableMiddleware = {
    pre: (context: RequestContext) => {
      context.setSignal(signal);
      return new Observable(Promise.resolve(context));
    },
    post: (context: ResponseContext) => new Observable(Promise.resolve(context)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}
