// A new trust anchor and issuer written as files, in the layout `nodemesh identity init` documents
// (used by init and by the local mesh).

import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import {
  createIssuer,
  createTrustAnchor,
  issuerCommonName,
  trustAnchorCommonName,
  type MeshDomain,
} from '../../tls/index.ts';
import { refuseOverwrite, writeFilesAtomic } from '../files.ts';

export interface CaFiles {
  /** Trust anchor certificate (the bundle proxies and the identity service trust). */
  readonly anchor: string;
  readonly anchorKey: string;
  /** The issuer folder (crt.pem + key.pem), what NODEMESH_IDENTITY_ISSUER_DIR points at. */
  readonly issuerDir: string;
  readonly issuer: string;
  readonly issuerKey: string;
}

export interface CreatedCaFiles {
  readonly files: CaFiles;
  readonly anchor: { readonly subject: string; readonly notAfter: string; readonly pem: string };
  readonly issuer: { readonly subject: string; readonly notAfter: string };
}

export function caFiles(dir: string): CaFiles {
  const issuerDir = path.join(dir, 'issuer');
  return {
    anchor: path.join(dir, 'ca-bundle.crt'),
    anchorKey: path.join(dir, 'anchor.key'),
    issuerDir,
    issuer: path.join(issuerDir, 'crt.pem'),
    issuerKey: path.join(issuerDir, 'key.pem'),
  };
}

export async function createCaFiles(opts: {
  readonly dir: string;
  readonly domain: MeshDomain;
  readonly anchorLifetimeMs: number;
  readonly issuerLifetimeMs: number;
  readonly force: boolean;
  readonly command: string;
}): Promise<CreatedCaFiles> {
  const files = caFiles(opts.dir);
  await refuseOverwrite(opts.command, [files.anchor, files.anchorKey, files.issuer, files.issuerKey], opts.force);
  const anchor = await createTrustAnchor({
    commonName: trustAnchorCommonName(opts.domain),
    lifetimeMs: opts.anchorLifetimeMs,
  });
  const issuer = await createIssuer({
    anchor: anchor.certificate,
    anchorKey: anchor.privateKey,
    commonName: issuerCommonName(opts.domain),
    lifetimeMs: opts.issuerLifetimeMs,
  });
  await writeFilesAtomic([
    { path: files.anchorKey, data: anchor.privateKeyPem, mode: 0o600 },
    { path: files.anchor, data: anchor.certificatePem },
    { path: files.issuerKey, data: issuer.privateKeyPem, mode: 0o600 },
    { path: files.issuer, data: issuer.certificatePem },
  ]);
  const a = new X509Certificate(anchor.certificate);
  const i = new X509Certificate(issuer.certificate);
  return {
    files,
    anchor: { subject: a.subject, notAfter: new Date(a.validTo).toISOString(), pem: anchor.certificatePem },
    issuer: { subject: i.subject, notAfter: new Date(i.validTo).toISOString() },
  };
}
