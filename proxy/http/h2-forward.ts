// Forwarding HTTP/2 streams (and so gRPC) to an endpoint over one multiplexed HTTP/2 session per
// endpoint, with flow control end to end (bodies are streamed with backpressure, never buffered
// beyond what the upstream already sent) and trailers and trailers-only responses passed through
// unchanged.
//
// Contract: H2SessionPool.session(endpoint) returns a connected or connecting session, replacing
// closed ones; close() ends them all. forwardH2 resolves with the response status and grpc-status
// once the client stream is finished (or the response was discarded by the attempt's onHead, see
// stack.ts), or rejects with ProxyError (before the response started the caller synthesizes an
// error; after, the client stream is reset). For gRPC attempts marked peekTrailers (retryable
// routes only, as in Linkerd), onHead is asked once the first message or the trailers arrive, so a
// grpc-status sent in trailers right after the headers is classified before anything reaches the
// client. A response that had fully arrived (the upstream stream closed cleanly) when its head is
// handled goes to the client in one step: head, body and END_STREAM (or trailers) together.

import type { OutgoingHttpHeaders } from 'node:http';
import {
  connect,
  constants as h2,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type IncomingHttpStatusHeader,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Readable, Writable } from 'node:stream';
import { isEmptyBody } from './empty-body.ts';
import { editHeaderRecord } from './header-edit.ts';
import { h2RequestHeaders, h2ResponseFields } from './h2-headers.ts';
import type { ResponseSink } from './response-sink.ts';
import type { MeshConnector, MeshTarget } from '../mesh/mesh-connector.ts';
import { ProxyError, upstreamError } from './proxy-error.ts';
import { formatEndpoint, type EndpointRequest, type HttpOutcome, type ResponseHead } from './stack.ts';

export interface H2Endpoint {
  readonly host: string;
  readonly port: number;
  readonly mesh?: MeshTarget;
}

interface PooledSession {
  readonly session: ClientHttp2Session;
  connected: boolean;
  /** The session's own error (e.g. ECONNREFUSED), which explains its streams' failures. */
  error: Error | undefined;
}

export class H2SessionPool {
  readonly #sessions = new Map<string, Promise<PooledSession>>();
  /** Sessions that have been created, by key, for the synchronous lookup of live(). */
  readonly #created = new Map<string, PooledSession>();
  readonly #connectTimeoutMs: number;
  readonly #mesh: MeshConnector | undefined;

  constructor(opts: { readonly connectTimeoutMs: number; readonly mesh?: MeshConnector }) {
    this.#connectTimeoutMs = opts.connectTimeoutMs;
    this.#mesh = opts.mesh;
  }

  /** The connected, open session for `endpoint`, if there is one (no promise turn); else use session(). */
  live(endpoint: H2Endpoint): PooledSession | undefined {
    const p = this.#created.get(sessionKey(endpoint));
    return p !== undefined && p.connected && !p.session.closed && !p.session.destroyed ? p : undefined;
  }

