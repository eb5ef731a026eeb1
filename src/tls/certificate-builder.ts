// Certificate builder: encode a TBSCertificate from prepared parts and sign it with an ECDSA
// P-256 key (ecdsa-with-SHA256), plus the extensions nodemesh issues.
//
// Contract: this is the issuance fast path (see docs/adr/0002-certificates.md): a few small DER
// encodings and one crypto.sign, no ASN.1 object model. Inputs are trusted (issuer.ts validated
// them); the caller supplies names and the SubjectPublicKeyInfo as DER. The signing key must be
// ECDSA P-256 (issuer.ts checks once, at load). Synchronous.

import { randomFillSync, sign, type KeyObject } from 'node:crypto';
import {
  contextPrimitive,
  encodeBitString,
  encodeBoolean,
  encodeExplicit,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeTime,
  encodeTlv,
  encodeUnsignedInteger,
} from './der.ts';
import { OID } from './oids.ts';

/** AlgorithmIdentifier for ecdsa-with-SHA256 (no parameters, RFC 5758). */
export const ECDSA_WITH_SHA256_ALGORITHM: Buffer = encodeSequence(encodeOid(OID.ECDSA_WITH_SHA256));

const VERSION_3: Buffer = encodeExplicit(0, encodeUnsignedInteger(2));

/** The parts of a TBSCertificate, each already DER where it is a structure. */
export interface TbsParts {
  /** Big-endian magnitude of a positive serial number (at most 20 octets). */
  readonly serialNumber: Uint8Array;
  /** The issuer's subject Name encoding. */
  readonly issuerName: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subjectName: Uint8Array;
  /** SubjectPublicKeyInfo DER. */
  readonly spki: Uint8Array;
  /** Encoded Extension elements, in order. */
  readonly extensions: readonly Uint8Array[];
}

/** Encodes a v3 TBSCertificate signed with ecdsa-with-SHA256. */
export function encodeTbs(parts: TbsParts): Buffer {
  return encodeSequence(
    VERSION_3,
    encodeUnsignedInteger(parts.serialNumber),
    ECDSA_WITH_SHA256_ALGORITHM,
    parts.issuerName,
    encodeSequence(encodeTime(parts.notBefore), encodeTime(parts.notAfter)),
    parts.subjectName,
    parts.spki,
    encodeExplicit(3, encodeSequence(...parts.extensions)),
  );
}

/** Signs `tbs` with `signingKey` (ECDSA P-256, SHA-256) and returns the Certificate DER. */
export function signCertificate(tbs: Uint8Array, signingKey: KeyObject): Buffer {
  // A bare KeyObject (not `{ key, dsaEncoding }`): Node 24 probes an options object by throwing and
  // catching twice, which doubles the cost of a P-256 signature. ECDSA signatures are DER by default.
  const signature = sign('sha256', tbs, signingKey);
  return encodeSequence(tbs, ECDSA_WITH_SHA256_ALGORITHM, encodeBitString(signature));
}

/** One Extension element. Non-critical extensions omit the flag, as DER requires. */
export function encodeExtension(oid: string, critical: boolean, value: Uint8Array): Buffer {
  return critical
    ? encodeSequence(encodeOid(oid), encodeBoolean(true), encodeOctetString(value))
    : encodeSequence(encodeOid(oid), encodeOctetString(value));
}

/** basicConstraints, critical. `pathLength` only for CAs. */
export function basicConstraintsExtension(ca: boolean, pathLength?: number): Buffer {
  const fields: Buffer[] = [];
  if (ca) fields.push(encodeBoolean(true));
  if (ca && pathLength !== undefined) fields.push(encodeUnsignedInteger(pathLength));
  return encodeExtension(OID.BASIC_CONSTRAINTS, true, encodeSequence(...fields));
}

/** keyUsage, critical, from KEY_USAGE flags (named-bit DER: trailing zero bits dropped). */
export function keyUsageExtension(flags: number): Buffer {
  if (flags <= 0 || flags >= 1 << 9) throw new RangeError(`bad key usage flags ${flags}`);
  const bits = 32 - Math.clz32(flags); // highest bit number + 1
  const bytes = new Uint8Array(Math.ceil(bits / 8));
  for (let bit = 0; bit < bits; bit++) {
    if ((flags & (1 << bit)) !== 0) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  }
  return encodeExtension(OID.KEY_USAGE, true, encodeBitString(bytes, bytes.length * 8 - bits));
}

/** extKeyUsage, non-critical. */
export function extendedKeyUsageExtension(oids: readonly string[]): Buffer {
  return encodeExtension(OID.EXT_KEY_USAGE, false, encodeSequence(...oids.map((o) => encodeOid(o))));
}

/** subjectKeyIdentifier, non-critical. */
export function subjectKeyIdExtension(keyId: Uint8Array): Buffer {
  return encodeExtension(OID.SUBJECT_KEY_ID, false, encodeOctetString(keyId));
}

/** authorityKeyIdentifier with only the keyIdentifier, non-critical. */
export function authorityKeyIdExtension(keyId: Uint8Array): Buffer {
  return encodeExtension(OID.AUTHORITY_KEY_ID, false, encodeSequence(encodeTlv(contextPrimitive(0), keyId)));
}

/** subjectAltName from an encoded GeneralNames; critical when the subject is empty (RFC 5280). */
export function subjectAltNameExtension(generalNames: Uint8Array, critical: boolean): Buffer {
  return encodeExtension(OID.SUBJECT_ALT_NAME, critical, generalNames);
}

const SERIAL_BYTES = 16;
const POOL_SERIALS = 256;
let serialPool = Buffer.alloc(0);
let serialOffset = 0;

/**
 * A random positive 16-octet serial number: the first octet is 0x40–0x7f (so the DER INTEGER is
 * exactly 16 octets, positive and minimal), leaving 126 random bits. Drawn from a pooled CSPRNG
 * buffer (one randomFill per 256 serials).
 */
export function randomSerialNumber(): Buffer {
  if (serialOffset + SERIAL_BYTES > serialPool.length) {
    serialPool = randomFillSync(Buffer.allocUnsafe(SERIAL_BYTES * POOL_SERIALS));
    serialOffset = 0;
  }
  const serial = Buffer.from(serialPool.subarray(serialOffset, serialOffset + SERIAL_BYTES));
  serialPool.fill(0, serialOffset, serialOffset + SERIAL_BYTES);
  serialOffset += SERIAL_BYTES;
  serial[0] = 0x40 | (serial[0]! & 0x3f);
  return serial;
}
