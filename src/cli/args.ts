// Command-line flag parsing for subcommands, on node:util parseArgs, with UsageError on misuse.

import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { UsageError } from '../errors/index.ts';

export interface ParsedArgs<V> {
  readonly values: V;
  readonly positionals: readonly string[];
}

/**
 * Parses `argv` against `options`. Unknown flags, missing flag values and (unless
 * `allowPositionals`) stray arguments become a UsageError naming what was wrong.
 */
export function parseFlags<const O extends ParseArgsOptionsConfig>(
  command: string,
  argv: readonly string[],
  options: O,
  allowPositionals = false,
): ParsedArgs<ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values']> {
  try {
    const parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    if (!allowPositionals && parsed.positionals.length > 0) {
      throw new UsageError(`${command}: unexpected argument ${JSON.stringify(parsed.positionals[0])}`);
    }
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(`${command}: ${message}`, { cause: err });
  }
}

/** True when `argv` asks for help (`-h`, `--help`, or `help` as the only argument). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
