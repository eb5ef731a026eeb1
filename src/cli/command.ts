// The shape of a `nodemesh` subcommand and what it is given to run.
//
// Contract: a command never reads process.env or process.argv and never calls process.exit; it
// gets everything through CommandContext and returns an exit code (0 ok, 1 failure). Misuse is
// reported by throwing UsageError, which the dispatcher turns into exit code 2. Long-running
// commands stop when `signal` aborts (SIGINT/SIGTERM) and return once everything is closed.

import type { Writable } from 'node:stream';
import type { EnvSource } from '../config/index.ts';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface CommandContext {
  /** Arguments after the subcommand name. */
  readonly argv: readonly string[];
  readonly env: EnvSource;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Aborted on SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** The program name as the user should type it in examples (`nodemesh`). */
  readonly program: string;
  /** The working directory (for relative paths such as the state folder). */
  readonly cwd: string;
  /** How to start this same binary as a child process: the executable and its leading arguments. */
  readonly self: readonly [string, ...string[]];
}

export interface CommandSpec {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The full `--help` text (usage, flags, environment). */
  readonly help: string;
  /** Loads the implementation lazily, so that one role never loads another's libraries. */
  readonly load: () => Promise<CommandRunner>;
  /** Verbs (`nodemesh identity init`): when the first argument names one, it runs instead. */
  readonly verbs?: readonly CommandSpec[];
}

export type CommandRunner = (ctx: CommandContext) => Promise<number>;
