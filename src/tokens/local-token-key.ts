// Signing keys of local-mode tokens: generate a P-256 pair as PEM, name a key by its RFC 7638
// JWK thumbprint (the token header's `kid`), and load the public keys a verifier trusts.
//
// Contract: every key is ECDSA P-256 (TlsKeyError otherwise, at load time, naming the key's
// source). The `kid` depends only on the public key, so the minter and the verifier agree on it
// without sharing anything but the public key PEM. Loading is synchronous; generation is not.

import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { TlsKeyError, assertP256, generateP256KeyPair, parsePrivateKeyPem, splitPem } from '../tls/index.ts';

/** A freshly generated signing key pair. */
export interface LocalSigningKey {
  /** The RFC 7638 thumbprint of the public key (base64url SHA-256). */
  readonly kid: string;
  /** PKCS#8 PEM; stays with whoever mints tokens. */
  readonly privateKeyPem: string;
  /** SPKI PEM; given to the identity service. */
  readonly publicKeyPem: string;
}

/** Public keys by kid, as a verifier holds them. */
export type LocalTokenKeys = ReadonlyMap<string, KeyObject>;

/** Generates a P-256 signing key pair for local tokens. */
export async function generateLocalSigningKey(): Promise<LocalSigningKey> {
  const { privateKey, publicKey } = await generateP256KeyPair();
  return {
    kid: localTokenKeyId(publicKey),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** The RFC 7638 JWK SHA-256 thumbprint of a P-256 key (private keys are reduced to their public half). */
export function localTokenKeyId(key: KeyObject): string {
  assertP256(key, 'token signing key');
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = publicKey.export({ format: 'jwk' });
  // RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace.
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

/** The private signing key from PEM or a KeyObject; `source` names it in messages. */
export function loadSigningKey(key: string | KeyObject, source = 'token signing key'): KeyObject {
  if (typeof key === 'string') return parsePrivateKeyPem(key, source);
  assertP256(key, source);
  if (key.type !== 'private') throw new TlsKeyError('unsupported', `the ${source} must be a private key`);
  return key;
}

/**
 * The verifier's key set from public keys as PEM (SPKI, or a private key, whose public half is
 * used) or KeyObjects. Duplicates collapse; an empty set is allowed (it accepts no token).
 */
export function localTokenKeys(keys: Iterable<string | KeyObject>): LocalTokenKeys {
  const set = new Map<string, KeyObject>();
  let index = 0;
  for (const key of keys) {
    index += 1;
    const source = `token verification key #${index}`;
    let publicKey: KeyObject;
    try {
      publicKey = typeof key === 'string' ? createPublicKey({ key, format: 'pem' }) : key;
    } catch (err) {
      throw new TlsKeyError(
        'unparsable',
        `the ${source} could not be parsed: expected a PEM block "-----BEGIN PUBLIC KEY-----"`,
        { cause: err, fields: { source } },
      );
    }
    if (publicKey.type === 'private') publicKey = createPublicKey(publicKey);
    assertP256(publicKey, source);
    set.set(localTokenKeyId(publicKey), publicKey);
  }
  return set;
}

/**
 * The key set in a PEM file of one or more `PUBLIC KEY` blocks (other blocks are ignored);
 * `source` (a file path) names it in messages. TlsKeyError when it holds no public key.
 */
export function localTokenKeysFromPem(text: string, source = 'token verification keys'): LocalTokenKeys {
  const blocks = splitPem(text, source).filter((b) => b.label === 'PUBLIC KEY');
  if (blocks.length === 0) {
    throw new TlsKeyError(
      'unparsable',
      `${source} holds no "-----BEGIN PUBLIC KEY-----" block; write the public half of the token signing key there`,
      { fields: { source } },
    );
  }
  return localTokenKeys(blocks.map((b) => createPublicKey({ key: b.der, format: 'der', type: 'spki' })));
}
