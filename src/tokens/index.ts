// Public surface of src/tokens: service-account tokens. The local-mode token format (mint,
// verify, signing keys), service-account usernames, the identity token audience, the token
// input check, and the token errors shared with the Kubernetes TokenReview validator.
//
// The JWS codec stays internal.

export {
  TokenExpiredError,
  TokenInvalidError,
  TokenReviewError,
  type TokenProblem,
  type TokenReviewProblem,
} from './errors.ts';
export {
  IDENTITY_TOKEN_AUDIENCE,
  parseServiceAccountUsername,
  serviceAccountUsername,
  type ServiceAccountRef,
} from './service-account.ts';
export { MAX_TOKEN_BYTES, tokenText } from './token-text.ts';
export {
  generateLocalSigningKey,
  localTokenKeyId,
  localTokenKeys,
  localTokenKeysFromPem,
  type LocalSigningKey,
  type LocalTokenKeys,
} from './local-token-key.ts';
export {
  DEFAULT_LOCAL_TOKEN_LIFETIME_SECONDS,
  DEFAULT_TOKEN_LEEWAY_SECONDS,
  LOCAL_TOKEN_ISSUER,
  MAX_LOCAL_TOKEN_LIFETIME_SECONDS,
  mintCommand,
  mintLocalToken,
  verifyLocalToken,
  type LocalTokenClaims,
  type MintLocalTokenRequest,
  type VerifiedLocalToken,
  type VerifyLocalTokenOptions,
} from './local-token.ts';
