// Forwarding HTTP/2 streams (and so gRPC) to an endpoint over one multiplexed HTTP/2 session per
// endpoint, with flow control end to end (streams are piped, never buffered) and trailers and
// trailers-only responses passed through unchanged.
//
// Contract: H2SessionPool.session(endpoint) returns a connected or connecting session, replacing
// closed ones; close() ends them all. forwardH2 resolves with the response status and grpc-status
// once the client stream is finished (or the response was discarded by the attempt's onHead, see
// stack.ts), or rejects with ProxyError (before the response started the caller synthesizes an
// error; after, the client stream is reset). For gRPC attempts marked peekTrailers (retryable
// routes only, as in Linkerd), onHead is asked once the first message or the trailers arrive, so a
// grpc-status sent in trailers right after the headers is classified before anything reaches the
// client.

import type { OutgoingHttpHeaders } from 'node:http';
import {
  connect,
  constants as h2,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type IncomingHttpStatusHeader,
} from 'node:http2';
import type { Readable } from 'node:stream';
import { editHeaderRecord } from './header-edit.ts';
import { ORIG_PROTO_HEADER, forwardableH1Headers, forwardableH2Headers, h2ResponseHeaders } from './headers.ts';
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
  readonly #connectTimeoutMs: number;
  readonly #mesh: MeshConnector | undefined;

  constructor(opts: { readonly connectTimeoutMs: number; readonly mesh?: MeshConnector }) {
    this.#connectTimeoutMs = opts.connectTimeoutMs;
    this.#mesh = opts.mesh;
  }

  /** The session for `endpoint`, reusing a live one; concurrent callers share one connection attempt. */
  session(endpoint: H2Endpoint): Promise<PooledSession> {
    const key = `${endpoint.host}|${endpoint.port}|${endpoint.mesh?.identity ?? ''}`;
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
  }
}

/**
 * Forwards an attempt over HTTP/2 to its endpoint: an HTTP/2 request as it is, or an HTTP/1 request
 * (`body` its IncomingMessage) upgraded to HTTP/2 with `l5d-orig-proto` for a peer proxy.
 */
export function forwardH2(
  attempt: EndpointRequest,
  sink: ResponseSink,
  body: Readable,
  pool: H2SessionPool,
): Promise<HttpOutcome> {
  const target = formatEndpoint(attempt.endpoint);
  return pool.session(attempt.endpoint).then((pooled) => new H2Forward(attempt, sink, body, pooled, target).run());
}

/** The HTTP/2 request headers of an attempt (an HTTP/1 request gains pseudo-headers and l5d-orig-proto). */
function requestHeaders(attempt: EndpointRequest): OutgoingHttpHeaders {
  let out: OutgoingHttpHeaders;
  if (attempt.downstream.kind === 'h2') out = forwardableH2Headers(attempt.headers);
  else {
    out = forwardableH1Headers(attempt.headers);
    delete out.host;
    out[':method'] = attempt.method;
    out[':scheme'] = 'http';
    out[':path'] = attempt.target;
    if (attempt.authority !== undefined) out[':authority'] = attempt.authority;
    out[ORIG_PROTO_HEADER] = 'HTTP/1.1';
    // The outbound proxy answered 100-continue itself (the peer cannot relay interim responses).
    delete out.expect;
  }
  for (const name of attempt.dropHeaders ?? []) delete out[name];
  Object.assign(out, attempt.addHeaders);
  return out;
}

class H2Forward {
  readonly #attempt: EndpointRequest;
  readonly #sink: ResponseSink;
  readonly #body: Readable;
  readonly #pooled: PooledSession;
  readonly #target: string;
  #upstream: ClientHttp2Stream | undefined;
  #settled = false;
  #committed = false;
  #status = 0;
  #grpcStatus: string | undefined;
  #resolve: (r: HttpOutcome) => void = () => undefined;
  #reject: (e: ProxyError) => void = () => undefined;
  #offClose: (() => void) | undefined;
  readonly #onAbort = (): void => this.#abort();

