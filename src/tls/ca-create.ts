// Creating CA certificates: a self-signed trust anchor (root) and an issuer (intermediate CA,
// pathLen 0) signed by it. Used by `nodemesh identity init` / `identity issuer`, local mode and
// tests.
//
// Contract: both make ECDSA P-256 keys (unless one is given) and certificates signed with
// ecdsa-with-SHA256 through the same encoder as leaves; NotBefore = now − clockSkew; an issuer's
// NotAfter is capped at its anchor's. createIssuer checks that the anchor is a CA and that
// `anchorKey` belongs to it. The returned PEM texts end with a newline.

import type { KeyObject } from 'node:crypto';
import {
  authorityKeyIdExtension,
  basicConstraintsExtension,
  encodeTbs,
  keyUsageExtension,
  randomSerialNumber,
  signCertificate,
  subjectKeyIdExtension,
} from './certificate-builder.ts';
import { KEY_USAGE, parseCertificate } from './certificate-parser.ts';
import { ChainError, TlsKeyError } from './errors.ts';
import { DEFAULT_CLOCK_SKEW_MS } from './issuer.ts';
import { assertP256, exportPrivateKeyPem, exportPublicKeySpki, generateP256KeyPair, keysMatch } from './keys.ts';
import { derToPem } from './pem.ts';
import { keyIdentifier, readSpki } from './spki.ts';
import { readWhole, TAG } from './der.ts';
import { encodeCommonNameOnly } from './x509-names.ts';

/** One year: the lifetime `linkerd install` gives its anchor and issuer. */
export const DEFAULT_CA_LIFETIME_MS = 365 * 24 * 60 * 60 * 1000;

/** A CA certificate with its key. */
export interface CreatedCa {
  readonly certificate: Buffer;
  readonly privateKey: KeyObject;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

export interface TrustAnchorSpec {
  /** e.g. `root.nodemesh.cluster.local` (see trustAnchorCommonName). */
  readonly commonName: string;
  readonly lifetimeMs?: number;
  readonly clockSkewMs?: number;
  readonly now?: () => Date;
  /** Use this P-256 key instead of generating one. */
  readonly privateKey?: KeyObject;
}

export interface IssuerSpec {
  /** The anchor certificate (DER) that signs the issuer. */
  readonly anchor: Uint8Array;
  readonly anchorKey: KeyObject;
  /** e.g. `identity.nodemesh.cluster.local` (see issuerCommonName). */
  readonly commonName: string;
  readonly lifetimeMs?: number;
  readonly clockSkewMs?: number;
  readonly now?: () => Date;
  readonly privateKey?: KeyObject;
}

const CA_KEY_USAGE = keyUsageExtension(KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign);

/** A self-signed root CA: basicConstraints cA (critical), keyCertSign+cRLSign, SKI. */
export async function createTrustAnchor(spec: TrustAnchorSpec): Promise<CreatedCa> {
  const privateKey = await keyFor(spec.privateKey, 'trust anchor key');
  const spki = exportPublicKeySpki(privateKey);
  const name = encodeCommonNameOnly(checkCommonName(spec.commonName));
  const { notBefore, notAfter } = window(spec, Number.POSITIVE_INFINITY);
  const tbs = encodeTbs({
    serialNumber: randomSerialNumber(),
    issuerName: name,
    notBefore,
    notAfter,
    subjectName: name,
    spki,
    extensions: [basicConstraintsExtension(true), CA_KEY_USAGE, subjectKeyIdExtension(keyIdOf(spki))],
  });
  return created(signCertificate(tbs, privateKey), privateKey);
}

/** An intermediate CA signed by `anchor`: cA with pathLen 0, keyCertSign+cRLSign, SKI, AKI. */
export async function createIssuer(spec: IssuerSpec): Promise<CreatedCa> {
  const anchor = parseCertificate(spec.anchor, 'anchor certificate');
  assertP256(spec.anchorKey, 'anchor private key');
  if (!keysMatch(spec.anchorKey, anchor.publicKey.encoding)) {
    throw new TlsKeyError('mismatch', 'the anchor private key does not belong to the anchor certificate');
  }
  if (anchor.basicConstraints?.ca !== true) {
    throw new ChainError('not-a-ca', 'the anchor certificate is not a CA (basicConstraints cA=true is required)');
  }
  const privateKey = await keyFor(spec.privateKey, 'issuer key');
  const spki = exportPublicKeySpki(privateKey);
  const { notBefore, notAfter } = window(spec, anchor.notAfter.getTime());
  const tbs = encodeTbs({
    serialNumber: randomSerialNumber(),
    issuerName: anchor.subjectName,
    notBefore,
    notAfter,
    subjectName: encodeCommonNameOnly(checkCommonName(spec.commonName)),
    spki,
    extensions: [
      basicConstraintsExtension(true, 0),
      CA_KEY_USAGE,
      subjectKeyIdExtension(keyIdOf(spki)),
      authorityKeyIdExtension(anchor.subjectKeyId ?? keyIdentifier(anchor.publicKey.publicKeyBits)),
    ],
  });
  return created(signCertificate(tbs, spec.anchorKey), privateKey);
}

async function keyFor(given: KeyObject | undefined, what: string): Promise<KeyObject> {
  if (given === undefined) return (await generateP256KeyPair()).privateKey;
  assertP256(given, what);
  return given;
}

function window(
  spec: { readonly lifetimeMs?: number; readonly clockSkewMs?: number; readonly now?: () => Date },
  capMs: number,
): { notBefore: Date; notAfter: Date } {
  const nowMs = (spec.now ?? (() => new Date()))().getTime();
  const lifetime = spec.lifetimeMs ?? DEFAULT_CA_LIFETIME_MS;
  const skew = spec.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  if (!(lifetime > 0) || !(skew >= 0)) throw new RangeError('lifetimeMs must be > 0 and clockSkewMs >= 0');
  const seconds = (ms: number): Date => new Date(Math.floor(ms / 1000) * 1000);
  return { notBefore: seconds(nowMs - skew), notAfter: seconds(Math.min(nowMs + lifetime, capMs)) };
}

function keyIdOf(spki: Buffer): Buffer {
  return keyIdentifier(readSpki(spki, readWhole(spki, TAG.SEQUENCE, 'public key')).publicKeyBits);
}

function checkCommonName(commonName: string): string {
  if (commonName.length === 0 || commonName.length > 64) {
    throw new RangeError(`a CA common name must be 1 to 64 characters, got ${commonName.length}`);
  }
  return commonName;
}

function created(certificate: Buffer, privateKey: KeyObject): CreatedCa {
  return {
    certificate,
    privateKey,
    certificatePem: derToPem(certificate),
    privateKeyPem: exportPrivateKeyPem(privateKey),
  };
}
