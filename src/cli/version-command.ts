// `nodemesh version`: the build's version and the Node.js it runs on.

import { VERSION } from '../version.ts';
import { parseFlags } from './args.ts';
import { EXIT_OK, type CommandContext } from './command.ts';
import { parseOutputFormat, writeJson, writeLine } from './output.ts';

export const VERSION_HELP = `Usage: nodemesh version [-o table|json]

Prints the nodemesh version and the Node.js version running it.

Flags:
  -o, --output FORMAT   table (default) or json
`;

export function runVersion(ctx: CommandContext): Promise<number> {
  const { values } = parseFlags('version', ctx.argv, { output: { type: 'string', short: 'o' } });
  const format = parseOutputFormat('version', values.output);
  const info = { version: VERSION, node: process.version, platform: `${process.platform}/${process.arch}` };
  if (format === 'json') writeJson(ctx.stdout, info);
  else writeLine(ctx.stdout, `nodemesh ${info.version} (node ${info.node}, ${info.platform})`);
  return Promise.resolve(EXIT_OK);
}
