// `nodemesh tap` as a child process for tests: its output collected, a wait for a line on stdout
// or stderr (bounded), its exit code; killTaps() ends every one still running (for after()).

import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './processes.ts';

export interface Tap {
  readonly proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once `pattern` shows in stdout or stderr (which: 'out' | 'err'). */
  waitFor(which: 'out' | 'err', pattern: RegExp, timeoutMs?: number): Promise<void>;
  readonly exited: Promise<number | null>;
}

const taps = new Set<ChildProcess>();

/** Kills every tap still running. */
export function killTaps(): void {
  for (const p of taps) p.kill('SIGKILL');
}

/** Starts `nodemesh tap ARGS` with only PATH and `env` in its environment. */
export function startTap(args: readonly string[], env: Readonly<Record<string, string>> = {}): Tap {
  const proc = spawn(process.execPath, [BIN, 'tap', ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  taps.add(proc);
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  const wake = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  proc.stdout?.on('data', (d: Buffer) => ((out += d.toString()), wake()));
  proc.stderr?.on('data', (d: Buffer) => ((err += d.toString()), wake()));
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      taps.delete(proc);
      wake();
      resolve(code);
    }),
  );
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (which, pattern, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`no ${pattern} in std${which} within ${timeoutMs} ms; stdout:\n${out}\nstderr:\n${err}`)),
          timeoutMs,
        );
        const check = (): void => {
          if (pattern.test(which === 'out' ? out : err)) {
            clearTimeout(timer);
            resolve();
          } else if (proc.exitCode !== null) {
            clearTimeout(timer);
            reject(new Error(`tap exited ${proc.exitCode} before ${pattern}; stdout:\n${out}\nstderr:\n${err}`));
          } else waiters.push(check);
        };
        check();
      }),
  };
}
