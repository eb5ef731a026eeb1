// The issuer (the CA part of the identity service): holds a validated issuer certificate, its
// key and its chain, and issues workload leaf certificates from verified CSRs.
//
// Contract:
// - Constructing an Issuer validates the material and throws (no I/O, no timers): the key must be
//   ECDSA P-256 and belong to the certificate (TlsKeyError); the certificate must be a CA
//   (basicConstraints cA=true, keyCertSign when KeyUsage is present), currently valid and chain to
//   the trust anchors (ChainError).
// - A leaf is: v3, random 126-bit serial, ecdsa-with-SHA256, issuer = the issuer's subject bytes,
//   subject CN=<identity> (or empty when the CSR had no CN, then the SAN is critical),
//   NotBefore = now − clockSkew, NotAfter = min(now + lifetime + clockSkew, the earliest NotAfter
//   in the issuer's chain, anchor included), KeyUsage digitalSignature+keyEncipherment (critical),
//   ExtKeyUsage serverAuth+clientAuth, SKI, AKI = the issuer's SKI, SAN = DNS:<identity>.
// - issue() throws ChainError when the issuer chain is not valid at the injected clock's now.
// - Synchronous and safe to call concurrently (no mutable state besides the serial pool).

import type { KeyObject } from 'node:crypto';
import {
  authorityKeyIdExtension,
  encodeTbs,
  extendedKeyUsageExtension,
  keyUsageExtension,
  randomSerialNumber,
  signCertificate,
  subjectAltNameExtension,
  subjectKeyIdExtension,
} from './certificate-builder.ts';
import { KEY_USAGE, parseCertificate, type ParsedCertificate } from './certificate-parser.ts';
import { verifyCsr, type VerifiedCsr } from './csr.ts';
import { ChainError, TlsKeyError } from './errors.ts';
import { assertP256, keysMatch, parsePrivateKeyPem } from './keys.ts';
import { OID } from './oids.ts';
import { certificatesFromPem } from './pem.ts';
import { keyIdentifier } from './spki.ts';
import type { TrustBundle } from './trust.ts';
import { encodeCommonNameOnly, encodeDnsGeneralNames, encodeEmptyName, formatName } from './x509-names.ts';

export const DEFAULT_ISSUANCE_LIFETIME_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_CLOCK_SKEW_MS = 20 * 1000;

/** The issuer's certificate, key, and the certificates between it and the anchors. */
export interface IssuerMaterial {
  /** The issuer certificate, DER. */
  readonly certificate: Uint8Array;
  readonly privateKey: KeyObject;
  /** DER certificates between the issuer and the trust anchors, if any (any order). */
  readonly intermediates?: readonly Uint8Array[];
}

export interface IssuerDependencies {
  readonly material: IssuerMaterial;
  readonly trustBundle: TrustBundle;
  /** The clock; tests pass a fake one. */
  readonly now?: () => Date;
}

export interface IssuerOptions {
  /** Leaf lifetime before skew and capping (default 24 h). */
  readonly lifetimeMs?: number;
  /** Clock skew allowance on both ends of the validity window (default 20 s). */
  readonly clockSkewMs?: number;
}

/** One issued leaf, in the shape of the identity API's CertifyResponse. */
export interface IssuedCertificate {
  readonly identity: string;
  /** The leaf certificate, DER. */
  readonly leaf: Buffer;
  /** The chain from the issuer up to, excluding, the trust anchor (DER, issuer first). */
  readonly intermediates: readonly Buffer[];
  readonly notBefore: Date;
  /** The leaf's NotAfter. */
  readonly validUntil: Date;
  readonly serialNumberHex: string;
}

const LEAF_KEY_USAGE = keyUsageExtension(KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment);
const LEAF_EXT_KEY_USAGE = extendedKeyUsageExtension([OID.SERVER_AUTH, OID.CLIENT_AUTH]);
const EMPTY_NAME = encodeEmptyName();

export class Issuer {
  /** The issuer certificate, DER. */
  readonly certificate: Buffer;
  /** The issuer certificate's subject, e.g. `CN=identity.nodemesh.cluster.local`. */
  readonly subject: string;
  /** The issuer certificate's own NotAfter (for an issuer-TTL gauge). */
  readonly notAfter: Date;
  /** The earliest NotAfter along issuer → anchor: no leaf outlives it. */
  readonly chainNotAfter: Date;
  readonly chainNotBefore: Date;
  /** Returned with every leaf: issuer first, anchors excluded. */
  readonly intermediates: readonly Buffer[];
  readonly lifetimeMs: number;
  readonly clockSkewMs: number;
  readonly #key: KeyObject;
  readonly #now: () => Date;
  readonly #issuerName: Buffer;
  readonly #authorityKeyId: Buffer;

