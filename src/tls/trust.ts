// Trust: a bundle of trust anchors, chain verification up to one of them, and the identity a
// peer certificate names.
//
// Contract: a TrustBundle is immutable and built once from PEM (or DER); every anchor must be a
// CA certificate. verifyChain checks, for every link, that the issuer's name matches, that the
// signature verifies (Node's X509Certificate, i.e. OpenSSL), that each issuing certificate is a CA
// allowed to sign certificates (keyCertSign when KeyUsage is present, pathLenConstraint), and that
// every certificate in the path, the anchor included, is valid at the given time. It throws
// ChainError with a reason. It does not check names, EKUs or revocation. Synchronous.

import { createHash, X509Certificate } from 'node:crypto';
import { parseCertificate, KEY_USAGE, type ParsedCertificate } from './certificate-parser.ts';
import { ChainError, CertificateError } from './errors.ts';
import { certificatesFromPem, certificatesToPem } from './pem.ts';
import { formatName } from './x509-names.ts';

/** A certificate given as DER or as a Node X509Certificate. */
export type CertificateInput = Uint8Array | X509Certificate;

/** A verified path: the certificate first, the trust anchor last. */
export interface VerifiedChain {
  readonly path: readonly X509Certificate[];
  /** The latest notBefore and earliest notAfter along the path. */
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** What a peer certificate says about who it is. */
export interface PeerIdentity {
  readonly dnsNames: readonly string[];
  readonly uris: readonly string[];
}

interface Entry {
  readonly x509: X509Certificate;
  readonly parsed: ParsedCertificate;
}

const MAX_DEPTH = 8;

export class TrustBundle {
  /** The anchors, in bundle order. */
  readonly anchors: readonly X509Certificate[];
  /** The anchors as PEM (each block newline-terminated): the `ca` option of node:tls. */
  readonly pem: string;
  /** SHA-256 (hex) of `pem`, e.g. for a trust-root-sha256 annotation. */
  readonly sha256: string;
  readonly #entries: readonly Entry[];

