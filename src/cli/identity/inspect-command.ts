// `nodemesh identity inspect FILE`: describe certificates and check them against trust anchors.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../errors/index.ts';
import { TrustBundle, describePemBundle, formatDescription } from '../../tls/index.ts';
import { parseFlags } from '../args.ts';
import { EXIT_FAILURE, EXIT_OK, type CommandContext } from '../command.ts';
import { parseOutputFormat, writeJson, writeLine } from '../output.ts';

export async function runIdentityInspect(ctx: CommandContext): Promise<number> {
  const cmd = 'identity inspect';
  const { values, positionals } = parseFlags(
    cmd,
    ctx.argv,
    { anchors: { type: 'string' }, output: { type: 'string', short: 'o' } },
    true,
  );
  if (positionals.length !== 1) throw new UsageError(`${cmd}: give exactly one PEM file to inspect`);
  const format = parseOutputFormat(cmd, values.output);
  const file = path.resolve(ctx.cwd, positionals[0] ?? '');
  const trust =
    values.anchors === undefined
      ? undefined
      : TrustBundle.fromPem(await readFile(path.resolve(ctx.cwd, values.anchors), 'utf8'), values.anchors);
  const descriptions = describePemBundle(await readFile(file, 'utf8'), trust === undefined ? {} : { trust });
  const now = Date.now();
  const invalid = descriptions.some(
    (d) => d.notAfter.getTime() < now || d.notBefore.getTime() > now || (d.trust !== undefined && !d.trust.trusted),
  );
  if (format === 'json') writeJson(ctx.stdout, descriptions);
  else
    writeLine(
      ctx.stdout,
      descriptions.map((d, i) => `# ${file} [${i + 1}/${descriptions.length}]\n${formatDescription(d)}`).join('\n\n'),
    );
  return invalid ? EXIT_FAILURE : EXIT_OK;
}
