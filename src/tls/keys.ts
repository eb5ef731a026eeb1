// ECDSA P-256 keys: generate, export for TLS, parse from PEM, check the curve, compare with a
// certificate's public key.
//
// Contract: keys are Node KeyObjects. A workload's private key is generated in the process and
// never needs to leave it: export it to PKCS#8 PEM only to hand it to node:tls (which takes PEM),
// or to write an issuer/anchor key file. Messages never include key material. Everything is
// synchronous except generation.

import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { TlsKeyError } from './errors.ts';

const generateKeyPairAsync = promisify(generateKeyPair);

/** An ECDSA P-256 key pair. */
export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** Generates an ECDSA P-256 key pair (off the main thread). */
export async function generateP256KeyPair(): Promise<KeyPair> {
  try {
    const { privateKey, publicKey } = await generateKeyPairAsync('ec', { namedCurve: 'P-256' });
    return { privateKey, publicKey };
  } catch (err) {
    throw new TlsKeyError('unsupported', 'could not generate an ECDSA P-256 key pair', { cause: err });
  }
}

/** The private key as PKCS#8 PEM (ends with a newline), for node:tls or a key file. */
export function exportPrivateKeyPem(privateKey: KeyObject): string {
  assertP256(privateKey, 'private key');
  if (privateKey.type !== 'private') {
    throw new TlsKeyError('unsupported', `expected a private key, got a ${privateKey.type} key`);
  }
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** The public key as SubjectPublicKeyInfo DER. */
export function exportPublicKeySpki(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return publicKey.export({ type: 'spki', format: 'der' });
}

/**
 * Parses a PEM private key (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`) and checks it is
 * ECDSA P-256. `source` names where it came from (a file path, a Secret key) for the message.
 */
export function parsePrivateKeyPem(pem: string | Uint8Array, source = 'private key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: typeof pem === 'string' ? pem : Buffer.from(pem), format: 'pem' });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const hint =
      code === 'ERR_MISSING_PASSPHRASE'
        ? 'it is encrypted; nodemesh needs an unencrypted PKCS#8 or SEC1 key'
        : 'expected an unencrypted PEM block "-----BEGIN PRIVATE KEY-----" (PKCS#8) or "-----BEGIN EC PRIVATE KEY-----" (SEC1)';
    throw new TlsKeyError('unparsable', `the ${source} could not be parsed: ${hint}`, {
      cause: err,
      fields: { source },
    });
  }
  assertP256(key, source);
  return key;
}

/** Throws TlsKeyError('unsupported') unless `key` is an ECDSA P-256 key. */
export function assertP256(key: KeyObject, what = 'key'): void {
  const description = describeKey(key);
  if (description !== 'ECDSA P-256') {
    throw new TlsKeyError(
      'unsupported',
      `the ${what} is ${description}; nodemesh only uses ECDSA P-256 (prime256v1) keys`,
      { fields: { key: description } },
    );
  }
}

const CURVES: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
const KEY_TYPES: Readonly<Record<string, string>> = {
  rsa: 'RSA',
  'rsa-pss': 'RSA-PSS',
  ed25519: 'Ed25519',
  ed448: 'Ed448',
};

/** `ECDSA P-256`, `RSA 2048`, `ECDSA P-384`, `Ed25519`, … */
export function describeKey(key: KeyObject): string {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === undefined) return 'a symmetric key';
  if (type === 'ec') {
    const curve = details.namedCurve ?? 'unknown curve';
    return `ECDSA ${CURVES[curve] ?? curve}`;
  }
  const name = KEY_TYPES[type] ?? type;
  return details.modulusLength === undefined ? name : `${name} ${details.modulusLength}`;
}

/**
 * True when `privateKey` is the private half of `publicKey` (a KeyObject or SPKI DER, e.g. from a
 * certificate). Both are normalised through OpenSSL before comparing.
 */
export function keysMatch(privateKey: KeyObject, publicKey: KeyObject | Uint8Array): boolean {
  const other =
    publicKey instanceof Uint8Array
      ? createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' })
      : publicKey;
  return exportPublicKeySpki(privateKey).equals(exportPublicKeySpki(other));
}
