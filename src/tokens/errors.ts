// The failure kinds of token validation, one class per code.
//
// Contract: messages tell a person what to do and never contain the token (a bearer secret).
// `reason` is stable and is what callers and tests branch on. The identity service maps
// TokenInvalidError and TokenExpiredError to UNAUTHENTICATED and TokenReviewError to UNAVAILABLE
// at its boundary; nothing here knows about gRPC.

import { MeshError, type MeshErrorOptions } from '../errors/index.ts';

/** Why a token was refused. */
export type TokenProblem =
  | 'malformed'
  | 'unsupported-algorithm'
  | 'unknown-key'
  | 'bad-signature'
  | 'wrong-issuer'
  | 'wrong-audience'
  | 'not-yet-valid'
  | 'bad-subject'
  | 'rejected'
  | 'not-authenticated';

/** A token that is malformed, badly signed, for another audience, not yet valid, or names no service account. */
export class TokenInvalidError extends MeshError {
  readonly reason: TokenProblem;

  constructor(reason: TokenProblem, message: string, options: MeshErrorOptions = {}) {
    super('MESH_ERR_TOKEN_INVALID', message, { ...options, fields: { reason, ...options.fields } });
    this.reason = reason;
  }
}

/** A token past its expiry. `expiresAt` is undefined when only the Kubernetes API knew it. */
export class TokenExpiredError extends MeshError {
  readonly expiresAt: Date | undefined;

  constructor(message: string, expiresAt: Date | undefined, options: MeshErrorOptions = {}) {
    super('MESH_ERR_TOKEN_EXPIRED', message, {
      ...options,
      fields: { ...(expiresAt === undefined ? {} : { expiresAt: expiresAt.toISOString() }), ...options.fields },
    });
    this.expiresAt = expiresAt;
  }
}

/** Why the Kubernetes API could not review a token. */
export type TokenReviewProblem = 'api-error' | 'timeout' | 'bad-answer' | 'forbidden';

/** The Kubernetes API could not be asked to review a token (network error, 5xx, forbidden, timeout). */
export class TokenReviewError extends MeshError {
  readonly reason: TokenReviewProblem;

  constructor(reason: TokenReviewProblem, message: string, options: MeshErrorOptions = {}) {
    super('MESH_ERR_TOKEN_REVIEW', message, { ...options, fields: { reason, ...options.fields } });
    this.reason = reason;
  }
}
