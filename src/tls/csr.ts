// Certificate signing requests (PKCS#10): build one for an identity (proxy side), and parse and
// verify one against the identity service's rules (CA side).
//
// Contract:
// - createCsr makes what Linkerd's proxy-identity makes: ECDSA P-256 key, CN = DNS SAN = identity,
//   signed ecdsa-with-SHA256, returned as DER (the identity API carries DER, not PEM).
// - verifyCsr accepts a CSR only when: it is well-formed DER; its key is ECDSA P-256 (uncompressed
//   point, on the curve); its self-signature verifies (ECDSA with SHA-256/384/512); it carries no
//   e-mail, IP, URI or other non-DNS SAN; exactly one DNS SAN, equal to the requested identity; and
//   a CN that is absent or equal to the identity. Each broken rule throws CsrError with its own
//   `reason` and a message a person can act on. Other subject attributes and other requested
//   extensions are ignored: they are never copied into the issued certificate.
// - Synchronous, no @peculiar/x509: parsing a CSR with it costs ~0.8 ms, which alone would cap
//   issuance below 1,300 certificates/s (docs/adr/0002-certificates.md).

import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readExtensions, type CertificateExtension } from './certificate-parser.ts';
import {
  DerError,
  TAG,
  childrenOf,
  contextConstructed,
  encodeBitString,
  encodeOid,
  encodeSequence,
  encodeSet,
  encodeTlv,
  encodeUnsignedInteger,
  expectTag,
  readBitString,
  readOid,
  readSmallInteger,
  readWhole,
} from './der.ts';
import { CsrError } from './errors.ts';
import { checkDnsName } from './identity-name.ts';
import { assertP256, exportPublicKeySpki } from './keys.ts';
import { OID, oidName } from './oids.ts';
import { p256Problem, readSpki, type SpkiInfo } from './spki.ts';
import { ECDSA_WITH_SHA256_ALGORITHM, encodeExtension } from './certificate-builder.ts';
import {
  commonNamesOf,
  decodeGeneralNames,
  decodeName,
  encodeCommonNameOnly,
  encodeDnsGeneralNames,
  type GeneralName,
  type NameAttribute,
} from './x509-names.ts';

/** What createCsr needs. */
export interface CsrRequest {
  /** The identity to request: it becomes the CN and the only DNS SAN. */
  readonly identity: string;
  /** The workload's ECDSA P-256 private key. */
  readonly privateKey: KeyObject;
}

/** Builds a DER CSR for `identity`, signed with `privateKey` (ECDSA P-256, SHA-256). */
export function createCsr(request: CsrRequest): Buffer {
  checkDnsName(request.identity, 'identity');
  assertP256(request.privateKey, 'CSR private key');
  const san = encodeExtension(OID.SUBJECT_ALT_NAME, false, encodeDnsGeneralNames([request.identity]));
  const extensionRequest = encodeSequence(
    encodeOid(OID.EXTENSION_REQUEST),
    encodeSet(encodeSequence(san)), // values: SET { Extensions }
  );
  const info = encodeSequence(
    encodeUnsignedInteger(0),
    encodeCommonNameOnly(request.identity),
    exportPublicKeySpki(request.privateKey),
    encodeTlv(contextConstructed(0), extensionRequest),
  );
  const signature = sign('sha256', info, request.privateKey); // ECDSA signatures are DER by default
  return encodeSequence(info, ECDSA_WITH_SHA256_ALGORITHM, encodeBitString(signature));
}

/** The fields of a CSR, read but not yet checked against any rule. */
export interface ParsedCsr {
  /** The CertificationRequestInfo encoding, as signed. */
  readonly info: Buffer;
  readonly subject: readonly NameAttribute[];
  readonly commonNames: readonly string[];
  readonly publicKey: SpkiInfo;
  readonly extensions: readonly CertificateExtension[];
  readonly subjectAltNames: readonly GeneralName[];
  readonly signatureAlgorithm: string;
  readonly signature: Buffer;
}

