// Test helper: a fresh trust anchor and issuer (P-256) for a mesh domain, as objects and as PEM,
// plus workload keys and CSRs. Every test makes its own; no key is ever committed.

import { X509Certificate } from 'node:crypto';
import {
  Issuer,
  TrustBundle,
  certificatesToPem,
  createCsr,
  exportPrivateKeyPem,
  createIssuer,
  createTrustAnchor,
  generateP256KeyPair,
  issuerCommonName,
  trustAnchorCommonName,
  type CreatedCa,
  type KeyPair,
  type MeshDomain,
} from '../tls/index.ts';

export const TEST_DOMAIN: MeshDomain = { trustDomain: 'cluster.local', controlNamespace: 'nodemesh' };

export interface TestCa {
  readonly domain: MeshDomain;
  readonly anchor: CreatedCa;
  readonly issuer: CreatedCa;
  readonly trust: TrustBundle;
}

export interface TestCaOptions {
  readonly domain?: MeshDomain;
  readonly anchorLifetimeMs?: number;
  readonly issuerLifetimeMs?: number;
  readonly now?: () => Date;
}

export async function createTestCa(opts: TestCaOptions = {}): Promise<TestCa> {
  const domain = opts.domain ?? TEST_DOMAIN;
  const anchor = await createTrustAnchor({
    commonName: trustAnchorCommonName(domain),
    ...(opts.anchorLifetimeMs === undefined ? {} : { lifetimeMs: opts.anchorLifetimeMs }),
    ...(opts.now === undefined ? {} : { now: opts.now }),
  });
  const issuer = await createIssuer({
    anchor: anchor.certificate,
    anchorKey: anchor.privateKey,
    commonName: issuerCommonName(domain),
    ...(opts.issuerLifetimeMs === undefined ? {} : { lifetimeMs: opts.issuerLifetimeMs }),
    ...(opts.now === undefined ? {} : { now: opts.now }),
  });
  return { domain, anchor, issuer, trust: TrustBundle.fromPem(anchor.certificatePem) };
}

/** Another issuer under the same anchor (for rotation tests). */
export async function rotateIssuer(ca: TestCa): Promise<CreatedCa> {
  return createIssuer({
    anchor: ca.anchor.certificate,
    anchorKey: ca.anchor.privateKey,
    commonName: issuerCommonName(ca.domain),
  });
}

export interface TestWorkload {
  readonly identity: string;
  readonly keys: KeyPair;
  readonly csr: Buffer;
}

export async function createTestWorkload(identity: string): Promise<TestWorkload> {
  const keys = await generateP256KeyPair();
  return { identity, keys, csr: createCsr({ identity, privateKey: keys.privateKey }) };
}

/** A TLS server's certificate chain and key (PEM, as grpc-js and node:tls take them). */
export interface ServingCertificate {
  readonly certChain: Buffer;
  readonly privateKey: Buffer;
}

/** A certificate for `identity` issued by `ca` (or by `issuer`), with its chain and a fresh key. */
export async function createServingCertificate(ca: TestCa | Issuer, identity: string): Promise<ServingCertificate> {
  const w = await createTestWorkload(identity);
  const issuer =
    ca instanceof Issuer
      ? ca
      : new Issuer({
          material: { certificate: ca.issuer.certificate, privateKey: ca.issuer.privateKey },
          trustBundle: ca.trust,
        });
  const issued = issuer.issueFromCsr(w.csr, identity);
  return {
    certChain: Buffer.from(certificatesToPem([issued.leaf, ...issued.intermediates])),
    privateKey: Buffer.from(exportPrivateKeyPem(w.keys.privateKey)),
  };
}

/** The DNS SANs of a DER certificate. */
export function dnsNames(der: Uint8Array): string[] {
  const san = new X509Certificate(der).subjectAltName ?? '';
  return san
    .split(', ')
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
}
