// Child processes for benchmarks: start a command (optionally pinned to one CPU with taskset),
// wait for its port, and stop it (SIGTERM, then SIGKILL) — every child started is tracked so a
// scenario's `finally` can stop what is left, also on failure.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { cpus } from 'node:os';

export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  /** The pid whose /proc accounting is the child's (taskset execs the command in place). */
  readonly pid: number;
  readonly output: () => string;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** Pin to this CPU with `taskset -c` (ignored when pinning is off). */
  readonly cpu?: number;
}

/** True when taskset works here and there are at least two CPUs to separate processes on. */
export function canPin(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    // cpus(), not availableParallelism(): the latter follows this process's own affinity, which
    // pinSelf() has narrowed to one CPU after the first scenario.
    return cpus().length >= 2;
  } catch {
    return false;
  }
}

/** Pins this process (all its threads) to `cpu`. */
export function pinSelf(cpu: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
}

/**
 * `[cmd, args]` wrapped in `prlimit --nofile=N:N` when this process may raise the hard open-file
 * limit (root with CAP_SYS_RESOURCE; probed once) and prlimit exists, so a child can hold many
 * connections (prlimit execs the command in place: the pid stays the command's). Otherwise
 * unchanged: the child gets this process's limit (see fileLimit()).
 */
export function withFileLimit(limit: number, cmd: string, args: readonly string[]): [string, string[]] {
  canRaise ??= probeRaise(limit);
  return canRaise ? ['prlimit', [`--nofile=${limit}:${limit}`, cmd, ...args]] : [cmd, [...args]];
}

let canRaise: boolean | undefined;

function probeRaise(limit: number): boolean {
  try {
    execFileSync('prlimit', [`--nofile=${limit}:${limit}`, 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The open-file limit children get: `wanted` when it can be raised, else this process's hard limit. */
export function fileLimit(wanted: number): number {
  canRaise ??= probeRaise(wanted);
  if (canRaise) return wanted;
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim()) || wanted;
  } catch {
    return wanted;
  }
}

/** `[cmd, args]` wrapped in `taskset -c cpu` when cpu is given. */
export function pinned(cpu: number | undefined, cmd: string, args: readonly string[]): [string, string[]] {
  return cpu === undefined ? [cmd, [...args]] : ['taskset', ['-c', String(cpu), cmd, ...args]];
}

export class Children {
  readonly #children: Child[] = [];

  start(name: string, cmd: string, args: readonly string[], opts: StartOptions = {}): Child {
    const [file, argv] = pinned(opts.cpu, cmd, args);
    const proc = spawn(file, argv, {
      env: { PATH: process.env.PATH ?? '', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (d: Buffer): void => {
      output = (output + d.toString()).slice(-20_000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.on('error', (err) => (output += `\n${name}: ${err.message}`));
    const exited = new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolve();
      else proc.once('exit', () => resolve());
    });
    const child: Child = {
      name,
      proc,
      pid: proc.pid ?? 0,
      output: () => output,
      stop: async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) return;
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      },
    };
    this.#children.push(child);
    return child;
  }

  /** The children that have exited, each with its status and the end of its output. */
  exited(): string[] {
    return this.#children
      .filter((c) => c.proc.exitCode !== null || c.proc.signalCode !== null)
      .map((c) => `${c.name} (${c.proc.exitCode ?? c.proc.signalCode}): ${c.output().slice(-400).trim()}`);
  }

  /** Stops every child started, in reverse order. */
  async stopAll(): Promise<void> {
    for (const child of this.#children.reverse()) await child.stop();
    this.#children.length = 0;
  }
}

/** Resolves once something accepts TCP connections on host:port; rejects if `child` exits first. */
export async function waitPort(child: Child, port: number, host = '127.0.0.1', timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null)
      throw new Error(`${child.name} exited before listening on ${host}:${port}:\n${child.output()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`${child.name} did not listen on ${host}:${port} within ${timeoutMs} ms:\n${child.output()}`);
}

/** Resolves once `url` answers 200; rejects if `child` exits first. */
export async function waitHttpReady(child: Child, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null)
      throw new Error(`${child.name} exited before ready:\n${child.output()}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`${child.name} not ready at ${url} within ${timeoutMs} ms:\n${child.output()}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
