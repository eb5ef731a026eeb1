// TokenValidator: what the identity service asks of whatever checks the service-account token a
// proxy sends with its CSR. Implementations: token-validator-kubernetes.ts (TokenReview, in a
// cluster) and token-validator-local.ts (local JWTs, in local mode).
//
// Contract: `validate` resolves to the workload's service account, whose two names are DNS-1123
// labels (they become identity labels). It rejects with
//   - TokenInvalidError (MESH_ERR_TOKEN_INVALID)  the token is not acceptable  → UNAUTHENTICATED
//   - TokenExpiredError (MESH_ERR_TOKEN_EXPIRED)  the token has expired        → UNAUTHENTICATED
//   - TokenReviewError  (MESH_ERR_TOKEN_REVIEW)   the token could not be checked → UNAVAILABLE
// (the mapping is the identity service's, at its gRPC boundary), or with `signal.reason` when the
// caller aborts. Implementations are safe to call concurrently and keep no per-call state.

/** The service account a token was issued to. */
export interface ValidatedToken {
  readonly namespace: string;
  readonly serviceAccount: string;
}

export interface TokenValidator {
  /** Checks `token` (its text, or the bytes of a token file or a gRPC field). */
  validate(token: Uint8Array | string, signal?: AbortSignal): Promise<ValidatedToken>;
}
