// The local mesh under soak: `nodemesh demo` as a child process with its own state folder, bounded
// by its own --duration (a safety net if the harness dies), and the handles the soak needs from
// its state.json: the components' pids and addresses, the resources folder and the CA files.
//
// Contract: startDemo() resolves once state.json is written (every component ready) or rejects
// with the demo's output; stop() sends SIGTERM (the demo stops its components in reverse order),
// waits up to a minute, then SIGKILLs the demo and any component still alive. Call stop() always.

import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';

export const NODEMESH_BIN = fileURLToPath(new URL('../../bin/nodemesh.ts', import.meta.url));

export interface DemoComponentState {
  readonly name: string;
  readonly pid: number;
  readonly addresses: Readonly<Record<string, string>>;
}

export interface RunningDemo {
  readonly pid: number;
  readonly stateDir: string;
  readonly components: readonly DemoComponentState[];
  component(name: string): DemoComponentState;
  readonly output: () => string;
  /** Undefined while running; the exit code or signal once it ended. */
  readonly exited: () => string | undefined;
  stop(): Promise<void>;
}

export interface StartDemoOptions {
  readonly stateDir: string;
  readonly durationMs: number;
  readonly proxyEnv: Readonly<Record<string, string>>;
  readonly readyTimeoutMs?: number;
}

/** True when something already listens on host:port (another local mesh holds the demo's addresses). */
export function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startDemo(o: StartDemoOptions): Promise<RunningDemo> {
  const args = [NODEMESH_BIN, 'demo', '--state-dir', o.stateDir, '--duration', `${Math.ceil(o.durationMs / 1000)}s`];
  for (const [k, v] of Object.entries(o.proxyEnv)) args.push('--proxy-env', `${k}=${v}`);
  const proc = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer): void => {
    output = (output + d.toString()).slice(-20_000);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const exitedP = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const exited = (): string | undefined =>
    proc.exitCode !== null
      ? `code ${proc.exitCode}`
      : proc.signalCode !== null
        ? `signal ${proc.signalCode}`
        : undefined;
  let components: DemoComponentState[] = [];
  const stop = async (): Promise<void> => {
    if (exited() === undefined) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
      await exitedP;
      clearTimeout(timer);
    }
    for (const c of components) {
      try {
        process.kill(c.pid, 'SIGKILL'); // only if the demo left it behind
      } catch {
        // gone, as it should be
      }
    }
  };
  try {
    const deadline = Date.now() + (o.readyTimeoutMs ?? 90_000);
    const stateFile = path.join(o.stateDir, 'state.json');
    for (;;) {
      if (exited() !== undefined) throw new Error(`nodemesh demo exited (${exited()}) before it was up:\n${output}`);
      if (Date.now() > deadline) throw new Error(`nodemesh demo was not up in time:\n${output}`);
      if (/stopping by itself after/.test(output)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const state = JSON.parse(await readFile(stateFile, 'utf8')) as { components: DemoComponentState[] };
    components = state.components;
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    pid: proc.pid ?? 0,
    stateDir: o.stateDir,
    components,
    component: (name) => {
      const c = components.find((x) => x.name === name);
      if (c === undefined) throw new Error(`soak: the local mesh has no component ${name}`);
      return c;
    },
    output: () => output,
    exited,
    stop,
  };
}

/** Runs `nodemesh ARGS…` to the end; rejects with its output on a non-zero exit. */
export function runNodemesh(args: readonly string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [NODEMESH_BIN, ...args], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    proc.once('error', reject);
    proc.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`nodemesh ${args.join(' ')} exited ${code}:\n${out}`)),
    );
  });
}

/** Sum of `name` samples (matching `labels`) in `${admin}/metrics`; NaN when it cannot be read. */
export async function scrapeSum(
  admin: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): Promise<number> {
  try {
    const res = await fetch(`${admin}/metrics`, { signal: AbortSignal.timeout(3000) });
    return sumSamples(parsePrometheusText(await res.text()), name, labels);
  } catch {
    return Number.NaN;
  }
}
