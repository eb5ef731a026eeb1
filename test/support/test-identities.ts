// Workload certificates for tests, issued by a TestCa without the identity service: as the raw
// pieces (LocalIdentity, for TLS options), as the proxy's WorkloadCertificate, or as a
// LocalIdentitySource a ProxyApp takes instead of its identity client.

import { X509Certificate } from 'node:crypto';
import type { LocalIdentitySource } from '../../proxy/app.ts';
import type { WorkloadCertificate } from '../../proxy/identity-client/index.ts';
import { createTestWorkload, type TestCa } from '../../src/testing/index.ts';
import { Issuer, certificatesToPem, exportPrivateKeyPem, type LocalIdentity } from '../../src/tls/index.ts';

/** A fresh key and a leaf for `identity` from the CA's issuer. */
export async function issueIdentity(ca: TestCa, identity: string): Promise<LocalIdentity> {
  const w = await createTestWorkload(identity);
  const issuer = new Issuer({
    material: { certificate: ca.issuer.certificate, privateKey: ca.issuer.privateKey },
    trustBundle: ca.trust,
  });
  const issued = issuer.issueFromCsr(w.csr, identity);
  return { leaf: issued.leaf, intermediates: issued.intermediates, privateKey: w.keys.privateKey };
}

/** The same, in the form the proxy's identity client hands out. */
export async function issueWorkloadCertificate(ca: TestCa, identity: string): Promise<WorkloadCertificate> {
  const issued = await issueIdentity(ca, identity);
  const leaf = new X509Certificate(issued.leaf);
  return {
    identity,
    chainPem: certificatesToPem([issued.leaf, ...issued.intermediates]),
    keyPem: exportPrivateKeyPem(issued.privateKey),
    leaf,
    validUntil: leaf.validToDate,
  };
}

/** A LocalIdentitySource holding one certificate that never renews. */
export async function staticIdentitySource(ca: TestCa, identity: string): Promise<LocalIdentitySource> {
  const cert = await issueWorkloadCertificate(ca, identity);
  return { identity, current: cert, subscribe: (fn) => (fn(cert), () => undefined) };
}