/** Parses a DER CSR; throws CsrError('malformed') when it is not one. */
export function parseCsr(der: Uint8Array): ParsedCsr {
  const buf = Buffer.from(der);
  try {
    return parse(buf);
  } catch (err) {
    if (!(err instanceof DerError)) throw err;
    const pem = buf.subarray(0, 11).toString('latin1') === '-----BEGIN ';
    const hint = pem
      ? 'it is PEM text; send the DER bytes (the base64-decoded body of the CERTIFICATE REQUEST block)'
      : `${err.message}; send a DER-encoded PKCS#10 certificate signing request`;
    throw new CsrError('malformed', `the certificate signing request could not be parsed: ${hint}`, { cause: err });
  }
}

function parse(buf: Buffer): ParsedCsr {
  const request = readWhole(buf, TAG.SEQUENCE, 'certification request');
  const [info, algorithm, signatureBits, extra] = childrenOf(buf, request);
  if (extra !== undefined) throw new DerError('certification request has extra fields');
  expectTag(info, TAG.SEQUENCE, 'certification request info');
  expectTag(algorithm, TAG.SEQUENCE, 'signature algorithm');
  const signature = readBitString(buf, signatureBits!, 'signature');

  const [version, subject, spki, attributes, infoExtra] = childrenOf(buf, info);
  if (infoExtra !== undefined) throw new DerError('certification request info has extra fields');
  if (readSmallInteger(buf, version!, 'version') !== 0) throw new DerError('version is not v1 (0)');
  expectTag(subject, TAG.SEQUENCE, 'subject');
  const subjectAttributes = decodeName(buf, subject);

  let extensions: CertificateExtension[] = [];
  if (attributes !== undefined) {
    expectTag(attributes, contextConstructed(0), 'attributes');
    let seenExtensionRequest = false;
    for (const attribute of childrenOf(buf, attributes)) {
      expectTag(attribute, TAG.SEQUENCE, 'attribute');
      const [type, values, attributeExtra] = childrenOf(buf, attribute);
      if (attributeExtra !== undefined) throw new DerError('attribute has extra fields');
      if (readOid(buf, type!) !== OID.EXTENSION_REQUEST) continue;
      if (seenExtensionRequest) throw new DerError('more than one extensionRequest attribute');
      seenExtensionRequest = true;
      expectTag(values, TAG.SET, 'extensionRequest values');
      const [list, listExtra] = childrenOf(buf, values);
      if (listExtra !== undefined) throw new DerError('extensionRequest holds more than one extension list');
      expectTag(list, TAG.SEQUENCE, 'requested extensions');
      extensions = readExtensions(buf, list);
    }
  }
  const san = extensions.find((e) => e.oid === OID.SUBJECT_ALT_NAME);
  return {
    info: buf.subarray(info.start, info.end),
    subject: subjectAttributes,
    commonNames: commonNamesOf(subjectAttributes),
    publicKey: readSpki(buf, spki!),
    extensions,
    subjectAltNames:
      san === undefined ? [] : decodeGeneralNames(san.value, readWhole(san.value, TAG.SEQUENCE, 'subjectAltName')),
    signatureAlgorithm: readOid(buf, childrenOf(buf, algorithm)[0]!),
    signature: Buffer.from(signature.bytes),
  };
}

/** A CSR that passed every rule, reduced to what issuing needs. */
export interface VerifiedCsr {
  readonly identity: string;
  /** SubjectPublicKeyInfo DER of the requester's P-256 key. */
  readonly spki: Buffer;
  /** The EC point (subjectPublicKey bits), for the subject key identifier. */
  readonly publicKeyBits: Buffer;
  /** Whether the CSR had a CN (then the leaf's subject is CN=identity, else empty). */
  readonly hasCommonName: boolean;
}

const HASH_OF: Readonly<Record<string, string>> = {
  [OID.ECDSA_WITH_SHA256]: 'sha256',
  [OID.ECDSA_WITH_SHA384]: 'sha384',
  [OID.ECDSA_WITH_SHA512]: 'sha512',
};

/**
 * Parses `der` and enforces the identity service's CSR rules for `identity` (see the header).
 * Throws IdentityNameError when `identity` itself is not a DNS name, CsrError otherwise.
 */
