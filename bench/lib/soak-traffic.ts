// The soak's own mixed traffic through a proxy's outbound listener, at fixed rates (open loop):
//   http1-keepalive  GET /products and POST /orders on a small pool of kept-alive connections
//   http1-new        the same, each on a new client connection (`Connection: close`)
//   grpc             unary gRPC-shaped calls on one HTTP/2 (h2c) session, replaced every minute
// Every answer is classified: success, an error the route intends (the demo's web app fails
// every fifth order with 503, without `l5d-proxy-error`), or an error by kind (status and proxy
// error, connection error, timeout, grpc-status). A mix with too many requests in flight skips
// sends instead of piling up (counted).
//
// Contract: start() begins sending; stop() stops sending, waits for what is in flight (bounded by
// the request timeout) and closes every connection. Counters are read with result().

import { Agent, request, type IncomingMessage } from 'node:http';
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { summarize, type LatencySummary } from './stats.ts';

export type SoakMix = 'http1-keepalive' | 'http1-new' | 'grpc';
export const SOAK_MIXES: readonly SoakMix[] = ['http1-keepalive', 'http1-new', 'grpc'];

export interface SoakTrafficOptions {
  /** host:port of the outbound listener. */
  readonly via: { readonly host: string; readonly port: number };
  /** Authority of the HTTP service (the demo's web). */
  readonly httpAuthority: string;
  /** Authority of the gRPC service; undefined: no gRPC mix. */
  readonly grpcAuthority: string | undefined;
  /** Requests per second of each mix. */
  readonly rates: Readonly<Record<SoakMix, number>>;
  readonly timeoutMs: number;
  /** Replace the HTTP/2 session this often (session churn). */
  readonly h2SessionMs: number;
  readonly maxInFlight: number;
  /** Called with the replica that answered an HTTP request (the web app's `served_by`). */
  readonly onServed?: (servedBy: string) => void;
  readonly now?: () => number;
}

export interface SoakErrorEvent {
  readonly atS: number;
  readonly mix: SoakMix;
  readonly kind: string;
}

export interface SoakMixResult {
  readonly mix: SoakMix;
  readonly ratePerSecond: number;
  readonly sent: number;
  readonly ok: number;
  /** 503 on POST /orders from the app (the demo route fails every fifth order on purpose). */
  readonly intendedFailures: number;
  readonly errors: number;
  readonly skipped: number;
  readonly latency: LatencySummary;
}

export interface SoakTrafficResult {
  readonly mixes: readonly SoakMixResult[];
  readonly totalRequests: number;
  readonly totalErrors: number;
  /** Error count by "mix: kind". */
  readonly errorsByKind: Readonly<Record<string, number>>;
  /** The first errors with their time from start, to set against churn and rotation. */
  readonly firstErrors: readonly SoakErrorEvent[];
  readonly h2Sessions: number;
}

const GRPC_REQUEST = Buffer.concat([Buffer.from([0, 0, 0, 0, 7, 0x0a, 5]), Buffer.from('hello')]);
const MAX_ERROR_EVENTS = 50;

interface MixState {
  sent: number;
  ok: number;
  intended: number;
  errors: number;
  skipped: number;
  inFlight: number;
  credit: number;
  n: number;
  readonly latencies: number[];
}

