// An open-loop HTTP/1.1 load generator: requests leave on a fixed schedule (one every 1/rate s,
// evenly spaced, whatever the responses do) over a set of keep-alive connections, and each
// request's latency is measured from the time it was scheduled, not the time it was written, so a
// slow response that holds up later requests counts against them too (no coordinated omission).
//
// Contract: runOpenLoop() opens `connections` connections, schedules rate × duration requests
// (GET `path`, Host = `authority`), and resolves once every scheduled request has completed or
// failed, or `drainMs` after the last was scheduled (the rest count as timeouts). A request goes
// out on an idle connection; when none is idle it waits in a FIFO for the next one to free up (its
// clock already running). A response that is not 2xx, a malformed response, or a connection that
// fails mid-request counts as an error (a failed connection is reopened, at most `connections` × 10
// times in a run). Percentiles are exact (nearest rank over every sample), not from a histogram.

import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { H1ResponseParser, type H1ResponseHead, type H1ResponseSink } from '../../../proxy/http/h1-response-parser.ts';
import { round, summarize } from '../stats.ts';
import { GO, STOP } from './ticker.ts';

export interface OpenLoopOptions {
  readonly host: string;
  readonly port: number;
  /** The Host header. */
  readonly authority: string;
  readonly path?: string;
  /** Requests per second, all connections together. */
  readonly rate: number;
  readonly connections: number;
  readonly durationMs: number;
  /**
   * A lead-in at the same rate before `durationMs`, not recorded: the generator's own start (JIT,
   * first connections' buffers) would otherwise show in the tail. Default 500 ms; its lateness
   * takes ~3 s to settle on a 2-vCPU machine (see leadInMs() in pair-latency).
   */
  readonly warmupMs?: number;
  /** How long to wait for outstanding responses after the last request was scheduled. */
  readonly drainMs?: number;
}

export interface OpenLoopResult {
  /** Requests that completed with a 2xx response (after the lead-in). */
  readonly requests: number;
  /** Every 2xx response, the lead-in's included: what the servers' CPU accounting of a run covers. */
  readonly served: number;
  readonly scheduled: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  /** From the scheduled time to the end of the response. */
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly p999: number;
    readonly max: number;
    readonly mean: number;
  };
  /**
   * How late requests were written (write time − scheduled time): the generator's own lateness
   * plus waits for a free connection.
   */
  readonly sendLagMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** From the write to the end of the response (what a closed-loop client would report). */
  readonly serviceMs: { readonly p50: number; readonly p99: number; readonly max: number };
}

const NS_PER_MS = 1e6;

function nowNs(): number {
  return Number(process.hrtime.bigint());
}

class Conn implements H1ResponseSink {
  readonly socket: Socket;
  readonly #gen: Generator;
  readonly #parser: H1ResponseParser;
  /** The slot in flight on this connection, or -1 when idle. */
  slot = -1;
  /** When the request in flight was written. */
  sentNs = 0;
  #status = 0;

  constructor(gen: Generator, socket: Socket) {
    this.#gen = gen;
    this.socket = socket;
    this.#parser = new H1ResponseParser(this);
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => {
      if (this.slot < 0) {
        this.#gen.failed(this, new Error('response bytes while no request was in flight'));
        return;
      }
      try {
        this.#parser.feed(data);
      } catch (err) {
        this.#gen.failed(this, err as Error);
      }
    });
    socket.on('error', (err: Error) => this.#gen.failed(this, err));
    socket.on('close', () => this.#gen.failed(this, new Error('connection closed')));
  }

  send(slot: number, request: Buffer, now: number): void {
    this.slot = slot;
    this.sentNs = now;
    this.#status = 0;
    this.#parser.reset(false);
    this.socket.write(request);
  }

  informational(): void {}

  head(head: H1ResponseHead): void {
    this.#status = head.status;
  }

  body(): void {}

  complete(): void {
    const slot = this.slot;
    this.slot = -1;
    this.#gen.completed(this, slot, this.#status >= 200 && this.#status < 300);
  }
}

class Generator {
  readonly #o: Required<OpenLoopOptions>;
  readonly #request: Buffer;
  /** Every slot of the schedule, the lead-in's included. */
  readonly #count: number;
  /** The first slot that is measured (the ones before are the lead-in). */
  readonly #first: number;
  #startNs = 0;
  readonly #intervalNs: number;
  readonly #latencyMs: Float64Array;
  readonly #lagMs: Float64Array;
  readonly #serviceMs: Float64Array;
  readonly #idle: Conn[] = [];
  readonly #waiting: number[] = [];
  #waitingHead = 0;
  readonly #conns = new Set<Conn>();
  #next = 0;
  #done = 0;
  #ok = 0;
  #served = 0;
  #errors = 0;
  #samples = 0;
  #reopens = 0;
  #lastNs = 0;
  #finished = false;
  readonly #settle: (err?: Error) => void;

