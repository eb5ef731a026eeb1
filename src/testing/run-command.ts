// Running a `nodemesh` command in this process for a test: a CommandContext with collected stdout
// and stderr, and the exit code.

import { Writable } from 'node:stream';
import type { CommandContext, CommandRunner } from '../cli/command.ts';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A writable stream that keeps what is written, as text. */
export function textCollector(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/** Runs `run` with `argv`, in `cwd`, with exactly `env` (nothing of this process's environment). */
export async function runCommand(
  run: CommandRunner,
  argv: readonly string[],
  opts: { readonly cwd: string; readonly env?: Readonly<Record<string, string>> },
): Promise<CommandResult> {
  const out = textCollector();
  const err = textCollector();
  const ctx: CommandContext = {
    argv,
    env: opts.env ?? {},
    stdout: out.stream,
    stderr: err.stream,
    signal: new AbortController().signal,
    program: 'nodemesh',
    cwd: opts.cwd,
    self: [process.execPath],
  };
  const code = await run(ctx);
  return { code, stdout: out.text(), stderr: err.text() };
}
