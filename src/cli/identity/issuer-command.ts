// `nodemesh identity issuer`: a new issuer signed by an existing trust anchor, for rotation.

import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../errors/index.ts';
import {
  DEFAULT_CA_LIFETIME_MS,
  certificatesFromPem,
  createIssuer,
  issuerCommonName,
  parsePrivateKeyPem,
} from '../../tls/index.ts';
import { parseFlags } from '../args.ts';
import { EXIT_OK, type CommandContext } from '../command.ts';
import { refuseOverwrite, writeFilesAtomic } from '../files.ts';
import { parseOutputFormat, writeJson, writeLine } from '../output.ts';
import { lifetimeFlag, meshDomainFlags } from './ca-flags.ts';

export async function runIdentityIssuer(ctx: CommandContext): Promise<number> {
  const cmd = 'identity issuer';
  const { values } = parseFlags(cmd, ctx.argv, {
    'anchor-cert': { type: 'string' },
    'anchor-key': { type: 'string' },
    out: { type: 'string' },
    'trust-domain': { type: 'string' },
    'control-namespace': { type: 'string' },
    lifetime: { type: 'string' },
    force: { type: 'boolean', default: false },
    output: { type: 'string', short: 'o' },
  });
  for (const flag of ['anchor-cert', 'anchor-key', 'out'] as const) {
    if (values[flag] === undefined) throw new UsageError(`${cmd}: --${flag} is required`);
  }
  const format = parseOutputFormat(cmd, values.output);
  const domain = meshDomainFlags(cmd, values);
  const lifetimeMs = lifetimeFlag(cmd, 'lifetime', values.lifetime, DEFAULT_CA_LIFETIME_MS);
  const anchorCertFile = path.resolve(ctx.cwd, values['anchor-cert'] ?? '');
  const anchorKeyFile = path.resolve(ctx.cwd, values['anchor-key'] ?? '');
  const out = path.resolve(ctx.cwd, values.out ?? '');
  const certFile = path.join(out, 'crt.pem');
  const keyFile = path.join(out, 'key.pem');
  await refuseOverwrite(cmd, [certFile, keyFile], values.force);

  const [anchor] = certificatesFromPem(await readFile(anchorCertFile, 'utf8'), anchorCertFile);
  const anchorKey = parsePrivateKeyPem(await readFile(anchorKeyFile, 'utf8'), anchorKeyFile);
  if (anchor === undefined) throw new UsageError(`${cmd}: ${anchorCertFile} holds no certificate`);
  const issuer = await createIssuer({ anchor, anchorKey, commonName: issuerCommonName(domain), lifetimeMs });
  // Key first: a watcher that sees the new certificate before its key refuses the pair and keeps
  // the previous issuer until the next change, so the order only shortens that window.
  await writeFilesAtomic([
    { path: keyFile, data: issuer.privateKeyPem, mode: 0o600 },
    { path: certFile, data: issuer.certificatePem },
  ]);
  const cert = new X509Certificate(issuer.certificate);
  const summary = { file: certFile, keyFile, subject: cert.subject, notAfter: new Date(cert.validTo).toISOString() };
  if (format === 'json') writeJson(ctx.stdout, summary);
  else writeLine(ctx.stdout, `issuer ${summary.subject} valid until ${summary.notAfter}: ${certFile}, ${keyFile}`);
  return EXIT_OK;
}
