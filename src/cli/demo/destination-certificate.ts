// The local mesh's destination service certificate: issued at start by the mesh's own issuer for
// the destination's identity, nodemesh-destination.<ns>.serviceaccount.identity.<ns>.<trust-domain>,
// and written as tls.crt (leaf + issuer) and tls.key (0600) for NODEMESH_DESTINATION_TLS_*_FILE.
// The proxies verify it with their trust anchors and NODEMESH_PROXY_DESTINATION_SVC_NAME.
//
// Contract: the key is made here and only written to `dir`. The certificate lives as long as the
// issuer allows (the demo's issuer lasts 7 days), since the destination reads it once at start.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  TrustBundle,
  certificatesToPem,
  createCsr,
  exportPrivateKeyPem,
  generateP256KeyPair,
  identityName,
  loadIssuerFromPem,
  type MeshDomain,
} from '../../tls/index.ts';
import { writeFilesAtomic } from '../files.ts';
import type { CaFiles } from '../identity/ca-files.ts';

/** The destination service's service account (as Linkerd's `linkerd-destination`). */
export const DESTINATION_SERVICE_ACCOUNT = 'nodemesh-destination';

/** The destination service's identity name in `domain`. */
export function destinationServiceName(domain: MeshDomain): string {
  return identityName({ serviceAccount: DESTINATION_SERVICE_ACCOUNT, namespace: domain.controlNamespace, ...domain });
}

export interface DestinationCertificate {
  readonly identity: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export async function issueDestinationCertificate(opts: {
  readonly ca: CaFiles;
  readonly domain: MeshDomain;
  readonly dir: string;
  readonly lifetimeMs: number;
}): Promise<DestinationCertificate> {
  const issuer = loadIssuerFromPem(
    {
      certificatePem: await readFile(opts.ca.issuer, 'utf8'),
      privateKeyPem: await readFile(opts.ca.issuerKey, 'utf8'),
    },
    { trustBundle: TrustBundle.fromPem(await readFile(opts.ca.anchor, 'utf8')) },
    { lifetimeMs: opts.lifetimeMs },
  );
  const identity = destinationServiceName(opts.domain);
  const { privateKey } = await generateP256KeyPair();
  const issued = issuer.issueFromCsr(createCsr({ identity, privateKey }), identity);
  const certFile = path.join(opts.dir, 'tls.crt');
  const keyFile = path.join(opts.dir, 'tls.key');
  await writeFilesAtomic([
    { path: keyFile, data: exportPrivateKeyPem(privateKey), mode: 0o600 },
    { path: certFile, data: certificatesToPem([issued.leaf, ...issued.intermediates]) },
  ]);
  return { identity, certFile, keyFile };
}