  /** The session for `endpoint`, reusing a live one; concurrent callers share one connection attempt. */
  session(endpoint: H2Endpoint): Promise<PooledSession> {
    const key = sessionKey(endpoint);
    const existing = this.#sessions.get(key);
    if (existing !== undefined) {
      return existing.then((p) => {
        if (!p.session.closed && !p.session.destroyed) return p;
        if (this.#sessions.get(key) === existing) this.#sessions.delete(key);
        return this.session(endpoint);
      });
    }
    const created = this.#create(endpoint, key);
    this.#sessions.set(key, created);
    created.catch(() => {
      if (this.#sessions.get(key) === created) this.#sessions.delete(key);
    });
    return created;
  }

  async #create(endpoint: H2Endpoint, key: string): Promise<PooledSession> {
    const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
    const mesh = endpoint.mesh;
    const connector = this.#mesh;
    if (mesh !== undefined && connector === undefined) {
      throw new ProxyError(
        'connect-failed',
        `${host}:${endpoint.port} is meshed but this proxy has no identity for mTLS`,
      );
    }
    // Meshed endpoints: one mTLS connection to the peer proxy carrying HTTP/2, handed over only
    // after its handshake and transport header, so the native session owns a quiet socket.
    const tlsSocket =
      mesh === undefined || connector === undefined
        ? undefined
        : await connector
            .connected({ host: endpoint.host, port: endpoint.port, mesh }, 'http2', this.#connectTimeoutMs)
            .catch((err: unknown) => {
              throw upstreamError(err, `${host}:${mesh.inboundPort} (${mesh.identity})`, false);
            });
    const session = connect(`http://${host}:${endpoint.port}`, {
      peerMaxConcurrentStreams: 1000,
      settings: { initialWindowSize: 1 << 20 },
      ...(tlsSocket === undefined ? {} : { createConnection: () => tlsSocket }),
    });
    const pooled: PooledSession = { session, connected: false, error: undefined };
    this.#created.set(key, pooled);
    session.on('error', (err: Error) => {
      pooled.error ??= err; // surfaced on the streams
    });
    const timer = setTimeout(() => {
      if (!pooled.connected) {
        pooled.error = Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' });
        session.destroy(pooled.error);
      }
    }, this.#connectTimeoutMs);
    session.once('connect', () => {
      pooled.connected = true;
      clearTimeout(timer);
      session.setLocalWindowSize(4 << 20);
    });
    session.once('close', () => {
      clearTimeout(timer);
      if (this.#created.get(key) === pooled) this.#created.delete(key);
      const current = this.#sessions.get(key);
      if (current !== undefined) void current.then((p) => p === pooled && this.#sessions.delete(key));
    });
    session.unref();
    return pooled;
  }

  close(): void {
    for (const pending of this.#sessions.values())
      void pending.then(
        (p) => p.session.close(),
        () => undefined,
      );
    this.#sessions.clear();
    this.#created.clear();
  }
}

function sessionKey(endpoint: H2Endpoint): string {
  return `${endpoint.host}|${endpoint.port}|${endpoint.mesh?.identity ?? ''}`;
}

/**
 * Forwards an attempt over HTTP/2 to its endpoint: an HTTP/2 request as it is, or an HTTP/1 request
 * (`body` its request body, or emptyBody()) upgraded to HTTP/2 with `l5d-orig-proto` for a peer proxy.
 */
export function forwardH2(
  attempt: EndpointRequest,
  sink: ResponseSink,
  body: Readable,
  pool: H2SessionPool,
): Promise<HttpOutcome> {
  // A connected session is used at once; only a new or connecting one costs a promise turn.
  const live = pool.live(attempt.endpoint);
  if (live !== undefined) return new H2Forward(attempt, sink, body, live).run();
  return pool.session(attempt.endpoint).then((pooled) => new H2Forward(attempt, sink, body, pooled).run());
}

/** True when `body` will never yield a byte: ended, or a request whose head carried END_STREAM. */
function bodyEnded(body: Readable): boolean {
  if (body.readableEnded) return true;
  // An HTTP/2 request whose HEADERS frame carried END_STREAM (GET, HEAD, …).
  if ((body as Partial<ServerHttp2Stream>).endAfterHeaders === true) return true;
  // An HTTP/1 request without a body (the HTTP/1 server gives it none; the forwarder an emptyBody()).
  return isEmptyBody(body);
}

/**
 * One attempt. Bodies are forwarded with 'data' listeners and pause/resume on backpressure (no
 * pipe(): its per-request listeners and unpipe bookkeeping cost more than the copying), a request
 * without a body goes out as HEADERS with END_STREAM.
 */
class H2Forward {
  readonly #attempt: EndpointRequest;
  readonly #sink: ResponseSink;
  readonly #body: Readable;
  readonly #pooled: PooledSession;
  #upstream: ClientHttp2Stream | undefined;
  #settled = false;
  #committed = false;
  #status = 0;
  #grpcStatus: string | undefined;
  /** The upstream's trailers, once received. */
  #trailers: OutgoingHttpHeaders | undefined;
  #resolve: (r: HttpOutcome) => void = () => undefined;
  #reject: (e: ProxyError) => void = () => undefined;
  #offClose: (() => void) | undefined;
  /** Set while the request body is being forwarded. */
  #requestData: ((chunk: Buffer) => void) | undefined;
  #requestEnd: (() => void) | undefined;
  /** Set while the response body is being forwarded. */
  #responseData: ((chunk: Buffer) => void) | undefined;
  readonly #onAbort = (): void => this.#abort();

  constructor(attempt: EndpointRequest, sink: ResponseSink, body: Readable, pooled: PooledSession) {
    this.#attempt = attempt;
    this.#sink = sink;
    this.#body = attempt.body ?? body;
    this.#pooled = pooled;
  }

  /** host:port of the endpoint, for error messages only. */
  get #target(): string {
    return formatEndpoint(this.#attempt.endpoint);
  }

  run(): Promise<HttpOutcome> {
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      this.#start();
    });
  }

  #start(): void {
    const attempt = this.#attempt;
    const body = this.#body;
    const noBody = bodyEnded(body);
    let upstream: ClientHttp2Stream;
    try {
      upstream = this.#pooled.session.request(h2RequestHeaders(attempt), { endStream: noBody });
    } catch (err) {
      this.#reject(upstreamError(err, this.#target, this.#pooled.connected));
      return;
    }
    this.#upstream = upstream;
    const signal = attempt.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.#abort();
        return;
      }
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    upstream.on('response', (headers: IncomingHttpHeaders & IncomingHttpStatusHeader, flags: number) =>
      this.#onResponse(headers, flags),
    );
    upstream.on('trailers', (t: IncomingHttpHeaders) => {
      this.#trailers = h2ResponseFields(t);
      this.#sink.setTrailers(this.#trailers);
      this.#grpcStatus = single(t['grpc-status']) ?? this.#grpcStatus;
    });
    upstream.on('error', (err: Error) => this.#fail(err));
    upstream.on('close', () => this.#upstreamClosed());
    this.#offClose = this.#sink.onClose(() => this.#clientClosed());
    if (!noBody) this.#forwardRequestBody(body, upstream);
  }

  #forwardRequestBody(body: Readable, upstream: ClientHttp2Stream): void {
    const resume = (): void => {
      if (this.#requestData !== undefined) body.resume();
    };
    this.#requestData = (chunk: Buffer) => {
      if (upstream.destroyed) return;
      if (!upstream.write(chunk)) {
        body.pause();
        upstream.once('drain', resume);
      }
    };
    this.#requestEnd = () => {
      this.#stopRequestBody();
      if (!upstream.destroyed) upstream.end();
    };
    body.on('data', this.#requestData);
    body.once('end', this.#requestEnd);
  }

  /** Stops reading the request body (as unpipe() did): listeners off, the body paused. */
  #stopRequestBody(): void {
    const onData = this.#requestData;
    if (onData === undefined) return;
    this.#requestData = undefined;
    this.#body.removeListener('data', onData);
    if (this.#requestEnd !== undefined) this.#body.removeListener('end', this.#requestEnd);
    this.#requestEnd = undefined;
    if (!this.#body.readableEnded) this.#body.pause();
  }

  #onResponse(headers: IncomingHttpHeaders & IncomingHttpStatusHeader, flags: number): void {
    this.#status = Number(headers[':status'] ?? 502);
    this.#grpcStatus = single(headers['grpc-status']);
    let rest = h2ResponseFields(headers);
    const edits = this.#attempt.responseHeaderEdits;
    if (edits !== undefined) rest = editHeaderRecord(rest, edits);
    const upstream = this.#upstream!;
    // A response with END_STREAM on its HEADERS is complete (gRPC trailers-only responses).
    const endStream = (flags & h2.NGHTTP2_FLAG_END_STREAM) !== 0;
    if (endStream || this.#attempt.peekTrailers !== true || !this.#attempt.grpc) {
      this.#commit(rest, endStream, undefined);
      return;
    }
    // gRPC on a retryable route: wait for the first message or the trailers (Linkerd's
    // PeekTrailersBody), so that a status sent in trailers right after the headers decides the retry.
    // A server that sends its headers and then nothing holds its response head until it does.
    const onData = (chunk: Buffer): void => {
      upstream.pause();
      off();
      this.#commit(rest, false, chunk);
      upstream.resume();
    };
    const onTrailers = (): void => {
      off();
      this.#commit(rest, false, undefined);
    };
    const off = (): void => {
      upstream.removeListener('data', onData);
      upstream.removeListener('trailers', onTrailers);
    };
    upstream.on('data', onData);
    upstream.once('trailers', onTrailers);
  }

  /**
   * Asks onHead, then sends the head to the client and forwards the rest (`first`: a chunk already
   * read); false when discarded.
   */
  #commit(rest: OutgoingHttpHeaders, endStream: boolean, first: Buffer | undefined): boolean {
    this.#attempt.signal?.removeEventListener('abort', this.#onAbort);
    const head: ResponseHead = { status: this.#status, grpcStatus: this.#grpcStatus };
    if (this.#attempt.onHead?.(head) === 'discard') {
      this.#discard();
      return false;
    }
    this.#committed = true;
    const sink = this.#sink;
    if (sink.gone()) return false;
    if (endStream) {
      sink.respond(this.#status, rest, true);
      return true;
    }
    const upstream = this.#upstream!;
    if (first === undefined) {
      // Trailers, if any, came before 'end'.
      if (upstream.readableEnded) {
        sink.respondWhole(this.#status, rest, undefined, this.#trailers);
        return true;
      }
      // gRPC responses always end with trailers (which servers commonly send a turn after the
      // message), so holding the head would buy nothing there.
      if (!this.#attempt.grpc) {
        this.#holdHead(upstream, rest);
        return true;
      }
    }
    sink.respond(this.#status, rest, false);
    this.#forwardResponseBody(upstream, sink.body, first);
    return true;
  }

  /**
   * Holds the head until the end of this turn of the event loop. A small response arrives in one
   * read (HEADERS, DATA, END_STREAM or trailers), and its frames are all processed before the
   * loop's check phase: it then goes out as one response (head, body, END_STREAM on the last DATA
   * frame or trailers), without an empty DATA frame or a wantTrailers round when it has no
   * trailers. A response still arriving then gets its head and is streamed from there on; what
   * was held is at most one read.
   */
  #holdHead(upstream: ClientHttp2Stream, rest: OutgoingHttpHeaders): void {
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    const onData = (chunk: Buffer): void => {
      if (first === undefined) first = chunk;
      else (more ??= [first]).push(chunk);
    };
    const held = (): Buffer | undefined => (more !== undefined ? Buffer.concat(more) : first);
    const onEnd = (): void => {
      clearImmediate(immediate);
      upstream.removeListener('data', onData);
      if (!this.#sink.gone()) this.#sink.respondWhole(this.#status, rest, held(), this.#trailers);
    };
    const flush = (): void => {
      upstream.removeListener('data', onData);
      upstream.removeListener('end', onEnd);
      const sink = this.#sink;
      if (sink.gone()) return;
      sink.respond(this.#status, rest, false);
      this.#forwardResponseBody(upstream, sink.body, held());
    };
    upstream.on('data', onData);
    upstream.once('end', onEnd);
    const immediate = setImmediate(flush);
  }

  #forwardResponseBody(upstream: ClientHttp2Stream, out: Writable, first: Buffer | undefined): void {
    const resume = (): void => {
      if (this.#responseData !== undefined) upstream.resume();
    };
    const onData = (chunk: Buffer): void => {
      if (out.destroyed) return;
      if (!out.write(chunk)) {
        upstream.pause();
        out.once('drain', resume);
      }
    };
    this.#responseData = onData;
    if (first !== undefined) onData(first);
    upstream.on('data', onData);
    upstream.once('end', () => {
      this.#responseData = undefined;
      upstream.removeListener('data', onData);
      if (!out.destroyed) out.end();
    });
  }

  /** Drops the response: the upstream stream is cancelled and the client sees nothing of it. */
  #discard(): void {
    const upstream = this.#upstream!;
    this.#stopRequestBody();
    this.#detach();
    if (!upstream.closed) upstream.close(h2.NGHTTP2_CANCEL);
    this.#settle(() => this.#resolve({ status: this.#status, grpcStatus: this.#grpcStatus, committed: false }));
  }

  #abort(): void {
    if (this.#committed || this.#settled) return;
    const upstream = this.#upstream;
    if (upstream !== undefined) {
      this.#stopRequestBody();
      if (!upstream.closed) upstream.close(h2.NGHTTP2_CANCEL);
    }
    this.#detach();
    const reason: unknown = this.#attempt.signal?.reason;
    this.#settle(() =>
      this.#reject(
        reason instanceof ProxyError
          ? reason
          : new ProxyError('response-timeout', `request to ${this.#target} was cancelled`),
      ),
    );
  }

  // A stream fails before its session reports why; wait a turn and prefer the session's error.
  #fail(err: Error): void {
    setImmediate(() =>
      this.#settle(() => this.#reject(upstreamError(this.#pooled.error ?? err, this.#target, this.#pooled.connected))),
    );
  }

  #upstreamClosed(): void {
    const upstream = this.#upstream!;
    const code = upstream.rstCode;
    if (code === undefined || code === h2.NGHTTP2_NO_ERROR || this.#settled) return;
    if (!this.#committed) {
      this.#fail(
        Object.assign(new Error(`${this.#target} reset the stream (code ${code})`), {
          code: 'ERR_HTTP2_STREAM_RESET',
        }),
      );
    } else this.#sink.reset(code);
  }

  #clientClosed(): void {
    const upstream = this.#upstream!;
    if (!upstream.closed) upstream.close(h2.NGHTTP2_CANCEL);
    this.#stopRequestBody();
    this.#responseData = undefined;
    this.#detach();
    if (this.#committed) {
      this.#settle(() => this.#resolve({ status: this.#status, grpcStatus: this.#grpcStatus, committed: true }));
    } else {
      this.#settle(() =>
        this.#reject(new ProxyError('upstream-reset', `the client cancelled the stream to ${this.#target}`)),
      );
    }
  }

  #detach(): void {
    this.#attempt.signal?.removeEventListener('abort', this.#onAbort);
    this.#offClose?.();
  }

  #settle(fn: () => void): void {
    if (this.#settled) return;
    this.#settled = true;
    fn();
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
