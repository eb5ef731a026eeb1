// The load generator for one path of a proxy-pair benchmark: wrk for HTTP/1.1 at saturation,
// h2load for h2c and gRPC (a pre-framed request body), and h2load --h1 when HTTP/1.1 needs a fixed
// rate or per-request latencies (wrk has neither).

import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runH2load, runWrk, type LoadResult, type ToolName } from './load-tools.ts';
import type { PairPath } from './pair-topology.ts';
import { grpcFrame } from './preflight.ts';
import { RESPONSE_BODY } from './haproxy.ts';

export interface PathLoadOptions {
  readonly connections: number;
  /** h2 streams per connection (ignored for HTTP/1.1). */
  readonly streams: number;
  readonly durationMs: number;
  /** A folder for the gRPC request body and per-request logs. */
  readonly dir: string;
  readonly cpu?: number;
  /** Fixed rate per connection (requests/s): h2load --rps (HTTP/1.1 through h2load --h1). */
  readonly rps?: number;
  /** Per-request latencies (h2load --log-file), for p99.9; HTTP/1.1 then runs through h2load --h1. */
  readonly perRequestLatency?: boolean;
  /** Extra request headers (wrk only), e.g. `Connection: close`. */
  readonly headers?: readonly string[];
  /** A name for the log file of this run. */
  readonly label: string;
}

/** Which tools a kind of load needs. */
export function pathTools(protocol: PairPath['protocol'], h2loadForH1: boolean): ToolName[] {
  return protocol === 'http1' && !h2loadForH1 ? ['wrk'] : ['h2load'];
}

export async function loadPath(
  tools: Partial<Record<ToolName, string>>,
  p: PairPath,
  o: PathLoadOptions,
): Promise<LoadResult> {
  const grpc = p.protocol === 'grpc';
  const url = `http://${p.host}:${p.port}/${grpc ? 'bench.Echo/Unary' : ''}`;
  const cpu = o.cpu === undefined ? {} : { cpu: o.cpu };
  const viaH2load = p.protocol !== 'http1' || o.rps !== undefined || o.perRequestLatency === true;
  if (!viaH2load) {
    return runWrk(need(tools, 'wrk'), {
      url,
      host: p.authority,
      connections: o.connections,
      durationMs: o.durationMs,
      ...(o.headers === undefined ? {} : { headers: o.headers }),
      ...cpu,
    });
  }
  let dataFile: string | undefined;
  if (grpc) {
    dataFile = path.join(o.dir, 'grpc-request.bin');
    await writeFile(dataFile, grpcFrame(RESPONSE_BODY));
  }
  const logFile = o.perRequestLatency === true ? path.join(o.dir, `${o.label}.log`) : undefined;
  const result = await runH2load(need(tools, 'h2load'), {
    url,
    authority: p.authority,
    connections: o.connections,
    streams: p.protocol === 'http1' ? 1 : o.streams,
    durationMs: o.durationMs,
    ...(p.protocol === 'http1' ? { h1: true } : {}),
    ...(o.rps === undefined ? {} : { rps: o.rps }),
    ...(grpc && dataFile !== undefined
      ? { headers: ['content-type: application/grpc', 'te: trailers'], dataFile }
      : {}),
    ...(logFile === undefined ? {} : { logFile }),
    ...cpu,
  });
  if (logFile !== undefined) await rm(logFile, { force: true });
  return result;
}

function need(tools: Partial<Record<ToolName, string>>, name: ToolName): string {
  const bin = tools[name];
  if (bin === undefined) throw new Error(`internal: ${name} was not looked up for this scenario`);
  return bin;
}
