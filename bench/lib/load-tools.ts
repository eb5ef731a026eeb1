// External load generators and reference servers for the proxy benchmarks: which Debian package
// provides each, a check that names the package when one is missing (the harness never installs
// anything), and runners for wrk (HTTP/1.1) and h2load (HTTP/2, gRPC) that parse their reports.

import { execFile, execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { pinned } from './children.ts';
import { round, summarize } from './stats.ts';

/** The command and the Debian package that provides it. */
export const TOOLS = {
  wrk: { bin: 'wrk', apt: 'wrk' },
  h2load: { bin: 'h2load', apt: 'nghttp2-client' },
  haproxy: { bin: 'haproxy', apt: 'haproxy' },
} as const;

export type ToolName = keyof typeof TOOLS;

/** Where `bin` is on PATH (also /usr/sbin, where Debian puts haproxy), or undefined. */
export function which(bin: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    try {
      execFileSync('test', ['-x', `${dir}/${bin}`], { stdio: 'ignore' });
      return `${dir}/${bin}`;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The tools among `names` that are not installed. */
export function missingTools(names: readonly ToolName[]): ToolName[] {
  return names.filter((n) => which(TOOLS[n].bin) === undefined);
}

/** The message for missing tools, naming the apt packages to install. */
export function missingToolsMessage(missing: readonly ToolName[]): string {
  const pkgs = [...new Set(missing.map((n) => TOOLS[n].apt))];
  return `needs ${missing.map((n) => TOOLS[n].bin).join(', ')}: apt-get install -y ${pkgs.join(' ')}`;
}

/** Throws, naming the apt packages, when any of `names` is missing. Returns the tools' paths. */
export function requireTools(names: readonly ToolName[]): Record<ToolName, string> {
  const missing = missingTools(names);
  if (missing.length > 0) throw new Error(`the proxy benchmark ${missingToolsMessage(missing)}`);
  return Object.fromEntries(names.map((n) => [n, which(TOOLS[n].bin) ?? TOOLS[n].bin])) as Record<ToolName, string>;
}

export interface LoadResult {
  readonly requests: number;
  /**
   * Requests the servers answered in the whole run when that is more than `requests` (the open-loop
   * generator's unrecorded lead-in): CPU per request divides by this.
   */
  readonly served?: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  /** Non-2xx responses plus socket/stream errors and timeouts. */
  readonly errors: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly p999?: number;
    readonly mean?: number;
  };
  /** From the open-loop generator only: its own lateness and the latency from the write. */
  readonly generator?: {
    readonly sendLagMs: { readonly p50: number; readonly p99: number; readonly max: number };
    readonly serviceMs: { readonly p50: number; readonly p99: number; readonly max: number };
  };
}

export interface WrkOptions {
  readonly url: string;
  readonly host: string;
  readonly connections: number;
  readonly durationMs: number;
  /** Extra request headers, e.g. `Connection: close` for a new connection per request. */
  readonly headers?: readonly string[];
  readonly cpu?: number;
}

/** wrk -t1, keep-alive (unless a header says otherwise), GET `url` with `Host: host`. */
export async function runWrk(bin: string, o: WrkOptions): Promise<LoadResult> {
  const seconds = Math.max(1, Math.round(o.durationMs / 1000));
  const [cmd, args] = pinned(o.cpu, bin, [
    '-t1',
    `-c${o.connections}`,
    `-d${seconds}s`,
    '--latency',
    '-H',
    `Host: ${o.host}`,
    ...(o.headers ?? []).flatMap((h) => ['-H', h]),
    o.url,
  ]);
  const { stdout } = await promisify(execFile)(cmd, args, { timeout: o.durationMs + 30_000 });
  return parseWrk(stdout);
}

/** Parses wrk's report (`--latency`). Exported for tests. */
export function parseWrk(text: string): LoadResult {
  const m = /(\d+) requests in ([\d.]+)(us|ms|s|m)\b/.exec(text);
  if (m === null) throw new Error(`cannot read wrk's report:\n${text}`);
  const requests = Number(m[1]);
  const seconds = toMs(Number(m[2]), m[3] ?? 's') / 1000;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? requests / seconds);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const sockErrors = sock === null ? 0 : sock.slice(1, 5).reduce((a, b) => a + Number(b), 0);
  const pct = (p: string): number => {
    const r = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(text);
    return r === null ? Number.NaN : round(toMs(Number(r[1]), r[2] ?? 'ms'));
  };
  const mean = /Latency\s+([\d.]+)(us|ms|s)/.exec(text);
  return {
    requests,
    seconds: round(seconds),
    requestsPerSecond: round(rps, 1),
    errors: non2xx + sockErrors,
    latencyMs: {
      p50: pct('50'),
      p90: pct('90'),
      p99: pct('99'),
      ...(mean === null ? {} : { mean: round(toMs(Number(mean[1]), mean[2] ?? 'ms')) }),
    },
  };
}

export interface H2loadOptions {
  readonly url: string;
  readonly authority: string;
  readonly connections: number;
  /** Concurrent streams per connection (h2load -m). */
  readonly streams: number;
  readonly durationMs: number;
  readonly headers?: readonly string[];
  /** A file POSTed as each request's body (h2load -d). */
  readonly dataFile?: string;
  /** Per-request log, for latency percentiles (h2load --log-file). */
  readonly logFile?: string;
  /** HTTP/1.1 instead of h2c (h2load --h1; `streams` then means pipelined requests, keep it 1). */
  readonly h1?: boolean;
  /** Fixed rate: requests per second per connection (h2load --rps), for latency at a set load. */
  readonly rps?: number;
  readonly cpu?: number;
}

/**
 * h2load over h2c (prior knowledge), or HTTP/1.1 with `h1`, for a fixed duration; at a fixed
 * rate with `rps` (each connection sends on its own schedule; a response slower than the interval
 * delays that connection's next request, so use enough connections that the interval is long
 * against the latency, e.g. 50 × 100/s for 5,000/s).
 */
export async function runH2load(bin: string, o: H2loadOptions): Promise<LoadResult> {
  const seconds = Math.max(1, Math.round(o.durationMs / 1000));
  const argv = [
    `-c${o.connections}`,
    `-m${o.streams}`,
    `-t1`,
    `-D${seconds}`,
    ...(o.h1 === true ? ['--h1'] : []),
    ...(o.rps === undefined ? [] : [`--rps=${o.rps}`]),
    '-H',
    `:authority: ${o.authority}`,
    ...(o.headers ?? []).flatMap((h) => ['-H', h]),
    ...(o.dataFile === undefined ? [] : ['-d', o.dataFile]),
    ...(o.logFile === undefined ? [] : [`--log-file=${o.logFile}`]),
    o.url,
  ];
  const [cmd, args] = pinned(o.cpu, bin, argv);
  const { stdout } = await promisify(execFile)(cmd, args, { timeout: o.durationMs + 30_000 });
  const result = parseH2load(stdout);
  if (o.logFile === undefined) return result;
  const samples = (await readFile(o.logFile, 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => Number(l.split('\t')[2]) / 1000);
  const s = summarize(samples);
  return { ...result, latencyMs: { p50: s.p50Ms, p90: s.p90Ms, p99: s.p99Ms, p999: s.p999Ms, mean: s.meanMs } };
}

/** Parses h2load's report. Exported for tests. */
export function parseH2load(text: string): LoadResult {
  const fin = /finished in ([\d.]+)(us|ms|s), ([\d.]+) req\/s/.exec(text);
  const req =
    /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(
      text,
    );
  if (fin === null || req === null) throw new Error(`cannot read h2load's report:\n${text}`);
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(text);
  const done = Number(req[3]);
  const non2xx = codes === null ? 0 : Number(codes[2]) + Number(codes[3]) + Number(codes[4]);
  const mean = /time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)/.exec(text);
  return {
    requests: Number(codes?.[1] ?? done),
    seconds: round(toMs(Number(fin[1]), fin[2] ?? 's') / 1000),
    requestsPerSecond: round(Number(fin[3]), 1),
    errors: Number(req[5]) + Number(req[6]) + Number(req[7]) + non2xx,
    latencyMs: {
      p50: Number.NaN,
      p90: Number.NaN,
      p99: Number.NaN,
      ...(mean === null ? {} : { mean: round(toMs(Number(mean[1]), mean[2] ?? 'ms')) }),
    },
  };
}

function toMs(value: number, unit: string): number {
  switch (unit) {
    case 'us':
      return value / 1000;
    case 'ms':
      return value;
    case 's':
      return value * 1000;
    case 'm':
      return value * 60_000;
    default:
      return Number.NaN;
  }
}
