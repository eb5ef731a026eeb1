// The fake API server's review endpoints: TokenReview (authentication.k8s.io/v1) and
// SelfSubjectAccessReview (authorization.k8s.io/v1), each answered by a pluggable function.
//
// Contract: a reviewer gets the parsed request (the token or the attributes, plus the bearer token
// the caller authenticated with) and answers with a review status, or with `httpStatus` to make
// the API call itself fail. `simulatedTokenReviewer` behaves like kube-apiserver's service-account
// token authenticator, including its audience check and its error texts.

/** A TokenReview as the fake server received it. */
export interface TokenReviewRequest {
  readonly token: string;
  /** `spec.audiences` as sent ([] when absent). */
  readonly audiences: readonly string[];
  /** The caller's own bearer token (from the Authorization header). */
  readonly bearerToken: string | undefined;
}

/** How a TokenReview is answered. */
export type TokenReviewAnswer =
  | {
      readonly authenticated: true;
      readonly user: { readonly username: string; readonly uid?: string; readonly groups?: readonly string[] };
      readonly audiences?: readonly string[];
    }
  | { readonly authenticated: false; readonly error?: string }
  | { readonly httpStatus: number; readonly message?: string };

export type TokenReviewer = (request: TokenReviewRequest) => TokenReviewAnswer | Promise<TokenReviewAnswer>;

/** A SelfSubjectAccessReview as the fake server received it. */
export interface AccessReviewRequest {
  readonly resourceAttributes: Readonly<Record<string, unknown>> | undefined;
  readonly nonResourceAttributes: Readonly<Record<string, unknown>> | undefined;
  readonly bearerToken: string | undefined;
}

/** How a SelfSubjectAccessReview is answered. */
export type AccessReviewAnswer =
  | { readonly allowed: boolean; readonly denied?: boolean; readonly reason?: string }
  | { readonly httpStatus: number; readonly message?: string };

export type AccessReviewer = (request: AccessReviewRequest) => AccessReviewAnswer | Promise<AccessReviewAnswer>;

/** The default token reviewer: authenticates nothing. */
export const refuseAllTokens: TokenReviewer = () => ({
  authenticated: false,
  error: '[invalid bearer token, the fake API server has no token reviewer set]',
});

/** The default access reviewer: allows everything. */
export const allowEverything: AccessReviewer = () => ({ allowed: true, reason: 'allowed by the fake API server' });

/** A token the simulated authenticator knows. */
export interface SimulatedToken {
  /** E.g. `system:serviceaccount:shop:web`. */
  readonly username: string;
  /** The token's `aud` claim. */
  readonly audiences: readonly string[];
  readonly expired?: boolean;
}

/** The audience kube-apiserver assumes when a TokenReview names none. */
export const API_SERVER_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';

/**
 * A reviewer that knows `tokens` and checks audiences as kube-apiserver does: the review's
 * audiences (or the API server's own when none are given) must intersect the token's, and the
 * answer's `audiences` is that intersection.
 */
export function simulatedTokenReviewer(
  tokens: ReadonlyMap<string, SimulatedToken>,
  apiServerAudiences: readonly string[] = [API_SERVER_AUDIENCE],
): TokenReviewer {
  return ({ token, audiences }) => {
    const known = tokens.get(token);
    if (known === undefined) return { authenticated: false, error: '[invalid bearer token, token not recognised]' };
    if (known.expired === true) {
      return { authenticated: false, error: '[invalid bearer token, service account token has expired]' };
    }
    const wanted = audiences.length > 0 ? audiences : apiServerAudiences;
    const common = known.audiences.filter((a) => wanted.includes(a));
    if (common.length === 0) {
      return {
        authenticated: false,
        error: `[invalid bearer token, token audiences ${JSON.stringify(known.audiences)} is invalid for the target audiences ${JSON.stringify(wanted)}]`,
      };
    }
    const [, , namespace] = known.username.split(':');
    const groups = ['system:serviceaccounts', `system:serviceaccounts:${namespace ?? ''}`, 'system:authenticated'];
    return { authenticated: true, user: { username: known.username, groups }, audiences: common };
  };
}