export function verifyCsr(der: Uint8Array, { identity }: { readonly identity: string }): VerifiedCsr {
  checkDnsName(identity, 'requested identity');
  const csr = parseCsr(der);
  const fields = { identity };

  const keyProblem = p256Problem(csr.publicKey);
  if (keyProblem !== undefined) {
    throw new CsrError(
      'unsupported-key',
      `the CSR's public key is ${keyProblem}; the identity service only signs ECDSA P-256 (prime256v1) keys: generate the workload key on curve P-256`,
      { fields },
    );
  }
  const hash = HASH_OF[csr.signatureAlgorithm];
  if (hash === undefined) {
    throw new CsrError(
      'unsupported-signature-algorithm',
      `the CSR is signed with ${oidName(csr.signatureAlgorithm)}; a P-256 key must sign it with ecdsa-with-SHA256 (or SHA-384/512)`,
      { fields },
    );
  }
  // The key is handed to Node as PEM text: Node 24 tells KeyObjects, CryptoKeys and option objects
  // apart by throwing and catching, so `{ key: der, format: 'der', type: 'spki' }` costs two
  // exceptions (~40 µs) where a string costs none (docs/adr/0002-certificates.md).
  const spki = Buffer.from(csr.publicKey.encoding);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(`-----BEGIN PUBLIC KEY-----\n${spki.toString('base64')}\n-----END PUBLIC KEY-----\n`);
  } catch (err) {
    throw new CsrError('unsupported-key', "the CSR's P-256 public key is not a valid point on the curve", {
      cause: err,
      fields,
    });
  }
  let signatureOk: boolean;
  try {
    signatureOk = verify(hash, csr.info, publicKey, csr.signature); // ECDSA signatures are DER by default
  } catch {
    signatureOk = false;
  }
  if (!signatureOk) {
    throw new CsrError(
      'bad-signature',
      "the CSR's signature does not verify with the public key it carries: the request was altered or signed with another key",
      { fields },
    );
  }

  checkSubjectAltNames(csr.subjectAltNames, identity);
  if (csr.commonNames.length > 1) {
    throw new CsrError(
      'multiple-common-names',
      `the CSR's subject has ${csr.commonNames.length} CNs; it may have at most one, equal to the identity ${quote(identity)}`,
      { fields },
    );
  }
  const cn = csr.commonNames[0];
  if (cn !== undefined && cn !== identity) {
    throw new CsrError(
      'cn-mismatch',
      `the CSR's subject CN ${quote(cn)} differs from the requested identity ${quote(identity)}; leave the CN empty or set it to the identity`,
      { fields },
    );
  }
  return {
    identity,
    spki,
    publicKeyBits: Buffer.from(csr.publicKey.publicKeyBits),
    hasCommonName: cn !== undefined,
  };
}

const FORBIDDEN_SANS = [
  { type: 'email', reason: 'email-san', noun: 'e-mail' },
  { type: 'ip', reason: 'ip-san', noun: 'IP address' },
  { type: 'uri', reason: 'uri-san', noun: 'URI' },
  { type: 'other', reason: 'other-san', noun: 'non-DNS (otherName, directoryName, …)' },
] as const;

function checkSubjectAltNames(names: readonly GeneralName[], identity: string): void {
  const fields = { identity };
  const want = `it must carry exactly one DNS SAN, the identity ${quote(identity)}`;
  for (const { type, reason, noun } of FORBIDDEN_SANS) {
    const found = names.filter((n) => n.type === type).map((n) => quote(n.value));
    if (found.length > 0) {
      throw new CsrError(
        reason,
        `the CSR asks for ${noun} SAN ${found.join(', ')}; ${noun} SANs are not allowed, ${want}`,
        {
          fields,
        },
      );
    }
  }
  const dns = names.filter((n) => n.type === 'dns').map((n) => n.value);
  if (dns.length === 0) throw new CsrError('no-dns-san', `the CSR has no DNS SAN; ${want}`, { fields });
  if (dns.length > 1) {
    throw new CsrError(
      'multiple-dns-sans',
      `the CSR has ${dns.length} DNS SANs (${dns.map(quote).join(', ')}); ${want}`,
      {
        fields,
      },
    );
  }
  if (dns[0] !== identity) {
    throw new CsrError(
      'san-mismatch',
      `the CSR's DNS SAN ${quote(dns[0]!)} differs from the requested identity ${quote(identity)}; ${want}`,
      { fields },
    );
  }
}

/** JSON-quoted and cut to 200 characters: CSR contents are attacker-chosen. */
function quote(value: string): string {
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
}