  constructor(o: Required<OpenLoopOptions>, settle: (err?: Error) => void) {
    this.#o = o;
    this.#request = Buffer.from(
      `GET ${o.path} HTTP/1.1\r\nHost: ${o.authority}\r\nUser-Agent: nodemesh-open-loop\r\n\r\n`,
    );
    this.#first = Math.round((o.rate * o.warmupMs) / 1000);
    const measured = Math.max(1, Math.round((o.rate * o.durationMs) / 1000));
    this.#count = this.#first + measured;
    this.#intervalNs = 1e9 / o.rate;
    this.#latencyMs = new Float64Array(measured);
    this.#lagMs = new Float64Array(measured);
    this.#serviceMs = new Float64Array(measured);
    this.#settle = settle;
  }

  get count(): number {
    return this.#count;
  }

  get intervalNs(): number {
    return this.#intervalNs;
  }

  /** The schedule starts at `startNs` (slot 0 is due then). */
  start(startNs: number): void {
    this.#startNs = startNs;
  }

  add(conn: Conn): void {
    this.#conns.add(conn);
    this.#idle.push(conn);
  }

  /** Sends every slot that is due by now. */
  tick(): void {
    if (this.#finished || this.#startNs === 0) return;
    const now = nowNs();
    while (this.#next < this.#count && this.#startNs + this.#next * this.#intervalNs <= now) {
      const slot = this.#next++;
      const conn = this.#idle.pop();
      if (conn === undefined) this.#waiting.push(slot);
      else this.#send(conn, slot, now);
    }
  }

  completed(conn: Conn, slot: number, ok: boolean): void {
    const now = nowNs();
    this.#lastNs = now;
    this.#done++;
    if (!ok) this.#errors++;
    else this.#served++;
    if (ok && slot >= this.#first) {
      this.#ok++;
      this.#serviceMs[this.#samples] = (now - conn.sentNs) / NS_PER_MS;
      this.#latencyMs[this.#samples++] = (now - this.#scheduledNs(slot)) / NS_PER_MS;
    }
    this.#free(conn, now);
    this.#checkDone();
  }

  failed(conn: Conn, err: Error): void {
    if (!this.#conns.delete(conn)) return;
    conn.socket.destroy();
    const i = this.#idle.indexOf(conn);
    if (i >= 0) this.#idle.splice(i, 1);
    if (conn.slot >= 0) {
      conn.slot = -1;
      this.#done++;
      this.#errors++;
    }
    if (this.#finished) return;
    if (++this.#reopens > this.#o.connections * 10) {
      this.#finish(new Error(`open-loop: too many failed connections (last: ${err.message})`));
      return;
    }
    const socket = connect(this.#o.port, this.#o.host);
    const next = new Conn(this, socket);
    this.#conns.add(next);
    socket.once('connect', () => this.#free(next, nowNs()));
    this.#checkDone();
  }

  /** Called when the schedule is over: gives outstanding requests `drainMs`. */
  drain(): void {
    this.#checkDone();
    if (this.#finished) return;
    const timer = setTimeout(() => this.#finish(), this.#o.drainMs);
    timer.unref();
  }

  result(): OpenLoopResult {
    const latency = summarize(Array.from(this.#latencyMs.subarray(0, this.#samples)));
    const sent = Math.max(0, this.#next - this.#first);
    const lag = summarize(Array.from(this.#lagMs.subarray(0, sent)));
    const service = summarize(Array.from(this.#serviceMs.subarray(0, this.#samples)));
    const firstNs = this.#scheduledNs(this.#first);
    const seconds = Math.max(this.#o.durationMs / 1000, (this.#lastNs - firstNs) / 1e9);
    const timeouts = this.#count - this.#done;
    return {
      requests: this.#ok,
      served: this.#served,
      scheduled: this.#count - this.#first,
      errors: this.#errors + timeouts,
      timeouts,
      seconds: round(seconds),
      requestsPerSecond: round(this.#ok / seconds, 1),
      latencyMs: {
        p50: latency.p50Ms,
        p90: latency.p90Ms,
        p99: latency.p99Ms,
        p999: latency.p999Ms,
        max: latency.maxMs,
        mean: latency.meanMs,
      },
      sendLagMs: { p50: lag.p50Ms, p99: lag.p99Ms, max: lag.maxMs },
      serviceMs: { p50: service.p50Ms, p99: service.p99Ms, max: service.maxMs },
    };
  }

  close(): void {
    this.#finished = true;
    for (const c of this.#conns) c.socket.destroy();
    this.#conns.clear();
  }

  #scheduledNs(slot: number): number {
    return this.#startNs + slot * this.#intervalNs;
  }

  #send(conn: Conn, slot: number, now: number): void {
    if (slot >= this.#first) this.#lagMs[slot - this.#first] = (now - this.#scheduledNs(slot)) / NS_PER_MS;
    conn.send(slot, this.#request, now);
  }

  #free(conn: Conn, now: number): void {
    if (this.#finished || !this.#conns.has(conn)) return;
    if (this.#waitingHead < this.#waiting.length) {
      const slot = this.#waiting[this.#waitingHead++] ?? 0;
      if (this.#waitingHead === this.#waiting.length) {
        this.#waiting.length = 0;
        this.#waitingHead = 0;
      }
      this.#send(conn, slot, now);
    } else this.#idle.push(conn);
  }

  #checkDone(): void {
    if (!this.#finished && this.#done >= this.#count) this.#finish();
  }

  #finish(err?: Error): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#settle(err);
  }
}

async function openConnection(o: Required<OpenLoopOptions>): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(o.port, o.host);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Runs one open-loop load; see the file's contract. */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const o: Required<OpenLoopOptions> = { path: '/', drainMs: 10_000, warmupMs: 500, ...options };
  if (!(o.rate > 0) || !Number.isInteger(o.connections) || o.connections < 1 || !(o.durationMs > 0))
    throw new RangeError('open-loop: rate and durationMs must be > 0, connections an integer ≥ 1');
  if (!(o.warmupMs >= 0)) throw new RangeError('open-loop: warmupMs must be ≥ 0');
  const sockets = await Promise.all(Array.from({ length: o.connections }, () => openConnection(o)));
  let settle: (err?: Error) => void = () => {};
  const settled = new Promise<void>((resolve, reject) => {
    settle = (err) => (err === undefined ? resolve() : reject(err));
  });
  const gen = new Generator(o, (err) => settle(err));
  for (const s of sockets) gen.add(new Conn(gen, s));
  const control = new Int32Array(new SharedArrayBuffer(8));
  const start = new Float64Array(new SharedArrayBuffer(8));
  const ticker = new Worker(new URL('./ticker.ts', import.meta.url), {
    workerData: { intervalNs: gen.intervalNs, count: gen.count, control, start },
  });
  ticker.on('message', (m: unknown) => {
    if (m !== 'ready') gen.tick();
    else {
      const startNs = nowNs() + 2 * NS_PER_MS;
      gen.start(startNs);
      start[0] = startNs;
      Atomics.store(control, GO, 1);
      Atomics.notify(control, GO);
    }
  });
  ticker.on('error', (err: Error) => settle(err));
  ticker.on('exit', () => {
    gen.tick();
    gen.drain();
  });
  try {
    await settled;
    return gen.result();
  } finally {
    Atomics.store(control, STOP, 1);
    Atomics.notify(control, STOP);
    gen.close();
    await ticker.terminate();
  }
}
