// Certificates for the proxy-pair benchmarks: one throw-away trust anchor and issuer (the layout
// `nodemesh identity init` writes, so a real `nodemesh identity` serves from it), a local token
// signing key for the proxies' Certify calls, and leaf certificates from the same issuer for the
// reference proxies (haproxy) and the TLS churn client — the same kind of certificate the
// nodemesh proxies get (ECDSA P-256, 24 h, DNS SAN = the identity name).

import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createCaFiles, type CaFiles } from '../../src/cli/identity/ca-files.ts';
import {
  certificatesToPem,
  createCsr,
  exportPrivateKeyPem,
  generateP256KeyPair,
  identityName,
  loadIssuerFromPem,
  TrustBundle,
  type MeshDomain,
} from '../../src/tls/index.ts';
import { generateLocalSigningKey, mintLocalToken } from '../../src/tokens/index.ts';

export const BENCH_DOMAIN: MeshDomain = { trustDomain: 'cluster.local', controlNamespace: 'nodemesh' };

/** A leaf certificate (leaf then intermediates) and its key, PEM. */
export interface LeafPem {
  readonly identity: string;
  readonly chainPem: string;
  readonly keyPem: string;
}

export interface BenchCa {
  readonly files: CaFiles;
  readonly anchorPem: string;
  /** The public key file of the local token signing key (what identity validates with). */
  readonly tokenPublicKeyFile: string;
  /** A token for `serviceaccount` in `namespace`, valid for the run. */
  token(namespace: string, serviceAccount: string): string;
  /** A leaf for `<sa>.<ns>.serviceaccount.identity.nodemesh.cluster.local` from the issuer. */
  leaf(namespace: string, serviceAccount: string): Promise<LeafPem>;
}

/** Creates the CA files and the token key under `dir`. */
export async function createBenchCa(dir: string): Promise<BenchCa> {
  const ca = await createCaFiles({
    dir: path.join(dir, 'ca'),
    domain: BENCH_DOMAIN,
    anchorLifetimeMs: 86_400_000,
    issuerLifetimeMs: 86_400_000,
    force: true,
    command: 'bench',
  });
  const signing = await generateLocalSigningKey();
  const tokenPublicKeyFile = path.join(dir, 'token.pub');
  await writeFile(tokenPublicKeyFile, signing.publicKeyPem);
  const issuer = loadIssuerFromPem(
    {
      certificatePem: await readFile(ca.files.issuer, 'utf8'),
      privateKeyPem: await readFile(ca.files.issuerKey, 'utf8'),
    },
    { trustBundle: TrustBundle.fromPem(ca.anchor.pem) },
  );
  return {
    files: ca.files,
    anchorPem: ca.anchor.pem,
    tokenPublicKeyFile,
    token: (namespace, serviceAccount) =>
      mintLocalToken({ key: signing.privateKeyPem, namespace, serviceAccount, lifetimeSeconds: 86_400 }),
    leaf: async (namespace, serviceAccount) => {
      const identity = identityName({ serviceAccount, namespace, ...BENCH_DOMAIN });
      const { privateKey } = await generateP256KeyPair();
      const issued = issuer.issueFromCsr(createCsr({ identity, privateKey }), identity);
      return {
        identity,
        chainPem: certificatesToPem([issued.leaf, ...issued.intermediates]),
        keyPem: exportPrivateKeyPem(privateKey),
      };
    },
  };
}

/** Writes a leaf as haproxy's `crt` file (chain then key in one PEM file); returns the path. */
export async function writeHaproxyPem(file: string, leaf: LeafPem): Promise<string> {
  await writeFile(file, `${leaf.chainPem.trimEnd()}\n${leaf.keyPem.trimEnd()}\n`, { mode: 0o600 });
  return file;
}
