// Test support: run the nodemesh binary as a child process, collect its output, wait for
// readiness, and stop it. Every process started is tracked so after() can kill what is left.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const BIN = fileURLToPath(new URL('../../bin/nodemesh.ts', import.meta.url));

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `nodemesh ...args` to completion. */
export async function nodemesh(args: readonly string[], env: Record<string, string> = {}): Promise<RunResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      timeout: 30_000,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout, stderr: e.stderr };
  }
}

export interface Daemon {
  readonly proc: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** Starts `nodemesh ...args` in the background. */
export function startDaemon(args: readonly string[], env: Record<string, string>): Daemon {
  return startScript(BIN, args, env);
}

/** Starts `node script ...args` in the background (a built or bundled nodemesh, for example). */
export function startScript(script: string, args: readonly string[], env: Record<string, string>): Daemon {
  const proc = spawn(process.execPath, [script, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      running.delete(proc);
      resolve(code);
    }),
  );
  return {
    proc,
    output: () => output,
    exited,
    stop: () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}

/** Kills every daemon still running (for after()). */
export function killAll(): void {
  for (const proc of running) proc.kill('SIGKILL');
  running.clear();
}

/** Polls `url` until it answers 200, the daemon exits, or `timeoutMs` passes. */
export async function waitReady(daemon: Daemon, url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (daemon.proc.exitCode !== null)
      throw new Error(`exited with ${daemon.proc.exitCode} before ready:\n${daemon.output()}`);
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready at ${url} within ${timeoutMs} ms:\n${daemon.output()}`);
}
