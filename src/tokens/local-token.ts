// Local-mode service-account tokens: JWTs (RFC 7519) signed ES256 that look like projected
// Kubernetes tokens, minted by `nodemesh identity token` and checked by the identity service
// when no cluster is there to run a TokenReview. docs/adr/0003-tokens.md describes the format.
//
//   header  {"alg":"ES256","typ":"JWT","kid":<RFC 7638 thumbprint of the signing key>}
//   claims  {"iss":"nodemesh-local","sub":"system:serviceaccount:<ns>:<sa>","aud":["identity.nodemesh.io"],
//            "iat":…,"nbf":…,"exp":…,"jti":<random>,"kubernetes.io":{"namespace":<ns>,"serviceaccount":{"name":<sa>}}}
//
// Contract: verification checks, in order, the shape, the algorithm (ES256 only; `none` and every
// other alg are refused before any key is touched), the kid, the signature, and only then the
// claims: issuer, subject (and the `kubernetes.io` claim agreeing with it), audience, nbf, exp,
// with `leewaySeconds` of clock skew on both time checks. Expiry throws TokenExpiredError; every
// other failure TokenInvalidError with a reason. Pure and synchronous except for the injected `now`.

import { randomBytes, type KeyObject } from 'node:crypto';
import { checkDnsLabel } from '../tls/index.ts';
import { TokenExpiredError, TokenInvalidError } from './errors.ts';
import { decodeJsonObject, signEs256, splitCompactJws, verifyEs256 } from './jws-es256.ts';
import { loadSigningKey, localTokenKeyId, localTokenKeys, type LocalTokenKeys } from './local-token-key.ts';
import {
  IDENTITY_TOKEN_AUDIENCE,
  parseServiceAccountUsername,
  serviceAccountUsername,
  type ServiceAccountRef,
} from './service-account.ts';
import { tokenText } from './token-text.ts';

export const LOCAL_TOKEN_ISSUER = 'nodemesh-local';
/** A day, as Linkerd's projected identity tokens (`expirationSeconds: 86400`). */
export const DEFAULT_LOCAL_TOKEN_LIFETIME_SECONDS = 86_400;
/** The longest lifetime mintLocalToken accepts (a year). */
export const MAX_LOCAL_TOKEN_LIFETIME_SECONDS = 366 * 86_400;
/** Clock skew allowed on nbf and exp (the same minute Kubernetes allows). */
export const DEFAULT_TOKEN_LEEWAY_SECONDS = 60;

/** The claims of a local token. */
export interface LocalTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: readonly string[];
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
  readonly jti: string;
  readonly 'kubernetes.io': { readonly namespace: string; readonly serviceaccount: { readonly name: string } };
}

export interface MintLocalTokenRequest {
  /** The private signing key (PKCS#8 or SEC1 PEM, or a KeyObject), ECDSA P-256. */
  readonly key: string | KeyObject;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Default `identity.nodemesh.io`. */
  readonly audience?: string | readonly string[];
  /** Default a day. Whole seconds, at least 1, at most a year. */
  readonly lifetimeSeconds?: number;
  /** Default the current time. */
  readonly now?: Date;
}

/** Mints a local token. Throws IdentityNameError for names that cannot become identity labels. */
export function mintLocalToken(request: MintLocalTokenRequest): string {
  checkDnsLabel(request.namespace, 'namespace');
  checkDnsLabel(request.serviceAccount, 'service account name');
  const lifetime = request.lifetimeSeconds ?? DEFAULT_LOCAL_TOKEN_LIFETIME_SECONDS;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_LOCAL_TOKEN_LIFETIME_SECONDS) {
    throw new RangeError(
      `token lifetime ${lifetime} s is not allowed: use whole seconds from 1 to ${MAX_LOCAL_TOKEN_LIFETIME_SECONDS}`,
    );
  }
  const audience = request.audience ?? IDENTITY_TOKEN_AUDIENCE;
  const aud = typeof audience === 'string' ? [audience] : [...audience];
  if (aud.length === 0 || aud.some((a) => a.length === 0)) throw new RangeError('token audience must not be empty');

  const privateKey = loadSigningKey(request.key);
  const iat = Math.floor((request.now ?? new Date()).getTime() / 1000);
  const claims: LocalTokenClaims = {
    iss: LOCAL_TOKEN_ISSUER,
    sub: serviceAccountUsername(request),
    aud,
    iat,
    nbf: iat,
    exp: iat + lifetime,
    jti: randomBytes(16).toString('base64url'),
    'kubernetes.io': { namespace: request.namespace, serviceaccount: { name: request.serviceAccount } },
  };
  return signEs256({ alg: 'ES256', typ: 'JWT', kid: localTokenKeyId(privateKey) }, claims, privateKey);
}