  constructor(attempt: EndpointRequest, sink: ResponseSink, body: Readable, pooled: PooledSession, target: string) {
    this.#attempt = attempt;
    this.#sink = sink;
    this.#body = attempt.body ?? body;
    this.#pooled = pooled;
    this.#target = target;
  }

  run(): Promise<HttpOutcome> {
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      const attempt = this.#attempt;
      const out = requestHeaders(attempt);
      let upstream: ClientHttp2Stream;
      try {
        upstream = this.#pooled.session.request(out, { endStream: false, waitForTrailers: false });
      } catch (err) {
        reject(upstreamError(err, this.#target, this.#pooled.connected));
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
        this.#sink.setTrailers(h2ResponseHeaders(t));
        this.#grpcStatus = single(t['grpc-status']) ?? this.#grpcStatus;
      });
      upstream.on('error', (err: Error) => this.#fail(err));
      upstream.on('close', () => this.#upstreamClosed());
      this.#offClose = this.#sink.onClose(() => this.#clientClosed());
      // pipe() does not end the upstream for a body whose 'end' was already emitted.
      if (this.#body.readableEnded) upstream.end();
      else this.#body.pipe(upstream);
    });
  }

  #onResponse(headers: IncomingHttpHeaders & IncomingHttpStatusHeader, flags: number): void {
    this.#status = Number(headers[':status'] ?? 502);
    this.#grpcStatus = single(headers['grpc-status']);
    let rest = h2ResponseHeaders(headers);
    delete rest[':status'];
    const edits = this.#attempt.responseHeaderEdits;
    if (edits !== undefined) rest = editHeaderRecord(rest, edits);
    const upstream = this.#upstream!;
    // A response with END_STREAM on its HEADERS is complete (gRPC trailers-only responses).
    const endStream = (flags & h2.NGHTTP2_FLAG_END_STREAM) !== 0;
    if (endStream || this.#attempt.peekTrailers !== true || !this.#attempt.grpc) {
      this.#commit(rest, endStream);
      return;
    }
    // gRPC on a retryable route: wait for the first message or the trailers (Linkerd's
    // PeekTrailersBody), so that a status sent in trailers right after the headers decides the retry.
    // A server that sends its headers and then nothing holds its response head until it does.
    const onData = (chunk: Buffer): void => {
      upstream.pause();
      off();
      if (this.#commit(rest, false, true) && !this.#sink.gone()) this.#sink.body.write(chunk);
      upstream.resume();
    };
    const onTrailers = (): void => {
      off();
      this.#commit(rest, false);
    };
    const off = (): void => {
      upstream.removeListener('data', onData);
      upstream.removeListener('trailers', onTrailers);
    };
    upstream.on('data', onData);
    upstream.once('trailers', onTrailers);
  }

  /** Asks onHead, then sends the head to the client and pipes the rest; false when discarded. */
  #commit(rest: OutgoingHttpHeaders, endStream: boolean, piping = false): boolean {
    this.#attempt.signal?.removeEventListener('abort', this.#onAbort);
    const head: ResponseHead = { status: this.#status, grpcStatus: this.#grpcStatus };
    if (this.#attempt.onHead?.(head) === 'discard') {
      this.#discard();
      return false;
    }
    this.#committed = true;
    const sink = this.#sink;
    if (sink.gone()) return false;
    sink.respond(this.#status, rest, endStream);
    if (endStream) return true;
    const upstream = this.#upstream!;
    if (piping || upstream.readableEnded === false) upstream.pipe(sink.body);
    else sink.body.end();
    return true;
  }

  /** Drops the response: the upstream stream is cancelled and the client sees nothing of it. */
  #discard(): void {
    const upstream = this.#upstream!;
    this.#body.unpipe(upstream);
    this.#detach();
    if (!upstream.closed) upstream.close(h2.NGHTTP2_CANCEL);
    this.#settle(() => this.#resolve({ status: this.#status, grpcStatus: this.#grpcStatus, committed: false }));
  }

  #abort(): void {
    if (this.#committed || this.#settled) return;
    const upstream = this.#upstream;
    if (upstream !== undefined) {
      this.#body.unpipe(upstream);
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