export class SoakTraffic {
  readonly #o: SoakTrafficOptions;
  readonly #now: () => number;
  readonly #state = new Map<SoakMix, MixState>();
  readonly #errorsByKind = new Map<string, number>();
  readonly #firstErrors: SoakErrorEvent[] = [];
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 4 });
  #session: ClientHttp2Session | undefined;
  /** Streams open per session, so a retired session is closed only once they are done. */
  readonly #active = new WeakMap<ClientHttp2Session, number>();
  readonly #retiring = new Set<ClientHttp2Session>();
  #sessionSince = 0;
  #sessions = 0;
  #timer: NodeJS.Timeout | undefined;
  #startedAt = 0;
  #idle: (() => void) | undefined;

  constructor(o: SoakTrafficOptions) {
    this.#o = o;
    this.#now = o.now ?? (() => performance.now());
    for (const mix of this.#mixes()) {
      this.#state.set(mix, {
        sent: 0,
        ok: 0,
        intended: 0,
        errors: 0,
        skipped: 0,
        inFlight: 0,
        credit: 0,
        n: 0,
        latencies: [],
      });
    }
  }

  start(): void {
    this.#startedAt = this.#now();
    const tickMs = 100;
    this.#timer = setInterval(() => this.#tick(tickMs), tickMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    const inFlight = (): number => [...this.#state.values()].reduce((a, s) => a + s.inFlight, 0);
    if (inFlight() > 0) {
      await Promise.race([
        new Promise<void>((resolve) => (this.#idle = resolve)),
        new Promise<void>((resolve) => setTimeout(resolve, this.#o.timeoutMs + 1000)),
      ]);
    }
    this.#session?.close();
    this.#session = undefined;
    for (const old of this.#retiring) this.#closeRetired(old);
    this.#agent.destroy();
  }

  result(): SoakTrafficResult {
    const mixes = this.#mixes().map((mix): SoakMixResult => {
      const s = this.#state.get(mix) as MixState;
      return {
        mix,
        ratePerSecond: this.#o.rates[mix],
        sent: s.sent,
        ok: s.ok,
        intendedFailures: s.intended,
        errors: s.errors,
        skipped: s.skipped,
        latency: summarize(s.latencies),
      };
    });
    return {
      mixes,
      totalRequests: mixes.reduce((a, m) => a + m.sent, 0),
      totalErrors: mixes.reduce((a, m) => a + m.errors, 0),
      errorsByKind: Object.fromEntries(this.#errorsByKind),
      firstErrors: [...this.#firstErrors],
      h2Sessions: this.#sessions,
    };
  }

  #mixes(): SoakMix[] {
    return SOAK_MIXES.filter((m) => (m !== 'grpc' || this.#o.grpcAuthority !== undefined) && this.#o.rates[m] > 0);
  }

  #tick(tickMs: number): void {
    for (const mix of this.#mixes()) {
      const s = this.#state.get(mix) as MixState;
      s.credit += (this.#o.rates[mix] * tickMs) / 1000;
      while (s.credit >= 1) {
        s.credit -= 1;
        if (s.inFlight >= this.#o.maxInFlight) {
          s.skipped++;
          continue;
        }
        this.#send(mix, s);
      }
    }
  }

  #send(mix: SoakMix, s: MixState): void {
    s.sent++;
    s.inFlight++;
    const t0 = this.#now();
    let settled = false;
    const done = (outcome: 'ok' | 'intended' | { kind: string }): void => {
      if (settled) return;
      settled = true;
      s.inFlight--;
      s.latencies.push(this.#now() - t0);
      if (outcome === 'ok') s.ok++;
      else if (outcome === 'intended') s.intended++;
      else this.#error(mix, s, outcome.kind);
      if (this.#idle !== undefined && [...this.#state.values()].every((x) => x.inFlight === 0)) this.#idle();
    };
    if (mix === 'grpc') this.#grpc(done);
    else this.#http1(mix === 'http1-new', s.n++ % 4 === 3 ? '/orders' : '/products', done);
  }

  #error(mix: SoakMix, s: MixState, kind: string): void {
    s.errors++;
    const key = `${mix}: ${kind}`;
    this.#errorsByKind.set(key, (this.#errorsByKind.get(key) ?? 0) + 1);
    if (this.#firstErrors.length < MAX_ERROR_EVENTS) {
      this.#firstErrors.push({ atS: Math.round((this.#now() - this.#startedAt) / 100) / 10, mix, kind });
    }
  }

  #http1(fresh: boolean, path: string, done: (o: 'ok' | 'intended' | { kind: string }) => void): void {
    const post = path === '/orders';
    const req = request({
      host: this.#o.via.host,
      port: this.#o.via.port,
      method: post ? 'POST' : 'GET',
      path,
      headers: {
        host: this.#o.httpAuthority,
        ...(fresh ? { connection: 'close' } : {}),
        ...(post ? { 'content-type': 'application/json', 'content-length': '2' } : {}),
      },
      ...(fresh ? { agent: false } : { agent: this.#agent }),
      timeout: this.#o.timeoutMs,
    });
    req.on('timeout', () => {
      done({ kind: 'timeout' });
      req.destroy();
    });
    req.on('error', (err: NodeJS.ErrnoException) => done({ kind: `connection ${err.code ?? err.message}` }));
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err: NodeJS.ErrnoException) => done({ kind: `response ${err.code ?? err.message}` }));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const proxyError = res.headers['l5d-proxy-error'];
        if (status >= 200 && status < 300) {
          this.#served(Buffer.concat(chunks));
          done('ok');
        } else if (post && status === 503 && proxyError === undefined) {
          done('intended');
        } else {
          done({ kind: `${path} ${status}${proxyError === undefined ? '' : ` (${String(proxyError)})`}` });
        }
      });
    });
    req.end(post ? '{}' : undefined);
  }

  #served(body: Buffer): void {
    if (this.#o.onServed === undefined) return;
    try {
      const servedBy = (JSON.parse(body.toString()) as { served_by?: unknown }).served_by;
      if (typeof servedBy === 'string') this.#o.onServed(servedBy);
    } catch {
      // not the web app's JSON: nothing to attribute
    }
  }

  #h2(): ClientHttp2Session {
    const now = this.#now();
    if (this.#session !== undefined && !this.#session.destroyed && now - this.#sessionSince > this.#o.h2SessionMs) {
      // Retire it: no new streams; closed once its streams are done (closing it with streams in
      // flight races their frames, which a real client would not do).
      const old = this.#session;
      this.#session = undefined;
      this.#retiring.add(old);
      if ((this.#active.get(old) ?? 0) === 0) this.#closeRetired(old);
    }
    if (this.#session === undefined || this.#session.destroyed || this.#session.closed) {
      const session = connect(`http://${this.#o.via.host}:${this.#o.via.port}`);
      session.on('error', () => undefined); // each stream reports its own failure
      session.once('close', () => {
        if (this.#session === session) this.#session = undefined;
        this.#retiring.delete(session);
      });
      this.#session = session;
      this.#sessionSince = now;
      this.#sessions++;
    }
    return this.#session;
  }

  #closeRetired(session: ClientHttp2Session): void {
    this.#retiring.delete(session);
    session.close();
  }

  #grpc(done: (o: 'ok' | 'intended' | { kind: string }) => void): void {
    let stream;
    let session: ClientHttp2Session;
    try {
      session = this.#h2();
      stream = session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: '/soak.Echo/Say',
        [constants.HTTP2_HEADER_AUTHORITY]: this.#o.grpcAuthority,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
    } catch (err) {
      done({ kind: `session ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
      return;
    }
    this.#active.set(session, (this.#active.get(session) ?? 0) + 1);
    stream.once('close', () => {
      const left = (this.#active.get(session) ?? 1) - 1;
      this.#active.set(session, left);
      if (left === 0 && this.#retiring.has(session)) this.#closeRetired(session);
    });
    let status = 0;
    let grpcStatus: string | undefined;
    let proxyError: string | undefined;
    stream.setTimeout(this.#o.timeoutMs, () => {
      done({ kind: 'timeout' });
      stream.close(constants.NGHTTP2_CANCEL);
    });
    stream.on('response', (headers) => {
      status = Number(headers[constants.HTTP2_HEADER_STATUS]);
      const g = headers['grpc-status'];
      if (g !== undefined) grpcStatus = String(g); // trailers-only response
      const p = headers['l5d-proxy-error'];
      if (p !== undefined) proxyError = String(p);
    });
    stream.on('trailers', (trailers: IncomingHttpHeaders) => {
      const g = trailers['grpc-status'];
      if (g !== undefined) grpcStatus = String(g);
    });
    stream.on('data', () => undefined);
    stream.on('error', (err: NodeJS.ErrnoException) => done({ kind: `stream ${err.code ?? err.message}` }));
    stream.on('close', () => {
      if (status === 200 && grpcStatus === '0') done('ok');
      else if (status === 0) done({ kind: `stream closed (rst ${stream.rstCode})` });
      else
        done({
          kind: `status ${status} grpc-status ${grpcStatus ?? 'none'}${proxyError === undefined ? '' : ` (${proxyError})`}`,
        });
    });
    stream.end(GRPC_REQUEST);
  }
}