export interface VerifyLocalTokenOptions {
  /** The public keys trusted (a key set from `localTokenKeys`, or keys to load). */
  readonly publicKeys: LocalTokenKeys | Iterable<string | KeyObject>;
  /** The audience the token must carry (default `identity.nodemesh.io`). */
  readonly audience?: string;
  /** Default the current time. */
  readonly now?: Date;
  /** Default 60. */
  readonly leewaySeconds?: number;
}

/** What a valid local token says. */
export interface VerifiedLocalToken extends ServiceAccountRef {
  readonly expiresAt: Date;
}

/** The command that mints a fresh token, for messages. */
export function mintCommand(ref?: ServiceAccountRef): string {
  return `nodemesh identity token --sa ${ref?.serviceAccount ?? '<serviceaccount>'} --ns ${ref?.namespace ?? '<namespace>'}`;
}

/** Verifies a local token (see the file header for the order of checks). */
export function verifyLocalToken(token: string | Uint8Array, options: VerifyLocalTokenOptions): VerifiedLocalToken {
  const keys = isKeySet(options.publicKeys) ? options.publicKeys : localTokenKeys(options.publicKeys);
  const audience = options.audience ?? IDENTITY_TOKEN_AUDIENCE;
  const leeway = options.leewaySeconds ?? DEFAULT_TOKEN_LEEWAY_SECONDS;
  const now = options.now ?? new Date();

  const jws = splitCompactJws(tokenText(token));
  const key = keyFor(jws.header, keys);
  if (!verifyEs256(jws.signingInput, jws.signature, key)) {
    throw new TokenInvalidError(
      'bad-signature',
      `token signature does not verify with key ${String(jws.header['kid'])}: the token was altered or signed by another key; mint a new one with \`${mintCommand()}\``,
    );
  }

  const claims = decodeJsonObject(jws.payload, 'claims');
  const ref = subjectOf(claims);
  const hint = `mint a new one with \`${mintCommand(ref)}\``;
  const who = serviceAccountUsername(ref);
  if (claims['iss'] !== LOCAL_TOKEN_ISSUER) {
    throw new TokenInvalidError(
      'wrong-issuer',
      `token for ${who} was issued by ${JSON.stringify(claims['iss'])}, not ${JSON.stringify(LOCAL_TOKEN_ISSUER)}; ${hint}`,
    );
  }
  const audiences = audiencesOf(claims['aud']);
  if (!audiences.includes(audience)) {
    throw new TokenInvalidError(
      'wrong-audience',
      `token for ${who} is for audience ${JSON.stringify(audiences)}, not ${JSON.stringify(audience)}; ${hint}`,
      { fields: { audiences } },
    );
  }

  const exp = numericDate(claims, 'exp', true);
  const nbf = numericDate(claims, 'nbf', false);
  numericDate(claims, 'iat', false);
  const nowSeconds = now.getTime() / 1000;
  if (nbf !== undefined && nowSeconds + leeway < nbf) {
    throw new TokenInvalidError(
      'not-yet-valid',
      `token for ${who} is not valid before ${isoSeconds(nbf)} (now ${now.toISOString()}, leeway ${leeway} s); check this machine's clock`,
    );
  }
  const expiresAt = new Date(exp * 1000);
  if (nowSeconds - leeway >= exp) {
    throw new TokenExpiredError(
      `token for ${who} expired at ${expiresAt.toISOString()} (now ${now.toISOString()}); ${hint}`,
      expiresAt,
    );
  }
  return { namespace: ref.namespace, serviceAccount: ref.serviceAccount, expiresAt };
}

