// The Get streams of the destination benchmark, run as their own process so that their CPU is not
// counted as the controller's: `node bench/lib/destination-clients.ts '<json ClientsSpec>'`.
//
// `streams` Get streams over `connections` gRPC channels (each its own TCP connection, as separate
// proxies would have); stream i asks for paths[i % paths.length] on channel ⌊i·connections/streams⌋,
// so one channel's streams ask for different Services. Every stream keeps the set of addresses it
// was told; the first time an address appears on (or leaves) a stream, its arrival time is recorded
// under `+ip` (or `-ip`): the count of streams that saw it and the latest arrival. A re-sent add of
// an address the stream holds (changed labels) is not an arrival.
//
// A small HTTP server on 127.0.0.1:controlPort answers GET /ready (200 once every stream has had
// its first answer), GET /report (JSON ClientsReport) and GET /stop (closes everything, exits).

import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { credentials, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { ipAddressToString, type Update } from '../../src/api/index.ts';
import { DestinationClient } from '../../src/api/grpc-js-clients.ts';
import { fingerprint, nowMs } from './destination-cluster.ts';

export interface ClientsSpec {
  readonly target: string;
  readonly controlPort: number;
  readonly paths: readonly string[];
  readonly streams: number;
  readonly connections: number;
}

export interface StreamReport {
  readonly path: string;
  readonly addresses: number;
  /** sha256 of the sorted addresses, to compare with the cluster's. */
  readonly fingerprint: string;
}

export interface ClientsReport {
  readonly streams: readonly StreamReport[];
  /** key (`+ip` / `-ip`) → [streams that saw it, latest arrival (ms, wall clock)]. */
  readonly arrivals: Readonly<Record<string, readonly [number, number]>>;
  readonly messages: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
}

interface StreamState {
  readonly path: string;
  readonly held: Set<string>;
  answered: boolean;
}

function run(spec: ClientsSpec): void {
  const channels = Array.from(
    { length: spec.connections },
    () =>
      new DestinationClient(spec.target, credentials.createInsecure(), {
        'grpc.use_local_subchannel_pool': 1,
        'grpc.max_receive_message_length': 64 << 20,
      }),
  );
  const arrivals = new Map<string, [number, number]>();
  const states: StreamState[] = [];
  const calls: ClientReadableStream<Update>[] = [];
  let messages = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  let unanswered = spec.streams;
  let stopping = false;

  const arrived = (key: string, at: number): void => {
    const entry = arrivals.get(key);
    if (entry === undefined) arrivals.set(key, [1, at]);
    else {
      entry[0] += 1;
      if (at > entry[1]) entry[1] = at;
    }
  };

  for (let i = 0; i < spec.streams; i++) {
    const path = spec.paths[i % spec.paths.length] ?? '';
    const channel = channels[Math.floor((i * spec.connections) / spec.streams)] ?? channels[0];
    if (channel === undefined) throw new Error('no channel');
    const state: StreamState = { path, held: new Set(), answered: false };
    states.push(state);
    const call = channel.get({ scheme: 'k8s', path, contextToken: '{"ns":"bench"}' });
    calls.push(call);
    call.on('data', (update: Update) => {
      const at = nowMs();
      messages += 1;
      if (!state.answered) {
        state.answered = true;
        unanswered -= 1;
      }
      const u = update.update;
      if (u?.$case === 'add') {
        for (const a of u.add.addrs) {
          const ip = ipAddressToString(a.addr?.ip);
          if (state.held.has(ip)) continue;
          state.held.add(ip);
          arrived(`+${ip}`, at);
        }
      } else if (u?.$case === 'remove') {
        for (const a of u.remove.addrs) {
          const ip = ipAddressToString(a.ip);
          if (!state.held.delete(ip)) continue;
          arrived(`-${ip}`, at);
        }
      } else if (u?.$case === 'noEndpoints') {
        for (const ip of state.held) arrived(`-${ip}`, at);
        state.held.clear();
      }
    });
    call.on('error', (err: ServiceError) => {
      if (stopping) return;
      errors += 1;
      if (errorSamples.length < 5) errorSamples.push(`${path}: ${err.code} ${err.details}`);
    });
  }

  const report = (): ClientsReport => ({
    streams: states.map((s) => ({ path: s.path, addresses: s.held.size, fingerprint: fingerprint(s.held) })),
    arrivals: Object.fromEntries(arrivals),
    messages,
    errors,
    errorSamples,
  });

  const server = createServer((req, res) => {
    if (req.url === '/ready') {
      res.writeHead(unanswered === 0 ? 200 : 503).end(`${unanswered} streams without an answer\n`);
    } else if (req.url === '/report') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(report()));
    } else if (req.url === '/stop') {
      stopping = true;
      for (const call of calls) call.cancel();
      for (const channel of channels) channel.close();
      res.end('bye\n', () => server.close(() => process.exit(0)));
    } else res.writeHead(404).end();
  });
  server.listen(spec.controlPort, '127.0.0.1');
  process.once('SIGTERM', () => process.exit(0));
}

const arg = process.argv[2];
if (process.argv[1] === fileURLToPath(import.meta.url) && arg !== undefined) run(JSON.parse(arg) as ClientsSpec);
