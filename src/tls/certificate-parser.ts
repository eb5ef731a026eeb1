// Certificate parser: the fields of an X.509 v3 certificate that issuing and verifying need
// (raw names, validity, key, CA constraints, key usages, key identifiers, SANs).
//
// Contract: input is untrusted DER. Parsing is structural only: it does not verify signatures or
// trust (trust.ts does, with Node's X509Certificate). Failures throw CertificateError naming
// `what` was being parsed. Pure and synchronous; the result shares no memory with the input.

import { CertificateError } from './errors.ts';
import {
  DerError,
  TAG,
  childrenOf,
  contentOf,
  contextConstructed,
  contextPrimitive,
  encodingOf,
  expectTag,
  readBitString,
  readBoolean,
  readIntegerHex,
  readOid,
  readSmallInteger,
  readTime,
  readWhole,
  type Tlv,
} from './der.ts';
import { OID } from './oids.ts';
import { readSpki, type SpkiInfo } from './spki.ts';
import { decodeGeneralNames, decodeName, type GeneralName, type NameAttribute } from './x509-names.ts';

/** KeyUsage bits as flags (bit n of the BIT STRING is `1 << n`). */
export const KEY_USAGE = {
  digitalSignature: 1 << 0,
  nonRepudiation: 1 << 1,
  keyEncipherment: 1 << 2,
  dataEncipherment: 1 << 3,
  keyAgreement: 1 << 4,
  keyCertSign: 1 << 5,
  cRLSign: 1 << 6,
  encipherOnly: 1 << 7,
  decipherOnly: 1 << 8,
} as const;

/** Names of the KeyUsage bits set in `flags`. */
export function keyUsageNames(flags: number): string[] {
  return Object.entries(KEY_USAGE)
    .filter(([, bit]) => (flags & bit) !== 0)
    .map(([name]) => name);
}

export interface CertificateExtension {
  readonly oid: string;
  readonly critical: boolean;
  /** The extnValue content (the DER of the extension's own value). */
  readonly value: Buffer;
}

