// The open-loop load generator of the pair-latency benchmark against a scripted local server:
// schedule, coordinated-omission correction, error accounting, argument checks.

import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { runOpenLoop, type OpenLoopResult } from '../../bench/lib/open-loop/generator.ts';

/** What the test server does with the n-th request it receives (0-based, over all connections). */
type Behaviour = (n: number, socket: Socket) => void;

interface TestServer {
  readonly port: number;
  /** process.hrtime arrival time (ns) of every request. */
  readonly arrivals: number[];
  close(): Promise<void>;
}

const OK = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';

async function serve(behaviour: Behaviour): Promise<TestServer> {
  const arrivals: number[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffered = '';
    socket.on('data', (d: Buffer) => {
      buffered += d.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        buffered = buffered.slice(end + 4);
        arrivals.push(Number(process.hrtime.bigint()));
        behaviour(arrivals.length - 1, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    arrivals,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A run against `s`, on loopback with a fixed Host. */
function load(
  s: TestServer,
  o: { rate: number; connections: number; durationMs: number; warmupMs: number },
): Promise<OpenLoopResult> {
  return runOpenLoop({ host: '127.0.0.1', port: s.port, authority: 'svc.test', ...o });
}

describe('open-loop generator', () => {
  const servers: TestServer[] = [];
  const start = async (b: Behaviour): Promise<TestServer> => {
    const s = await serve(b);
    servers.push(s);
    return s;
  };
  after(async () => {
    for (const s of servers) await s.close();
  });

  test('sends rate × duration requests spread over the schedule, never all at once', async () => {
    const s = await start((_, socket) => socket.write(OK));
    const r = await load(s, { rate: 200, connections: 4, durationMs: 500, warmupMs: 100 });
    assert.equal(r.scheduled, 100);
    assert.equal(r.requests, 100);
    assert.equal(r.errors, 0);
    assert.equal(s.arrivals.length, 120, 'the lead-in requests are sent but not recorded');
    assert.equal(r.served, 120, 'served counts the lead-in too (CPU per request divides by it)');
    // No request leaves before its time: the last cannot arrive before 119 intervals (595 ms) after
    // the first was due; the first may itself be a little late, hence the margin. A burst spans ~0.
    const span = ((s.arrivals.at(-1) ?? 0) - (s.arrivals[0] ?? 0)) / 1e6;
    assert.ok(span >= 500, `requests spanned ${span} ms`);
    assert.ok(r.latencyMs.p50 > 0 && r.latencyMs.p50 <= r.latencyMs.p99 && r.latencyMs.p99 <= r.latencyMs.max);
    assert.ok(r.sendLagMs.p50 >= 0 && r.serviceMs.p50 > 0);
  });

  test('counts the wait of requests queued behind a slow response (no coordinated omission)', async () => {
    // One connection, a request every 20 ms; the 10th response takes 300 ms, so the ~14 requests
    // scheduled meanwhile wait for the connection and are late by up to 280 ms each. (The timer
    // asks for 310: a Node timer counts from the event loop's cached clock and can fire a
    // millisecond short of its delay on the client's high-resolution clock.)
    const s = await start((n, socket) => {
      if (n === 9) setTimeout(() => socket.write(OK), 310);
      else socket.write(OK);
    });
    const r = await load(s, { rate: 50, connections: 1, durationMs: 1000, warmupMs: 0 });
    assert.equal(r.requests, 50);
    assert.ok(r.latencyMs.max >= 300, `max ${r.latencyMs.max}`);
    assert.ok(r.latencyMs.p90 >= 100, `p90 ${r.latencyMs.p90}: the queued requests' wait was not counted`);
    assert.ok(r.serviceMs.max >= 300);
  });

  test('counts non-2xx responses and failed connections as errors, reopening connections', async () => {
    const s = await start((n, socket) => {
      if (n % 10 === 3) socket.write('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n');
      else if (n % 10 === 7) socket.destroy();
      else socket.write(OK);
    });
    const r = await load(s, { rate: 100, connections: 2, durationMs: 400, warmupMs: 0 });
    assert.equal(r.scheduled, 40);
    assert.equal(r.errors, 8);
    assert.equal(r.requests, 32);
    assert.equal(r.timeouts, 0);
  });

  test('reports a malformed response as an error and keeps going', async () => {
    const s = await start((n, socket) => socket.write(n === 0 ? 'HTTP/9 nope\r\n\r\n' : OK));
    const r = await load(s, { rate: 100, connections: 2, durationMs: 200, warmupMs: 0 });
    assert.equal(r.errors, 1);
    assert.equal(r.requests, 19);
  });

  test('rejects a rate, duration or connection count that cannot run', async () => {
    const base = { host: '127.0.0.1', port: 1, authority: 'x', rate: 10, connections: 1, durationMs: 100 };
    await assert.rejects(runOpenLoop({ ...base, rate: 0 }), RangeError);
    await assert.rejects(runOpenLoop({ ...base, connections: 0 }), RangeError);
    await assert.rejects(runOpenLoop({ ...base, durationMs: -1 }), RangeError);
    await assert.rejects(runOpenLoop({ ...base, warmupMs: -1 }), /warmupMs must be ≥ 0/);
  });
});
