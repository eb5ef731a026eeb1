// JWS compact serialization (RFC 7515) with ES256 (RFC 7518 §3.4): ECDSA P-256 over SHA-256, the
// signature being the raw 64-byte r||s, parts base64url-encoded without padding.
//
// Contract: `splitCompactJws` checks only the shape (three canonical base64url parts, a JSON
// object header) and throws TokenInvalidError('malformed'); the payload is decoded with
// `decodeJsonObject` only after the signature has been checked. `signEs256` / `verifyEs256` never
// throw on a bad signature: verify returns false. Keys are Node KeyObjects on P-256.

import { sign, verify, type KeyObject } from 'node:crypto';
import { TokenInvalidError } from './errors.ts';

/** The three parts of a compact JWS, the header decoded. */
export interface CompactJws {
  readonly header: Readonly<Record<string, unknown>>;
  /** The base64url payload, still undecoded. */
  readonly payload: string;
  /** `<header>.<payload>`, the bytes the signature covers. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const ES256_SIGNATURE_BYTES = 64;

/** Splits and shape-checks a compact JWS. */
export function splitCompactJws(token: string): CompactJws {
  const parts = token.split('.');
  if (parts.length !== 3) {
    throw new TokenInvalidError(
      'malformed',
      `token is not a JWT: expected three base64url parts separated by '.', found ${parts.length}`,
    );
  }
  const [headerPart = '', payload = '', signaturePart = ''] = parts;
  const header = decodeJsonObject(headerPart, 'header');
  return {
    header,
    payload,
    signingInput: `${headerPart}.${payload}`,
    // An empty signature (what alg "none" tokens carry) decodes to no bytes; the alg check,
    // which comes next, gives the better message.
    signature: signaturePart === '' ? Buffer.alloc(0) : decodeBase64Url(signaturePart, 'signature'),
  };
}

/** Decodes one base64url part holding a JSON object (`what` names it in messages). */
export function decodeJsonObject(part: string, what: string): Readonly<Record<string, unknown>> {
  const bytes = decodeBase64Url(part, what);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new TokenInvalidError('malformed', `token ${what} is not JSON`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenInvalidError('malformed', `token ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Strict base64url: the alphabet only, no padding, and canonical (re-encodes to itself). */
function decodeBase64Url(part: string, what: string): Buffer {
  if (part.length === 0) throw new TokenInvalidError('malformed', `token ${what} is empty`);
  const bytes = BASE64URL.test(part) ? Buffer.from(part, 'base64url') : undefined;
  if (bytes === undefined || bytes.toString('base64url') !== part) {
    throw new TokenInvalidError('malformed', `token ${what} is not canonical unpadded base64url`);
  }
  return bytes;
}

/** `<base64url(header)>.<base64url(payload)>.<base64url(ES256 signature)>`. */
export function signEs256(header: object, payload: object, privateKey: KeyObject): string {
  const signingInput = `${encodeJson(header)}.${encodeJson(payload)}`;
  const signature = sign('sha256', Buffer.from(signingInput), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** True when `signature` is a valid ES256 signature of `signingInput` by `publicKey`. */
export function verifyEs256(signingInput: string, signature: Buffer, publicKey: KeyObject): boolean {
  if (signature.length !== ES256_SIGNATURE_BYTES) return false;
  try {
    return verify('sha256', Buffer.from(signingInput), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

function encodeJson(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