export interface ParsedCertificate {
  readonly der: Buffer;
  /** The TBSCertificate encoding, as signed. */
  readonly tbs: Buffer;
  readonly version: number;
  readonly serialNumberHex: string;
  readonly signatureAlgorithm: string;
  readonly signature: Buffer;
  /** The issuer Name encoding. */
  readonly issuerName: Buffer;
  readonly issuer: readonly NameAttribute[];
  /** The subject Name encoding (a leaf's issuer field is a byte copy of its issuer's). */
  readonly subjectName: Buffer;
  readonly subject: readonly NameAttribute[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: SpkiInfo;
  readonly extensions: readonly CertificateExtension[];
  readonly basicConstraints: { readonly ca: boolean; readonly pathLength: number | undefined } | undefined;
  /** KeyUsage flags (see KEY_USAGE), or undefined when the extension is absent. */
  readonly keyUsage: number | undefined;
  readonly extendedKeyUsage: readonly string[] | undefined;
  readonly subjectKeyId: Buffer | undefined;
  readonly authorityKeyId: Buffer | undefined;
  readonly subjectAltNames: readonly GeneralName[];
}

/** Parses a DER certificate. `what` names it in messages ("issuer certificate", …). */
export function parseCertificate(der: Uint8Array, what = 'certificate'): ParsedCertificate {
  try {
    return parse(Buffer.from(der));
  } catch (err) {
    if (!(err instanceof DerError)) throw err;
    throw new CertificateError(`the ${what} is not a valid DER X.509 certificate: ${err.message}`, {
      cause: err,
      fields: { what },
    });
  }
}

function parse(buf: Buffer): ParsedCertificate {
  const certificate = readWhole(buf, TAG.SEQUENCE, 'certificate');
  const [tbs, outerAlgorithm, signatureBits, extra] = childrenOf(buf, certificate);
  if (extra !== undefined) throw new DerError('certificate has extra fields');
  expectTag(tbs, TAG.SEQUENCE, 'TBSCertificate');
  expectTag(outerAlgorithm, TAG.SEQUENCE, 'signature algorithm');
  const signature = readBitString(buf, signatureBits!, 'signature');

  const fields = childrenOf(buf, tbs);
  let i = 0;
  let version = 1;
  if (fields[0]?.tag === contextConstructed(0)) {
    const [v] = childrenOf(buf, fields[0]);
    version = readSmallInteger(buf, v!, 'version') + 1;
    if (version < 2 || version > 3) throw new DerError(`version ${version} is not 2 or 3 (v1 is the default)`);
    i = 1;
  }
  const serial = fields[i++];
  const innerAlgorithm = fields[i++];
  const issuer = fields[i++];
  const validity = fields[i++];
  const subject = fields[i++];
  const spki = fields[i++];
  if (serial === undefined || issuer === undefined || subject === undefined || spki === undefined) {
    throw new DerError('the TBSCertificate is missing fields');
  }
  expectTag(innerAlgorithm, TAG.SEQUENCE, 'TBS signature algorithm');
  if (!Buffer.from(encodingOf(buf, innerAlgorithm)).equals(encodingOf(buf, outerAlgorithm))) {
    throw new DerError('the signature algorithm inside and outside the TBSCertificate differ');
  }
  expectTag(validity, TAG.SEQUENCE, 'validity');
  const [notBefore, notAfter, validityExtra] = childrenOf(buf, validity);
  if (notBefore === undefined || notAfter === undefined || validityExtra !== undefined) {
    throw new DerError('validity must hold notBefore and notAfter');
  }
  let extensionsTlv: Tlv | undefined;
  for (; i < fields.length; i++) {
    const field = fields[i]!;
    if (field.tag === contextPrimitive(1) || field.tag === contextPrimitive(2)) continue; // unique IDs
    if (field.tag !== contextConstructed(3) || extensionsTlv !== undefined || i !== fields.length - 1) {
      throw new DerError(`unexpected field (tag 0x${field.tag.toString(16)}) in the TBSCertificate`);
    }
    extensionsTlv = field;
  }
  if (extensionsTlv !== undefined && version !== 3) throw new DerError('extensions in a non-v3 certificate');

  const extensions = extensionsTlv === undefined ? [] : readExtensions(buf, extensionsTlv);
  const find = (oid: string): CertificateExtension | undefined => extensions.find((e) => e.oid === oid);
  const san = find(OID.SUBJECT_ALT_NAME);
  const bc = find(OID.BASIC_CONSTRAINTS);
  const ku = find(OID.KEY_USAGE);
  const eku = find(OID.EXT_KEY_USAGE);
  const ski = find(OID.SUBJECT_KEY_ID);
  const aki = find(OID.AUTHORITY_KEY_ID);

  const publicKey = readSpki(buf, spki);
  return {
    der: buf,
    tbs: buf.subarray(tbs.start, tbs.end),
    version,
    serialNumberHex: readIntegerHex(buf, serial, 'serial number'),
    signatureAlgorithm: readOid(buf, childrenOf(buf, outerAlgorithm)[0]!),
    signature: Buffer.from(signature.bytes),
    issuerName: buf.subarray(issuer.start, issuer.end),
    issuer: decodeName(buf, issuer),
    subjectName: buf.subarray(subject.start, subject.end),
    subject: decodeName(buf, subject),
    notBefore: readTime(buf, notBefore, 'notBefore'),
    notAfter: readTime(buf, notAfter, 'notAfter'),
    publicKey,
    extensions,
    basicConstraints: bc === undefined ? undefined : readBasicConstraints(bc.value),
    keyUsage: ku === undefined ? undefined : readKeyUsage(ku.value),
    extendedKeyUsage: eku === undefined ? undefined : readExtendedKeyUsage(eku.value),
    subjectKeyId: ski === undefined ? undefined : readSubjectKeyId(ski.value),
    authorityKeyId: aki === undefined ? undefined : readAuthorityKeyId(aki.value),
    subjectAltNames: san === undefined ? [] : decodeGeneralNames(san.value, readWhole(san.value, TAG.SEQUENCE, 'SAN')),
  };
}

/** Reads `[3] EXPLICIT Extensions` (or, for CSRs, the bare Extensions SEQUENCE). */
export function readExtensions(buf: Uint8Array, container: Tlv): CertificateExtension[] {
  let list = container;
  if (container.tag === contextConstructed(3)) {
    const [inner, extra] = childrenOf(buf, container);
    if (extra !== undefined) throw new DerError('extra data after the extensions');
    expectTag(inner, TAG.SEQUENCE, 'extensions');
    list = inner;
  }
  expectTag(list, TAG.SEQUENCE, 'extensions');
  const seen = new Set<string>();
  return childrenOf(buf, list).map((ext) => {
    expectTag(ext, TAG.SEQUENCE, 'extension');
    const parts = childrenOf(buf, ext);
    const oid = readOid(buf, parts[0]!);
    if (seen.has(oid)) throw new DerError(`extension ${oid} appears twice`);
    seen.add(oid);
    let critical = false;
    let valueTlv = parts[1];
    if (valueTlv?.tag === TAG.BOOLEAN) {
      critical = readBoolean(buf, valueTlv, `critical flag of extension ${oid}`);
      valueTlv = parts[2];
    }
    expectTag(valueTlv, TAG.OCTET_STRING, `value of extension ${oid}`);
    if (parts.length > (parts[1]?.tag === TAG.BOOLEAN ? 3 : 2)) throw new DerError(`extension ${oid} has extra fields`);
    return { oid, critical, value: Buffer.from(contentOf(buf, valueTlv)) };
  });
}

function readBasicConstraints(value: Buffer): { ca: boolean; pathLength: number | undefined } {
  const seq = readWhole(value, TAG.SEQUENCE, 'basic constraints');
  const parts = childrenOf(value, seq);
  let ca = false;
  let pathLength: number | undefined;
  let index = 0;
  if (parts[index]?.tag === TAG.BOOLEAN) ca = readBoolean(value, parts[index++]!, 'cA');
  if (parts[index]?.tag === TAG.INTEGER) pathLength = readSmallInteger(value, parts[index++]!, 'pathLenConstraint');
  if (index !== parts.length) throw new DerError('basic constraints has extra fields');
  return { ca, pathLength };
}

function readKeyUsage(value: Buffer): number {
  const tlv = readWhole(value, TAG.BIT_STRING, 'key usage');
  const { bytes } = readBitString(value, tlv, 'key usage');
  let flags = 0;
  for (let bit = 0; bit < Math.min(bytes.length * 8, 9); bit++) {
    if ((bytes[bit >> 3]! & (0x80 >> (bit & 7))) !== 0) flags |= 1 << bit;
  }
  return flags;
}

function readExtendedKeyUsage(value: Buffer): string[] {
  const seq = readWhole(value, TAG.SEQUENCE, 'extended key usage');
  return childrenOf(value, seq).map((oid) => readOid(value, oid));
}

function readSubjectKeyId(value: Buffer): Buffer {
  return Buffer.from(contentOf(value, readWhole(value, TAG.OCTET_STRING, 'subject key identifier')));
}

function readAuthorityKeyId(value: Buffer): Buffer | undefined {
  const seq = readWhole(value, TAG.SEQUENCE, 'authority key identifier');
  const keyId = childrenOf(value, seq).find((t) => t.tag === contextPrimitive(0));
  return keyId === undefined ? undefined : Buffer.from(contentOf(value, keyId));
}
