// SubjectPublicKeyInfo: read the algorithm, curve and key bits; say why a key is not the
// ECDSA P-256 key nodemesh requires; compute key identifiers (SKI/AKI).
//
// Contract: reads untrusted DER through der.ts (throws DerError). The P-256 check here is
// structural (OIDs, uncompressed 65-byte point); whether the point is on the curve is checked by
// OpenSSL when the key is loaded (csr.ts does that before verifying a signature).

import { createHash } from 'node:crypto';
import { DerError, TAG, childrenOf, encodingOf, expectTag, readBitString, readOid, type Tlv } from './der.ts';
import { OID, oidName } from './oids.ts';

export interface SpkiInfo {
  /** The key algorithm OID (id-ecPublicKey, rsaEncryption, …). */
  readonly algorithm: string;
  /** The named curve OID for EC keys; undefined for other keys or explicit curve parameters. */
  readonly curve: string | undefined;
  /** The subjectPublicKey BIT STRING content (for EC keys, the point). */
  readonly publicKeyBits: Uint8Array;
  /** The whole SubjectPublicKeyInfo encoding (a view into the parsed buffer). */
  readonly encoding: Uint8Array;
}

/** Reads a SubjectPublicKeyInfo. */
export function readSpki(buf: Uint8Array, spki: Tlv): SpkiInfo {
  expectTag(spki, TAG.SEQUENCE, 'subject public key info');
  const [algorithmId, key, extra] = childrenOf(buf, spki);
  if (extra !== undefined) throw new DerError('subject public key info has extra fields');
  expectTag(algorithmId, TAG.SEQUENCE, 'public key algorithm');
  const [algorithmOid, parameters] = childrenOf(buf, algorithmId);
  const algorithm = readOid(buf, algorithmOid!);
  const curve =
    algorithm === OID.EC_PUBLIC_KEY && parameters !== undefined && parameters.tag === TAG.OID
      ? readOid(buf, parameters)
      : undefined;
  const bits = readBitString(buf, key!, 'subject public key');
  if (bits.unusedBits !== 0) throw new DerError('subject public key has unused bits');
  return { algorithm, curve, publicKeyBits: bits.bytes, encoding: encodingOf(buf, spki) };
}

/** Why this key is not an ECDSA P-256 key with an uncompressed point, or undefined if it is one. */
export function p256Problem(info: SpkiInfo): string | undefined {
  if (info.algorithm !== OID.EC_PUBLIC_KEY) return `an ${oidName(info.algorithm)} key`;
  if (info.curve === undefined) return 'an ECDSA key with explicit (unnamed) curve parameters';
  if (info.curve !== OID.P256) return `an ECDSA key on curve ${oidName(info.curve)}`;
  const point = info.publicKeyBits;
  if (point.length === 33 && (point[0] === 0x02 || point[0] === 0x03)) {
    return 'a P-256 key encoded as a compressed point (send the uncompressed 65-byte form)';
  }
  if (point.length !== 65 || point[0] !== 0x04) return `a P-256 key with a malformed point (${point.length} bytes)`;
  return undefined;
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
export function keyIdentifier(publicKeyBits: Uint8Array): Buffer {
  return createHash('sha1').update(publicKeyBits).digest();
}
