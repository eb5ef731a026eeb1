// `nodemesh identity init`: a new trust anchor and an issuer signed by it, written to a folder.

import path from 'node:path';
import { UsageError } from '../../errors/index.ts';
import { DEFAULT_CA_LIFETIME_MS } from '../../tls/index.ts';
import { parseFlags } from '../args.ts';
import { EXIT_OK, type CommandContext } from '../command.ts';
import { formatTable, parseOutputFormat, writeJson, writeLine } from '../output.ts';
import { createCaFiles } from './ca-files.ts';
import { lifetimeFlag, meshDomainFlags } from './ca-flags.ts';

export async function runIdentityInit(ctx: CommandContext): Promise<number> {
  const cmd = 'identity init';
  const { values } = parseFlags(cmd, ctx.argv, {
    dir: { type: 'string' },
    'trust-domain': { type: 'string' },
    'control-namespace': { type: 'string' },
    'anchor-lifetime': { type: 'string' },
    'issuer-lifetime': { type: 'string' },
    force: { type: 'boolean', default: false },
    output: { type: 'string', short: 'o' },
  });
  if (values.dir === undefined) throw new UsageError(`${cmd}: --dir is required`);
  const format = parseOutputFormat(cmd, values.output);
  const domain = meshDomainFlags(cmd, values);
  const created = await createCaFiles({
    dir: path.resolve(ctx.cwd, values.dir),
    domain,
    anchorLifetimeMs: lifetimeFlag(cmd, 'anchor-lifetime', values['anchor-lifetime'], DEFAULT_CA_LIFETIME_MS),
    issuerLifetimeMs: lifetimeFlag(cmd, 'issuer-lifetime', values['issuer-lifetime'], DEFAULT_CA_LIFETIME_MS),
    force: values.force,
    command: cmd,
  });
  const { files } = created;
  if (format === 'json') {
    writeJson(ctx.stdout, {
      ...domain,
      anchor: {
        file: files.anchor,
        keyFile: files.anchorKey,
        subject: created.anchor.subject,
        notAfter: created.anchor.notAfter,
      },
      issuer: {
        file: files.issuer,
        keyFile: files.issuerKey,
        subject: created.issuer.subject,
        notAfter: created.issuer.notAfter,
      },
    });
    return EXIT_OK;
  }
  writeLine(
    ctx.stdout,
    formatTable([
      ['', 'SUBJECT', 'VALID UNTIL', 'CERTIFICATE', 'KEY'],
      ['trust anchor', created.anchor.subject, created.anchor.notAfter, files.anchor, files.anchorKey],
      ['issuer', created.issuer.subject, created.issuer.notAfter, files.issuer, files.issuerKey],
    ]),
  );
  writeLine(ctx.stdout, `Keep ${files.anchorKey} offline: it is only needed to create the next issuer.`);
  return EXIT_OK;
}
