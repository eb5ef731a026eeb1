// Describing certificates for people (`nodemesh identity inspect`): subject, issuer, SANs,
// serial, validity, CA constraints, key usages, key algorithm and curve, SHA-256 fingerprint, and
// (given anchors) whether the certificate chains and why not.
//
// Contract: pure and synchronous; never throws for a certificate that parses (trust failures are
// reported in the description); a certificate that does not parse throws CertificateError.

import { X509Certificate } from 'node:crypto';
import { keyUsageNames, parseCertificate } from './certificate-parser.ts';
import { ChainError, type ChainProblem } from './errors.ts';
import { describeKey } from './keys.ts';
import { oidName } from './oids.ts';
import { certificatesFromPem } from './pem.ts';
import type { TrustBundle } from './trust.ts';
import { formatName } from './x509-names.ts';

export type TrustStatus =
  | { readonly trusted: true; readonly path: readonly string[]; readonly chainNotAfter: Date }
  | { readonly trusted: false; readonly reason: ChainProblem; readonly message: string };

export interface CertificateDescription {
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCa: boolean;
  readonly pathLength: number | undefined;
  readonly keyUsage: readonly string[];
  readonly extendedKeyUsage: readonly string[];
  readonly dnsNames: readonly string[];
  readonly uris: readonly string[];
  readonly emails: readonly string[];
  readonly ipAddresses: readonly string[];
  /** e.g. `ECDSA P-256`, `RSA 2048`. */
  readonly keyAlgorithm: string;
  readonly signatureAlgorithm: string;
  /** Colon-separated upper-case hex, as `openssl x509 -fingerprint -sha256` prints it. */
  readonly sha256Fingerprint: string;
  readonly subjectKeyId: string | undefined;
  readonly authorityKeyId: string | undefined;
  /** Present when a trust bundle was given. */
  readonly trust: TrustStatus | undefined;
}

export interface DescribeOptions {
  readonly trust?: TrustBundle;
  /** Certificates that may sit between this one and the anchors. */
  readonly intermediates?: readonly Uint8Array[];
  /** When to check validity (default now). */
  readonly at?: Date;
}

/** Describes one certificate (DER or X509Certificate). */
export function describeCertificate(
  cert: Uint8Array | X509Certificate,
  options: DescribeOptions = {},
): CertificateDescription {
  const der = cert instanceof X509Certificate ? cert.raw : cert;
  const parsed = parseCertificate(der);
  const x509 = cert instanceof X509Certificate ? cert : new X509Certificate(parsed.der);
  const sans = (type: string): string[] => parsed.subjectAltNames.filter((n) => n.type === type).map((n) => n.value);
  return {
    subject: formatName(parsed.subject),
    issuer: formatName(parsed.issuer),
    serialNumber: parsed.serialNumberHex,
    notBefore: parsed.notBefore,
    notAfter: parsed.notAfter,
    isCa: parsed.basicConstraints?.ca === true,
    pathLength: parsed.basicConstraints?.pathLength,
    keyUsage: parsed.keyUsage === undefined ? [] : keyUsageNames(parsed.keyUsage),
    extendedKeyUsage: (parsed.extendedKeyUsage ?? []).map(oidName),
    dnsNames: sans('dns'),
    uris: sans('uri'),
    emails: sans('email'),
    ipAddresses: sans('ip'),
    keyAlgorithm: describeKey(x509.publicKey),
    signatureAlgorithm: oidName(parsed.signatureAlgorithm),
    sha256Fingerprint: x509.fingerprint256,
    subjectKeyId: parsed.subjectKeyId?.toString('hex'),
    authorityKeyId: parsed.authorityKeyId?.toString('hex'),
    trust: options.trust === undefined ? undefined : trustOf(x509, options),
  };
}

/** Describes every certificate of a PEM bundle; each is checked with the others as intermediates. */
export function describePemBundle(
  pem: string,
  options: Omit<DescribeOptions, 'intermediates'> = {},
): CertificateDescription[] {
  const ders = certificatesFromPem(pem);
  return ders.map((der, i) => describeCertificate(der, { ...options, intermediates: ders.filter((_, j) => j !== i) }));
}

/** Multi-line text for a terminal. */
export function formatDescription(d: CertificateDescription): string {
  const lines: [string, string][] = [
    ['Subject', d.subject || '(empty)'],
    ['Issuer', d.issuer || '(empty)'],
    ['Serial', d.serialNumber],
    ['Not before', d.notBefore.toISOString()],
    ['Not after', d.notAfter.toISOString()],
    ['CA', d.isCa ? `yes${d.pathLength === undefined ? '' : ` (pathLen ${d.pathLength})`}` : 'no'],
    ['Key', d.keyAlgorithm],
    ['Signature', d.signatureAlgorithm],
    ['Key usage', d.keyUsage.join(', ') || '(none)'],
    ['Ext. key usage', d.extendedKeyUsage.join(', ') || '(none)'],
  ];
  const sans = [
    ...d.dnsNames.map((n) => `DNS:${n}`),
    ...d.uris.map((n) => `URI:${n}`),
    ...d.emails.map((n) => `email:${n}`),
    ...d.ipAddresses.map((n) => `IP:${n}`),
  ];
  lines.push(['SANs', sans.join(', ') || '(none)']);
  lines.push(['SHA-256', d.sha256Fingerprint]);
  if (d.trust !== undefined) {
    lines.push([
      'Trusted',
      d.trust.trusted ? `yes, via ${d.trust.path.slice(1).join(' -> ')}` : `no: ${d.trust.message}`,
    ]);
  }
  const width = Math.max(...lines.map(([k]) => k.length)) + 2;
  return lines.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`).join('\n') + '\n';
}

function trustOf(x509: X509Certificate, options: DescribeOptions): TrustStatus {
  try {
    const chain = options.trust!.verifyChain(x509, options.intermediates ?? [], options.at ?? new Date());
    return {
      trusted: true,
      path: chain.path.map((c) => c.subject.replace(/\n/g, ', ')),
      chainNotAfter: chain.notAfter,
    };
  } catch (err) {
    if (err instanceof ChainError) return { trusted: false, reason: err.reason, message: err.message };
    throw err;
  }
}
