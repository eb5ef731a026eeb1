// Running the firewall binaries: a plain process runner (argument arrays through node:child_process,
// never a shell, every run bounded by a timeout), finding binaries on PATH, and the FirewallRunner
// that turns a failed run into a typed error naming the command and its stderr.
//
// Contract: `spawnExec` resolves with the exit status of every process that started and rejects
// only when the process could not be started (ENOENT, EACCES). The FirewallRunner rejects with a
// FirewallBinaryMissingError, FirewallPermissionError or FirewallCommandError; with `netns` set it
// runs each command as `nsenter --net=<netns> -- <command>`.

import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { FirewallBinaryMissingError, FirewallCommandError, FirewallPermissionError } from './firewall-errors.ts';

export interface ExecRequest {
  readonly file: string;
  readonly args: readonly string[];
  /** Written to stdin, which is then closed. */
  readonly input?: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface ExecResult {
  /** The exit code, or null when the process was ended by a signal. */
  readonly code: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

export type Exec = (request: ExecRequest) => Promise<ExecResult>;

/** Finds an executable by name on a PATH; undefined when absent. */
export type Which = (name: string) => Promise<string | undefined>;

/** Runs a process with node:child_process.spawn (no shell). */
export const spawnExec: Exec = (request) =>
  new Promise((resolve, reject) => {
    const child = spawn(request.file, [...request.args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, request.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      // An abort also surfaces here, after the process was killed; report it as the abort.
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr });
    });
    // A process that exits before reading stdin makes the write fail with EPIPE; its exit status
    // tells the story, so the write error is ignored.
    child.stdin.on('error', () => {});
    child.stdin.end(request.input ?? '');
  });

/** A Which that searches the directories of `pathValue` (a PATH string) for an executable file. */
export function whichInPath(pathValue: string | undefined): Which {
  const dirs = (pathValue ?? '').split(path.delimiter).filter((d) => d !== '');
  return async (name) => {
    if (name.includes('/')) return (await isExecutable(name)) ? name : undefined;
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      if (await isExecutable(candidate)) return candidate;
    }
    return undefined;
  };
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface FirewallRunnerOptions {
  readonly exec: Exec;
  /** Absolute path of nsenter, required with `netns`. */
  readonly nsenter?: string;
  /** Enter this network namespace (a path) for every command. */
  readonly netns?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Told each command line before it runs (for the command's own output). */
  readonly onCommand?: (argv: readonly string[]) => void;
}

/** Runs firewall commands and returns stdout, or rejects with a typed error. */
export type FirewallRunner = (file: string, args: readonly string[], input?: string) => Promise<string>;

const PERMISSION = /permission denied|operation not permitted|you must be root|can't initialize/i;
const LOCK = /lock file|xtables\.lock/i;

export function createFirewallRunner(opts: FirewallRunnerOptions): FirewallRunner {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return async (file, args, input) => {
    const shown = [file, ...args];
    let argv: string[] = shown;
    if (opts.netns !== undefined) {
      if (opts.nsenter === undefined) {
        throw new FirewallBinaryMissingError(`nsenter is not installed; it is needed to enter ${opts.netns}`);
      }
      argv = [opts.nsenter, `--net=${opts.netns}`, '--', ...shown];
    }
    opts.onCommand?.(argv);
    const commandLine = formatCommandLine(argv);
    const fields = { argv };
    let result: ExecResult;
    try {
      result = await opts.exec({
        file: argv[0] ?? file,
        args: argv.slice(1),
        ...(input === undefined ? {} : { input }),
        timeoutMs,
        ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'ENOENT') {
        throw new FirewallBinaryMissingError(`${argv[0] ?? file} is not installed (running ${commandLine})`, {
          cause: err,
          fields,
        });
      }
      if (opts.signal?.aborted === true) throw opts.signal.reason;
      throw new FirewallCommandError(`${commandLine} could not be started: ${String(err)}`, { cause: err, fields });
    }
    if (result.timedOut) {
      throw new FirewallCommandError(`${commandLine} did not finish within ${timeoutMs} ms and was killed`, {
        fields: { ...fields, stderr: result.stderr },
      });
    }
    if (result.code === 0) return result.stdout;
    const stderr = result.stderr.trim();
    const status = result.code === null ? `was killed by ${result.signal ?? 'a signal'}` : `exited ${result.code}`;
    const detail = { ...fields, exitCode: result.code, stderr };
    if (PERMISSION.test(stderr)) {
      const needs = ['the NET_ADMIN and NET_RAW capabilities'];
      if (opts.netns !== undefined) needs.push('SYS_ADMIN to enter the network namespace');
      const lock = LOCK.test(stderr) ? '; the xtables lock needs a writable /run (mount an emptyDir there)' : '';
      throw new FirewallPermissionError(
        `${commandLine} was not permitted (${status}): ${stderr}\n` +
          `proxy-init needs ${needs.join(' and ')} (securityContext.capabilities.add: [NET_ADMIN, NET_RAW])${lock}`,
        { fields: detail },
      );
    }
    if (result.code === 127 && opts.netns !== undefined && /no such file/i.test(stderr)) {
      throw new FirewallBinaryMissingError(`${commandLine} failed: ${stderr}`, { fields: detail });
    }
    throw new FirewallCommandError(`${commandLine} ${status}: ${stderr === '' ? '(no stderr)' : stderr}`, {
      fields: detail,
    });
  };
}

/** A command line as a person would type it (words with spaces or quotes are single-quoted). */
export function formatCommandLine(argv: readonly string[]): string {
  return argv.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(' ');
}
