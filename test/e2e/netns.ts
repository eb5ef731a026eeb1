// Test support for end-to-end tests in private network namespaces: check the machine can run them,
// create namespaces with unique names, wire them with veth pairs, run commands and background
// processes inside them (every wait bounded), and delete everything in after().
//
// Contract: only root on Linux with iproute2 can create namespaces; `netnsUnavailable()` says
// precisely why not (tests then `t.skip(...)` with that reason). Every namespace and background
// process made here is tracked, and `cleanupNetns()` kills the processes and deletes the
// namespaces, also after a failure; call it from after(). Tests send traffic only to addresses
// inside namespaces they created.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';

export const NETNS_DIR = '/run/netns';
const DEFAULT_TIMEOUT_MS = 5_000;

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly timeoutMs?: number;
  readonly input?: string;
}

/** Runs a command (no shell) to completion within a timeout; never rejects on a non-zero exit. */
export function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      [...args],
      { timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, killSignal: 'SIGKILL', encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err === null) return resolve({ code: 0, stdout, stderr });
        const e = err as { code?: unknown; killed?: boolean; message: string };
        const code = typeof e.code === 'number' ? e.code : 127;
        const why = e.killed === true ? `killed after ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms` : e.message;
        resolve({ code, stdout, stderr: stderr === '' ? why : stderr });
      },
    );
    // A command that exits without reading stdin makes the write fail with EPIPE; its exit status
    // already says what happened.
    child.stdin?.on('error', () => {});
    child.stdin?.end(opts.input ?? '');
  });
}

/** Like run(), but rejects with the command line and its stderr on a non-zero exit. */
export async function runOk(file: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const result = await run(file, args, opts);
  if (result.code !== 0) {
    throw new Error(`${[file, ...args].join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** The absolute path of an executable on PATH, or undefined. */
export async function which(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '')) {
    try {
      await access(path.join(dir, name), constants.X_OK);
      return path.join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Why network-namespace tests cannot run here (not Linux, not root, a tool missing, or the
 * kernel refusing a namespace), or undefined when they can. `tools` are extra binaries needed.
 */
export async function netnsUnavailable(tools: readonly string[] = []): Promise<string | undefined> {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  const uid = process.getuid?.();
  if (uid !== 0) return `not running as root (uid ${uid ?? 'unknown'})`;
  const missing: string[] = [];
  for (const tool of ['ip', ...tools]) if ((await which(tool)) === undefined) missing.push(tool);
  if (missing.length > 0) return `not on PATH: ${missing.join(', ')}`;
  const probe = `nm-probe-${randomBytes(4).toString('hex')}`;
  const added = await run('ip', ['netns', 'add', probe]);
  if (added.code !== 0) return `ip netns add failed: ${added.stderr.trim()}`;
  await run('ip', ['netns', 'del', probe]);
  return undefined;
}

const namespaces = new Set<Netns>();
const processes = new Set<ChildProcess>();

/** A network namespace this process created; its loopback is up. */
export class Netns {
  readonly name: string;
  /** `/run/netns/<name>`, for nsenter --net. */
  readonly path: string;

  private constructor(name: string) {
    this.name = name;
    this.path = `${NETNS_DIR}/${name}`;
  }

  /** Creates `<prefix>-<8 hex>` and brings its `lo` up. */
  static async create(prefix = 'nm-test'): Promise<Netns> {
    const ns = new Netns(`${prefix}-${randomBytes(4).toString('hex')}`);
    await runOk('ip', ['netns', 'add', ns.name]);
    namespaces.add(ns);
    await ns.ip(['link', 'set', 'lo', 'up']);
    return ns;
  }

  /** `ip -n <name> …`, rejecting on failure. */
  ip(args: readonly string[]): Promise<string> {
    return runOk('ip', ['-n', this.name, ...args]);
  }

  /** Runs a command inside the namespace to completion (bounded by `timeoutMs`). */
  exec(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return run('ip', ['netns', 'exec', this.name, file, ...args], opts);
  }

  /** Starts a background process inside the namespace; cleanupNetns() kills it if still running. */
  spawn(file: string, args: readonly string[]): BackgroundProcess {
    const proc = spawn('ip', ['netns', 'exec', this.name, file, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    return new BackgroundProcess(proc);
  }

  async delete(): Promise<void> {
    namespaces.delete(this);
    await run('ip', ['netns', 'del', this.name]);
  }
}

/** A process started with Netns.spawn, with its output collected. */
export class BackgroundProcess {
  readonly proc: ChildProcess;
  #output = '';
  readonly exited: Promise<void>;

  constructor(proc: ChildProcess) {
    this.proc = proc;
    processes.add(proc);
    proc.stdout?.setEncoding('utf8').on('data', (d: string) => (this.#output += d));
    proc.stderr?.setEncoding('utf8').on('data', (d: string) => (this.#output += d));
    this.exited = new Promise((resolve) =>
      proc.once('close', () => {
        processes.delete(proc);
        resolve();
      }),
    );
  }

  get output(): string {
    return this.#output;
  }

  /** Resolves when the output has a line matching `pattern`; rejects on exit or after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#output.split('\n').some((line) => pattern.test(line))) {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        throw new Error(`exited (${this.proc.exitCode ?? this.proc.signalCode}) before ${pattern}: ${this.#output}`);
      }
      if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms: ${this.#output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within a second. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 1_000);
    await this.exited;
    clearTimeout(timer);
  }
}

export interface VethOptions {
  /** Interface name on each side (names are private to each namespace). */
  readonly names?: readonly [string, string];
  /** Addresses with prefix for each side, e.g. `['10.255.7.1/30', '10.255.7.2/30']`; IPv6 too. */
  readonly addresses: readonly (readonly [string, string])[];
}

/** Connects `a` and `b` with a veth pair created inside `a` (the host namespace is not touched). */
export async function vethPair(a: Netns, b: Netns, opts: VethOptions): Promise<void> {
  const [ifA, ifB] = opts.names ?? ['nm0', 'nm1'];
  await a.ip(['link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB, 'netns', b.name]);
  for (const [addrA, addrB] of opts.addresses) {
    // nodad: IPv6 addresses are usable at once instead of after duplicate address detection.
    const v6 = addrA.includes(':') ? ['nodad'] : [];
    await a.ip(['addr', 'add', addrA, 'dev', ifA, ...v6]);
    await b.ip(['addr', 'add', addrB, 'dev', ifB, ...v6]);
  }
  await a.ip(['link', 'set', ifA, 'up']);
  await b.ip(['link', 'set', ifB, 'up']);
}

/** Kills every background process and deletes every namespace created here. For after(). */
export async function cleanupNetns(): Promise<void> {
  for (const proc of processes) proc.kill('SIGKILL');
  const deadline = Date.now() + 2_000;
  while (processes.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await Promise.all([...namespaces].map((ns) => ns.delete()));
}
