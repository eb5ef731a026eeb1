// `nodemesh identity token`: mint a local-mode service-account token (docs/adr/0003-tokens.md).

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDurationMs } from '../../config/index.ts';
import { UsageError } from '../../errors/index.ts';
import { IDENTITY_TOKEN_AUDIENCE, generateLocalSigningKey, mintLocalToken } from '../../tokens/index.ts';
import { parseFlags } from '../args.ts';
import { EXIT_OK, type CommandContext } from '../command.ts';
import { refuseOverwrite, writeFilesAtomic } from '../files.ts';
import { writeLine } from '../output.ts';

export async function runIdentityToken(ctx: CommandContext): Promise<number> {
  const cmd = 'identity token';
  const { values } = parseFlags(cmd, ctx.argv, {
    sa: { type: 'string' },
    ns: { type: 'string' },
    key: { type: 'string' },
    'create-key': { type: 'boolean', default: false },
    lifetime: { type: 'string' },
    audience: { type: 'string' },
  });
  for (const flag of ['sa', 'ns', 'key'] as const) {
    if (values[flag] === undefined) throw new UsageError(`${cmd}: --${flag} is required`);
  }
  const lifetimeMs = values.lifetime === undefined ? 86_400_000 : parseDurationMs(values.lifetime);
  if (lifetimeMs === undefined || lifetimeMs < 1000) {
    throw new UsageError(
      `${cmd}: --lifetime ${JSON.stringify(values.lifetime)} is not allowed; give a duration of at least 1s, e.g. 24h`,
    );
  }
  const keyFile = path.resolve(ctx.cwd, values.key ?? '');
  if (values['create-key']) await createKeyIfMissing(keyFile);
  let keyPem: string;
  try {
    keyPem = await readFile(keyFile, 'utf8');
  } catch (err) {
    throw new UsageError(
      `${cmd}: cannot read the signing key ${keyFile} (${(err as NodeJS.ErrnoException).code ?? 'error'}); create one with --create-key`,
      { cause: err },
    );
  }
  const token = mintLocalToken({
    key: keyPem,
    namespace: values.ns ?? '',
    serviceAccount: values.sa ?? '',
    audience: values.audience ?? IDENTITY_TOKEN_AUDIENCE,
    lifetimeSeconds: Math.round(lifetimeMs / 1000),
  });
  writeLine(ctx.stdout, token);
  return EXIT_OK;
}

/** Creates FILE (private key, 0600) and FILE.pub (public key) unless FILE exists. */
export async function createKeyIfMissing(keyFile: string): Promise<boolean> {
  try {
    await readFile(keyFile);
    return false;
  } catch {
    // absent: create it
  }
  await refuseOverwrite('identity token', [`${keyFile}.pub`], false);
  const key = await generateLocalSigningKey();
  await writeFilesAtomic([
    { path: keyFile, data: key.privateKeyPem, mode: 0o600 },
    { path: `${keyFile}.pub`, data: key.publicKeyPem },
  ]);
  return true;
}
