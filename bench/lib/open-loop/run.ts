// Runs the open-loop generator (main.ts) as its own process, pinned to a CPU like wrk and h2load,
// and returns its figures as a LoadResult.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pinned } from '../children.ts';
import type { LoadResult } from '../load-tools.ts';
import type { OpenLoopResult } from './generator.ts';

export interface OpenLoopProcessOptions {
  readonly host: string;
  readonly port: number;
  readonly authority: string;
  readonly rate: number;
  readonly connections: number;
  readonly durationMs: number;
  /** The unrecorded lead-in at the same rate (the generator's default when absent). */
  readonly warmupMs?: number;
  readonly cpu?: number;
}

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

export async function runOpenLoopProcess(o: OpenLoopProcessOptions): Promise<LoadResult> {
  const argv = [
    MAIN,
    `--host=${o.host}`,
    `--port=${o.port}`,
    `--authority=${o.authority}`,
    `--rate=${o.rate}`,
    `--connections=${o.connections}`,
    `--duration-ms=${o.durationMs}`,
    ...(o.warmupMs === undefined ? [] : [`--warmup-ms=${o.warmupMs}`]),
  ];
  const [cmd, args] = pinned(o.cpu, process.execPath, argv);
  const { stdout } = await promisify(execFile)(cmd, args, { timeout: o.durationMs + 30_000 });
  const r = JSON.parse(stdout) as OpenLoopResult;
  return {
    requests: r.requests,
    served: r.served,
    seconds: r.seconds,
    requestsPerSecond: r.requestsPerSecond,
    errors: r.errors,
    latencyMs: r.latencyMs,
    generator: { sendLagMs: r.sendLagMs, serviceMs: r.serviceMs },
  };
}