  constructor(deps: IssuerDependencies, options: IssuerOptions = {}) {
    this.lifetimeMs = positive(options.lifetimeMs ?? DEFAULT_ISSUANCE_LIFETIME_MS, 'lifetimeMs');
    this.clockSkewMs = positive(options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS, 'clockSkewMs', true);
    this.#now = deps.now ?? (() => new Date());
    const { material, trustBundle } = deps;
    const parsed = parseCertificate(material.certificate, 'issuer certificate');
    const name = describe(parsed);

    assertP256(material.privateKey, 'issuer private key');
    if (material.privateKey.type !== 'private') {
      throw new TlsKeyError('unsupported', `the issuer private key is a ${material.privateKey.type} key`);
    }
    let matches: boolean;
    try {
      matches = keysMatch(material.privateKey, publicKeyOf(parsed));
    } catch {
      matches = false;
    }
    if (!matches) {
      throw new TlsKeyError(
        'mismatch',
        `the issuer private key does not belong to the issuer certificate ${name}; the certificate and key files must be a pair`,
      );
    }
    if (parsed.basicConstraints?.ca !== true) {
      throw new ChainError(
        'not-a-ca',
        `the issuer certificate ${name} is not a CA certificate (basicConstraints cA=true is required); ` +
          'create one with `nodemesh identity issuer` or an intermediate-CA profile',
      );
    }
    if (parsed.keyUsage !== undefined && (parsed.keyUsage & KEY_USAGE.keyCertSign) === 0) {
      throw new ChainError(
        'no-key-cert-sign',
        `the issuer certificate ${name} may not sign certificates: its KeyUsage lacks keyCertSign`,
      );
    }
    const verified = trustBundle.verifyChain(parsed.der, material.intermediates ?? [], this.#now());

    this.certificate = parsed.der;
    this.subject = formatName(parsed.subject);
    this.notAfter = parsed.notAfter;
    this.chainNotAfter = verified.notAfter;
    this.chainNotBefore = verified.notBefore;
    const path = verified.path.map((c) => c.raw);
    this.intermediates = Object.freeze(trustBundle.includes(path[path.length - 1]!) ? path.slice(0, -1) : path);
    this.#key = material.privateKey;
    this.#issuerName = parsed.subjectName;
    this.#authorityKeyId = authorityKeyIdExtension(
      parsed.subjectKeyId ?? keyIdentifier(parsed.publicKey.publicKeyBits),
    );
  }

  /** Verifies `csrDer` against the CSR rules for `identity`, then issues. */
  issueFromCsr(csrDer: Uint8Array, identity: string): IssuedCertificate {
    return this.issue(verifyCsr(csrDer, { identity }));
  }

  /** Issues a leaf for a CSR that verifyCsr accepted. */
  issue(csr: VerifiedCsr): IssuedCertificate {
    const nowMs = this.#now().getTime();
    this.#checkValidAt(nowMs);
    const notBefore = wholeSeconds(nowMs - this.clockSkewMs);
    const notAfter = wholeSeconds(Math.min(nowMs + this.lifetimeMs + this.clockSkewMs, this.chainNotAfter.getTime()));
    const serialNumber = randomSerialNumber();
    const tbs = encodeTbs({
      serialNumber,
      issuerName: this.#issuerName,
      notBefore,
      notAfter,
      subjectName: csr.hasCommonName ? encodeCommonNameOnly(csr.identity) : EMPTY_NAME,
      spki: csr.spki,
      extensions: [
        LEAF_KEY_USAGE,
        LEAF_EXT_KEY_USAGE,
        subjectKeyIdExtension(keyIdentifier(csr.publicKeyBits)),
        this.#authorityKeyId,
        subjectAltNameExtension(encodeDnsGeneralNames([csr.identity]), !csr.hasCommonName),
      ],
    });
    return {
      identity: csr.identity,
      leaf: signCertificate(tbs, this.#key),
      intermediates: this.intermediates,
      notBefore,
      validUntil: notAfter,
      serialNumberHex: serialNumber.toString('hex'),
    };
  }

  /** Throws ChainError unless the issuer chain is valid now (the identity service checks per call). */
  checkValid(): void {
    this.#checkValidAt(this.#now().getTime());
  }

  #checkValidAt(nowMs: number): void {
    if (nowMs > this.chainNotAfter.getTime()) {
      throw new ChainError(
        'expired',
        `the issuer chain expired at ${this.chainNotAfter.toISOString()}; load a renewed issuer certificate`,
        { fields: { issuer: this.subject } },
      );
    }
    if (nowMs < this.chainNotBefore.getTime()) {
      throw new ChainError(
        'not-yet-valid',
        `the issuer chain is not valid until ${this.chainNotBefore.toISOString()}; check the clock`,
        { fields: { issuer: this.subject } },
      );
    }
  }
}

/** Files as the issuer Secret holds them: certificate PEM (issuer first, then any intermediates) and key PEM. */
export interface IssuerPem {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/** Builds an Issuer from PEM text (e.g. the `crt.pem`/`key.pem` or `tls.crt`/`tls.key` of a Secret). */
export function loadIssuerFromPem(
  pem: IssuerPem,
  deps: Omit<IssuerDependencies, 'material'>,
  options: IssuerOptions = {},
): Issuer {
  const [certificate, ...intermediates] = certificatesFromPem(pem.certificatePem, 'issuer certificate PEM');
  const privateKey = parsePrivateKeyPem(pem.privateKeyPem, 'issuer private key');
  return new Issuer({ ...deps, material: { certificate: certificate!, privateKey, intermediates } }, options);
}

function publicKeyOf(parsed: ParsedCertificate): Buffer {
  return Buffer.from(parsed.publicKey.encoding);
}

function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

function positive(value: number, name: string, allowZero = false): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(
      `${name} must be a ${allowZero ? 'non-negative' : 'positive'} number of milliseconds, got ${value}`,
    );
  }
  return value;
}

function describe(parsed: ParsedCertificate): string {
  return `"${formatName(parsed.subject)}" (serial ${parsed.serialNumberHex})`;
}
