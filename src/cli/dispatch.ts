// The `nodemesh` dispatcher: picks the subcommand, serves help, and turns errors into exit codes.
//
// Contract: exit codes mean something — 0 ok, 1 failure, 2 usage (unknown command or flag). Errors
// are printed to stderr as one clear message (a ConfigError lists every bad setting); a MeshError's
// code is printed too, so a person can look it up in docs/errors.md.

import { ConfigError, MeshError, UsageError } from '../errors/index.ts';
import { wantsHelp } from './args.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CommandContext, type CommandSpec } from './command.ts';
import { formatTable, writeLine } from './output.ts';

export interface DispatchOptions {
  readonly commands: readonly CommandSpec[];
  /** The full argv after the program name. */
  readonly argv: readonly string[];
  /** The context for the chosen command; its `argv` is replaced with the command's arguments. */
  readonly context: Omit<CommandContext, 'argv'>;
}

export async function dispatch(opts: DispatchOptions): Promise<number> {
  const { commands, context } = opts;
  const [first, ...rest] = opts.argv;
  if (first === undefined || first === '--help' || first === '-h') {
    writeLine(context.stdout, topHelp(context.program, commands));
    return first === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (first === 'help') {
    const target = rest[0];
    if (target === undefined) {
      writeLine(context.stdout, topHelp(context.program, commands));
      return EXIT_OK;
    }
    const spec = commands.find((c) => c.name === target);
    if (spec === undefined) return unknownCommand(context, target, commands);
    context.stdout.write(spec.help);
    return EXIT_OK;
  }
  if (first === '--version') return dispatch({ ...opts, argv: ['version'] });

  const spec = commands.find((c) => c.name === first);
  if (spec === undefined) return unknownCommand(context, first, commands);
  return runSpec(context, spec, spec.name, rest);
}

async function runSpec(
  context: Omit<CommandContext, 'argv'>,
  spec: CommandSpec,
  path: string,
  argv: readonly string[],
): Promise<number> {
  const verb = spec.verbs?.find((v) => v.name === argv[0]);
  if (verb !== undefined) return runSpec(context, verb, `${path} ${verb.name}`, argv.slice(1));
  if (wantsHelp(argv)) {
    context.stdout.write(spec.help);
    return EXIT_OK;
  }
  try {
    const run = await spec.load();
    return await run({ ...context, argv });
  } catch (err) {
    return reportError(context, path, err);
  }
}

function reportError(context: Omit<CommandContext, 'argv'>, command: string, err: unknown): number {
  if (err instanceof UsageError) {
    writeLine(context.stderr, `error: ${err.message}`);
    writeLine(context.stderr, `Run '${context.program} ${command} --help' for usage.`);
    return EXIT_USAGE;
  }
  if (err instanceof ConfigError) {
    writeLine(context.stderr, `error [${err.code}]: ${err.message}`);
    return EXIT_FAILURE;
  }
  if (err instanceof MeshError) {
    writeLine(context.stderr, `error [${err.code}]: ${err.message}`);
    return EXIT_FAILURE;
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  writeLine(context.stderr, `error: unexpected failure in '${command}': ${message}`);
  return EXIT_FAILURE;
}

function unknownCommand(context: Omit<CommandContext, 'argv'>, name: string, commands: readonly CommandSpec[]): number {
  const near = commands.filter((c) => c.name.startsWith(name.slice(0, 2))).map((c) => c.name);
  const hint = near.length > 0 ? ` Did you mean: ${near.join(', ')}?` : '';
  writeLine(context.stderr, `error: unknown command ${JSON.stringify(name)}.${hint}`);
  writeLine(context.stderr, `Run '${context.program} --help' for the list of commands.`);
  return EXIT_USAGE;
}

function topHelp(program: string, commands: readonly CommandSpec[]): string {
  const rows = commands.map((c) => [`  ${c.name}`, c.summary]);
  return [
    `Usage: ${program} <command> [flags]`,
    '',
    'nodemesh: a service mesh for Kubernetes in TypeScript.',
    '',
    'Commands:',
    formatTable(rows),
    '',
    `Run '${program} <command> --help' for a command's flags and environment.`,
    'Exit codes: 0 ok, 1 failure, 2 usage.',
  ].join('\n');
}