  /** Builds a bundle from DER anchors; use TrustBundle.fromPem for PEM text. */
  constructor(anchors: readonly Uint8Array[], source = 'trust anchors') {
    if (anchors.length === 0) throw new CertificateError(`the ${source} hold no certificates`);
    this.#entries = anchors.map((der, index) => {
      const entry = toEntry(der, `${source} certificate ${index + 1}`);
      if (!isCa(entry.parsed)) {
        throw new ChainError(
          'not-a-ca',
          `${source} certificate ${index + 1} (${describe(entry)}) is not a CA certificate; a trust anchor must have basicConstraints cA=true`,
        );
      }
      return entry;
    });
    this.anchors = Object.freeze(this.#entries.map((e) => e.x509));
    this.pem = certificatesToPem(this.#entries.map((e) => e.parsed.der));
    this.sha256 = createHash('sha256').update(this.pem).digest('hex');
    Object.freeze(this);
  }

  /** Parses a PEM bundle of one or more CERTIFICATE blocks. */
  static fromPem(pem: string, source = 'trust anchors'): TrustBundle {
    return new TrustBundle(certificatesFromPem(pem, source), source);
  }

  /** True when `cert` is one of the anchors (byte for byte). */
  includes(cert: CertificateInput): boolean {
    const raw = cert instanceof X509Certificate ? cert.raw : cert;
    return this.#entries.some((e) => e.parsed.der.equals(raw));
  }

  /**
   * Verifies that `leaf` chains to an anchor through `intermediates` (any order, unused ones are
   * ignored) and that every certificate on the path is valid at `at`.
   */
  verifyChain(leaf: CertificateInput, intermediates: readonly CertificateInput[], at: Date): VerifiedChain {
    const start = toEntry(leaf, 'certificate');
    const pool = intermediates.map((c, i) => toEntry(c, `intermediate certificate ${i + 1}`));
    const path: Entry[] = [start];
    checkTime(start, at);
    if (this.includes(start.x509)) return result(path);

    let current = start;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      const rejected: string[] = [];
      const anchor = findIssuer(current, this.#entries, rejected);
      if (anchor !== undefined) {
        path.push(anchor);
        checkIssuing(path, at);
        return result(path);
      }
      const next = findIssuer(
        current,
        pool.filter((c) => !path.includes(c)),
        rejected,
      );
      if (next === undefined) {
        const why = rejected.length > 0 ? ` (${rejected.join('; ')})` : '';
        throw new ChainError(
          'untrusted',
          `${describe(current)} was not issued by any trust anchor or given intermediate${why}; ` +
            `trust anchors: ${this.#entries.map(describe).join('; ')}`,
          { fields: { subject: formatName(current.parsed.subject), issuer: formatName(current.parsed.issuer) } },
        );
      }
      path.push(next);
      current = next;
    }
    throw new ChainError('untrusted', `the chain of ${describe(start)} is longer than ${MAX_DEPTH} certificates`);
  }
}

/** The DNS and URI SANs of a (peer) certificate. */
export function peerIdentity(cert: X509Certificate): PeerIdentity {
  const parsed = parseCertificate(cert.raw, 'peer certificate');
  return {
    dnsNames: parsed.subjectAltNames.filter((n) => n.type === 'dns').map((n) => n.value),
    uris: parsed.subjectAltNames.filter((n) => n.type === 'uri').map((n) => n.value),
  };
}

function toEntry(cert: CertificateInput, what: string): Entry {
  const der = cert instanceof X509Certificate ? cert.raw : cert;
  const parsed = parseCertificate(der, what);
  let x509: X509Certificate;
  try {
    x509 = cert instanceof X509Certificate ? cert : new X509Certificate(parsed.der);
  } catch (err) {
    throw new CertificateError(`the ${what} could not be loaded by OpenSSL`, { cause: err });
  }
  return { x509, parsed };
}

/** The candidate that issued `child` and whose key verifies its signature; notes near misses. */
function findIssuer(child: Entry, candidates: readonly Entry[], rejected: string[]): Entry | undefined {
  for (const candidate of candidates) {
    if (!candidate.parsed.subjectName.equals(child.parsed.issuerName) && !child.x509.checkIssued(candidate.x509)) {
      continue;
    }
    let ok: boolean;
    try {
      ok = child.x509.verify(candidate.x509.publicKey);
    } catch {
      ok = false;
    }
    if (ok) return candidate;
    rejected.push(`${describe(candidate)} has the issuer's name but its key does not verify the signature`);
  }
  return undefined;
}

/** Every certificate above the first must be a CA allowed to sign, within its path length, valid at `at`. */
function checkIssuing(path: readonly Entry[], at: Date): void {
  for (let k = 1; k < path.length; k++) {
    const entry = path[k]!;
    checkTime(entry, at);
    const bc = entry.parsed.basicConstraints;
    if (!isCa(entry.parsed)) {
      throw new ChainError(
        'not-a-ca',
        `${describe(entry)} signed a certificate but is not a CA (basicConstraints cA is not true)`,
      );
    }
    const ku = entry.parsed.keyUsage;
    if (ku !== undefined && (ku & KEY_USAGE.keyCertSign) === 0) {
      throw new ChainError(
        'no-key-cert-sign',
        `${describe(entry)} signed a certificate but its KeyUsage lacks keyCertSign`,
      );
    }
    if (bc?.pathLength !== undefined && bc.pathLength < k - 1) {
      throw new ChainError(
        'path-length',
        `${describe(entry)} allows ${bc.pathLength} intermediate CA(s) below it (pathLenConstraint) but the chain has ${k - 1}`,
      );
    }
  }
}

/** basicConstraints cA=true, or a v1 self-issued certificate (which OpenSSL also treats as a CA). */
function isCa(parsed: ParsedCertificate): boolean {
  return parsed.basicConstraints?.ca === true || (parsed.version === 1 && parsed.subjectName.equals(parsed.issuerName));
}

function checkTime(entry: Entry, at: Date): void {
  const { notBefore, notAfter } = entry.parsed;
  if (at.getTime() < notBefore.getTime()) {
    throw new ChainError(
      'not-yet-valid',
      `${describe(entry)} is not valid until ${notBefore.toISOString()} (checked at ${at.toISOString()}); check the clocks or wait`,
      { fields: { notBefore: notBefore.toISOString(), at: at.toISOString() } },
    );
  }
  if (at.getTime() > notAfter.getTime()) {
    throw new ChainError(
      'expired',
      `${describe(entry)} expired at ${notAfter.toISOString()} (checked at ${at.toISOString()}); it must be renewed`,
      { fields: { notAfter: notAfter.toISOString(), at: at.toISOString() } },
    );
  }
}

function result(path: readonly Entry[]): VerifiedChain {
  let notBefore = path[0]!.parsed.notBefore;
  let notAfter = path[0]!.parsed.notAfter;
  for (const { parsed } of path) {
    if (parsed.notBefore > notBefore) notBefore = parsed.notBefore;
    if (parsed.notAfter < notAfter) notAfter = parsed.notAfter;
  }
  return { path: path.map((e) => e.x509), notBefore, notAfter };
}

function describe(entry: Entry): string {
  const subject = formatName(entry.parsed.subject);
  return `certificate "${subject === '' ? '(empty subject)' : subject}" (serial ${entry.parsed.serialNumberHex})`;
}