function isKeySet(keys: LocalTokenKeys | Iterable<string | KeyObject>): keys is LocalTokenKeys {
  return keys instanceof Map;
}

function keyFor(header: Readonly<Record<string, unknown>>, keys: LocalTokenKeys): KeyObject {
  const alg = header['alg'];
  if (alg === 'none') {
    throw new TokenInvalidError(
      'unsupported-algorithm',
      `token is unsigned (alg "none"); local tokens must be signed ES256: mint one with \`${mintCommand()}\``,
    );
  }
  if (alg !== 'ES256') {
    throw new TokenInvalidError(
      'unsupported-algorithm',
      `token is signed with alg ${JSON.stringify(alg)}; local tokens are signed ES256 only: mint one with \`${mintCommand()}\``,
    );
  }
  if (header['typ'] !== undefined && header['typ'] !== 'JWT') {
    throw new TokenInvalidError('malformed', `token header has typ ${JSON.stringify(header['typ'])}, expected "JWT"`);
  }
  if (header['crit'] !== undefined) {
    throw new TokenInvalidError(
      'malformed',
      'token header has critical extensions (crit), which local tokens never use',
    );
  }
  const kid = header['kid'];
  if (typeof kid !== 'string' || kid.length === 0) {
    throw new TokenInvalidError('malformed', 'token header has no kid naming its signing key');
  }
  const key = keys.get(kid);
  if (key === undefined) {
    const known = keys.size === 0 ? 'it trusts no key' : `it trusts ${[...keys.keys()].join(', ')}`;
    throw new TokenInvalidError(
      'unknown-key',
      `token was signed by key ${kid}, which this identity service does not trust (${known}); ` +
        `was it minted for another local mesh? mint a new one with \`${mintCommand()}\``,
      { fields: { kid } },
    );
  }
  return key;
}

function subjectOf(claims: Readonly<Record<string, unknown>>): ServiceAccountRef {
  const sub = claims['sub'];
  if (typeof sub !== 'string')
    throw new TokenInvalidError('bad-subject', 'token has no sub claim naming a service account');
  const ref = parseServiceAccountUsername(sub);
  if ('problem' in ref) {
    throw new TokenInvalidError('bad-subject', `token subject ${JSON.stringify(sub)} ${ref.problem}`, {
      fields: { sub },
    });
  }
  const k8s = claims['kubernetes.io'] as { namespace?: unknown; serviceaccount?: { name?: unknown } } | undefined;
  if (
    typeof k8s !== 'object' ||
    k8s === null ||
    k8s.namespace !== ref.namespace ||
    typeof k8s.serviceaccount !== 'object' ||
    k8s.serviceaccount === null ||
    k8s.serviceaccount.name !== ref.serviceAccount
  ) {
    throw new TokenInvalidError(
      'bad-subject',
      `token's kubernetes.io claim does not name the same service account as its subject ${JSON.stringify(sub)}`,
      { fields: { sub } },
    );
  }
  return ref;
}

function audiencesOf(aud: unknown): string[] {
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud) && aud.every((a) => typeof a === 'string')) return aud;
  return [];
}

function numericDate(claims: Readonly<Record<string, unknown>>, name: string, required: true): number;
function numericDate(claims: Readonly<Record<string, unknown>>, name: string, required: false): number | undefined;
function numericDate(claims: Readonly<Record<string, unknown>>, name: string, required: boolean): number | undefined {
  const value = claims[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TokenInvalidError('malformed', `token claim ${name} must be a number of seconds since 1970`);
  }
  return value;
}

function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}