/** An HTTP answer computed by a review handler: an object, or a failure Status. */
export type ReviewResponse =
  | { readonly type: 'object'; readonly code: number; readonly body: unknown }
  | { readonly type: 'status'; readonly code: number; readonly message: string };

/** Parses a TokenReview body, or returns the 400 answer. */
export function parseTokenReview(body: unknown, bearerToken: string | undefined): TokenReviewRequest | ReviewResponse {
  const spec = objectField(body, 'spec');
  const token = spec?.['token'];
  if (typeof token !== 'string') return badRequest('TokenReview.spec.token must be a string');
  const audiences = spec?.['audiences'] ?? [];
  if (!Array.isArray(audiences) || !audiences.every((a) => typeof a === 'string')) {
    return badRequest('TokenReview.spec.audiences must be a list of strings');
  }
  return { token, audiences, bearerToken };
}

/** The TokenReview (201) a real API server would return for `answer`, or the failure status. */
export function tokenReviewResponse(request: TokenReviewRequest, answer: TokenReviewAnswer): ReviewResponse {
  if ('httpStatus' in answer) return failure(answer.httpStatus, answer.message);
  const status = answer.authenticated
    ? { authenticated: true, user: answer.user, ...(answer.audiences ? { audiences: answer.audiences } : {}) }
    : { authenticated: false, ...(answer.error === undefined ? {} : { error: answer.error }) };
  return {
    type: 'object',
    code: 201,
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      metadata: {},
      spec: { token: request.token, ...(request.audiences.length > 0 ? { audiences: request.audiences } : {}) },
      status,
    },
  };
}

/** Parses a SelfSubjectAccessReview body, or returns the 400 answer. */
export function parseAccessReview(
  body: unknown,
  bearerToken: string | undefined,
): AccessReviewRequest | ReviewResponse {
  const spec = objectField(body, 'spec');
  if (spec === undefined) return badRequest('SelfSubjectAccessReview.spec is required');
  const resourceAttributes = objectField(spec, 'resourceAttributes');
  const nonResourceAttributes = objectField(spec, 'nonResourceAttributes');
  if (resourceAttributes === undefined && nonResourceAttributes === undefined) {
    return badRequest('SelfSubjectAccessReview.spec needs resourceAttributes or nonResourceAttributes');
  }
  return { resourceAttributes, nonResourceAttributes, bearerToken };
}

/** The SelfSubjectAccessReview (201) for `answer`, or the failure status. */
export function accessReviewResponse(request: AccessReviewRequest, answer: AccessReviewAnswer): ReviewResponse {
  if ('httpStatus' in answer) return failure(answer.httpStatus, answer.message);
  return {
    type: 'object',
    code: 201,
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec: {
        ...(request.resourceAttributes ? { resourceAttributes: request.resourceAttributes } : {}),
        ...(request.nonResourceAttributes ? { nonResourceAttributes: request.nonResourceAttributes } : {}),
      },
      status: {
        allowed: answer.allowed,
        ...(answer.denied === undefined ? {} : { denied: answer.denied }),
        ...(answer.reason === undefined ? {} : { reason: answer.reason }),
      },
    },
  };
}

/** True when `value` is an answer rather than a parsed request. */
export function isReviewResponse(value: object): value is ReviewResponse {
  return 'type' in value;
}

function objectField(value: unknown, name: string): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const field = (value as Record<string, unknown>)[name];
  return typeof field === 'object' && field !== null && !Array.isArray(field)
    ? (field as Record<string, unknown>)
    : undefined;
}

function badRequest(message: string): ReviewResponse {
  return failure(400, message);
}

function failure(code: number, message: string | undefined): ReviewResponse {
  return { type: 'status', code, message: message ?? `the fake API server was told to answer ${code}` };
}
