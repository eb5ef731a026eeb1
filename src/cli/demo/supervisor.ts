// Supervisor: starts the local mesh's components as child processes and stops them all.
//
// Contract: start() spawns one component, sends its stdout and stderr to `<logDir>/<name>.log`, and
// resolves once its readiness URL answers 200 (bounded by `readyTimeoutMs`) or rejects with
// ChildProcessError naming the component and the tail of its log. stopAll() sends SIGTERM to every
// child in reverse start order, waits up to `graceMs`, then SIGKILLs what is left. A child that
// exits while the mesh runs is reported through `onExit`.

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { MeshError } from '../../errors/index.ts';

export class ChildProcessError extends MeshError {
  constructor(message: string, fields: Record<string, unknown>) {
    super('MESH_ERR_CHILD_PROCESS', message, { fields });
  }
}

export interface ComponentSpec {
  readonly name: string;
  /** Arguments after the nodemesh binary, e.g. ['identity', '--config', ...]. */
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** An http:// URL that answers 200 once the component is ready. */
  readonly readyUrl?: string;
}

export interface RunningComponent {
  readonly spec: ComponentSpec;
  readonly pid: number;
  readonly logFile: string;
}

export interface SupervisorOptions {
  /** How to start nodemesh itself: executable and leading arguments. */
  readonly self: readonly [string, ...string[]];
  readonly logDir: string;
  /** Variables every child inherits (PATH, HOME); each component's own env is layered on top. */
  readonly inheritEnv: Readonly<Record<string, string | undefined>>;
  readonly readyTimeoutMs?: number;
  readonly graceMs?: number;
  readonly onExit?: (name: string, code: number | null, signal: NodeJS.Signals | null) => void;
}

interface Child {
  readonly spec: ComponentSpec;
  readonly proc: ChildProcess;
  readonly logFile: string;
  exited: Promise<void>;
  stopping: boolean;
}

export class Supervisor {
  readonly #opts: SupervisorOptions;
  readonly #children: Child[] = [];

  constructor(opts: SupervisorOptions) {
    this.#opts = opts;
  }

  get running(): readonly RunningComponent[] {
    return this.#children.map((c) => ({ spec: c.spec, pid: c.proc.pid ?? 0, logFile: c.logFile }));
  }

  async start(spec: ComponentSpec): Promise<RunningComponent> {
    const [exe, ...lead] = this.#opts.self;
    const logFile = path.join(this.#opts.logDir, `${spec.name}.log`);
    const log = createWriteStream(logFile, { flags: 'a' });
    const proc = spawn(exe, [...lead, ...spec.args], {
      env: { ...this.#opts.inheritEnv, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout?.pipe(log, { end: false });
    proc.stderr?.pipe(log, { end: false });
    const child: Child = {
      spec,
      proc,
      logFile,
      stopping: false,
      exited: new Promise((resolve) => {
        proc.once('exit', (code, signal) => {
          log.end();
          if (!child.stopping) this.#opts.onExit?.(spec.name, code, signal);
          resolve();
        });
      }),
    };
    this.#children.push(child);
    if (spec.readyUrl !== undefined) await this.#waitReady(child, spec.readyUrl);
    return { spec, pid: proc.pid ?? 0, logFile };
  }

  async stopAll(): Promise<void> {
    const graceMs = this.#opts.graceMs ?? 5000;
    for (const child of [...this.#children].reverse()) {
      child.stopping = true;
      if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const killed = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          child.proc.kill('SIGKILL');
          resolve();
        }, graceMs);
      });
      await Promise.race([child.exited, killed]);
      clearTimeout(timer);
      await child.exited;
    }
    this.#children.length = 0;
  }

  async #waitReady(child: Child, url: string): Promise<void> {
    const deadline = Date.now() + (this.#opts.readyTimeoutMs ?? 15_000);
    let exited = false;
    void child.exited.then(() => (exited = true));
    while (Date.now() < deadline && !exited) {
      if ((await probe(url)) === 200) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    const tail = await logTail(child.logFile);
    const why = exited
      ? `exited with code ${child.proc.exitCode ?? child.proc.signalCode}`
      : `was not ready at ${url} in time`;
    throw new ChildProcessError(`${child.spec.name} ${why}; last lines of ${child.logFile}:\n${tail}`, {
      component: child.spec.name,
      url,
      exited,
    });
  }
}

function probe(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** The last `lines` lines of a component's log, or '(no log)'. */
export async function logTail(file: string, lines = 15): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
