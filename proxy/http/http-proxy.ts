// The HTTP side of a listener: an HTTP/1.1 server and an h2c server that detected connections are
// handed to, and the edge of the per-request stack: each request becomes an HttpRequest (stack.ts)
// handed to the listener's service (composed in inbound/http-stack.ts and outbound/http-stack.ts),
// and a failure of the stack becomes the response Linkerd's proxy would synthesize.
//
// Contract: the edge counts request_total / response_total only for requests that failed before
// any attempt reached the endpoint metrics layer (no target, refused, fail-fast), without target
// labels; every attempt is counted by that layer.

import {
  createServer as createH2Server,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { HttpMetrics } from '../../src/metrics/index.ts';
import { contextOf, type ConnectionContext } from '../connection.ts';
import { recordResponse, requestLabels } from './endpoint-metrics.ts';
import { ProxyError } from './proxy-error.ts';
import { H1Server, type H1ServerRequest, type H1ServerResponse } from './h1-server/server.ts';
import type { Downstream, HttpRequest, HttpService } from './stack.ts';
import { isGrpc, respondH1Error, respondH2Error, synthesize, type SynthesizedError } from './synthesize.ts';

export type { Endpoint } from './stack.ts';

export interface HttpProxyOptions {
  /** The request stack of this listener. */
  readonly service: HttpService;
  readonly metrics: HttpMetrics;
  /** Headers added to every forwarded request (inbound: l5d-client-id). */
  readonly requestHeaders?: (conn: ConnectionContext) => Readonly<Record<string, string>> | undefined;
  /** Headers removed from every forwarded request (e.g. client-sent l5d-client-id). */
  readonly dropRequestHeaders?: readonly string[];
  /** Called by close(): upstream pools and the like. */
  readonly onClose?: () => void;
  /** A request the HTTP/1 parser refused, by the parser's error code (e.g. HPE_INVALID_TRANSFER_ENCODING). */
  readonly onClientError?: (code: string) => void;
  /** How long a client may take to send an HTTP/1 request head (default 10 s); 408 after. */
  readonly headerReadTimeoutMs?: number;
  /** Header fields an HTTP/1 request may carry (default 100, hyper's limit); 431 above. */
  readonly maxHeaders?: number;
  /** How long an HTTP/1 request body may go without a byte (default 60 s); 408 after. */
  readonly bodyIdleTimeoutMs?: number;
  /** An HTTP/2 session the protocol library ended for abuse or a protocol error, by reason code. */
  readonly onSessionError?: (
    code: string,
    detail: { readonly message: string; readonly remote: string | undefined },
  ) => void;
}

/** How long a drain leaves idle HTTP/1 connections open for requests already on their way. */
const DRAIN_SETTLE_MS = 250;

export class HttpProxy {
  readonly h1: H1Server;
  readonly h2: Http2Server;
  readonly #opts: HttpProxyOptions;
  readonly #sessions = new Set<ServerHttp2Session>();
  #draining = false;
  #drainStartedAt: number | undefined;

  constructor(opts: HttpProxyOptions) {
    this.#opts = opts;
    this.h1 = new H1Server(
      {
        maxHeaders: opts.maxHeaders ?? 100,
        // node:http's default (--max-http-header-size).
        maxHeaderBytes: 16 * 1024,
        headersTimeoutMs: opts.headerReadTimeoutMs ?? 10_000,
        keepAliveTimeoutMs: 60_000,
        bodyIdleTimeoutMs: opts.bodyIdleTimeoutMs ?? 60_000,
      },
      {
        request: (req, res) => void this.#onH1(req, res),
        upgrade: (req, socket, head) => void this.#onUpgrade(req, socket, head),
        // A request the server refuses (smuggling shapes such as Content-Length with
        // Transfer-Encoding or conflicting lengths, obsolete folding, bare LF, oversized headers, a
        // slow head or body) is answered 400/408/417/431, never forwarded, and counted by its code.
        clientError: (code) => opts.onClientError?.(code),
      },
    );
    this.h2 = createH2Server({ settings: { initialWindowSize: 1 << 20, maxConcurrentStreams: 1000 } });
    this.h2.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void this.#onH2(stream, headers));
    this.h2.on('session', (session: ServerHttp2Session) => {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
      if (this.#draining) session.close();
      // nghttp2 ends a session that floods it (rapid reset, CONTINUATION floods, SETTINGS/PING
      // floods it must answer, invalid frames) with GOAWAY; the reason reaches us only here.
      session.on('error', (err: Error) =>
        opts.onSessionError?.(h2SessionErrorCode(err), {
          message: err.message,
          remote: session.socket?.remoteAddress,
        }),
      );
      session.once('connect', () => session.setLocalWindowSize(4 << 20));
    });
  }

  /** Hands a detected connection to the matching server. */
  accept(socket: Socket | Duplex, protocol: 'http1' | 'h2'): void {
    // Listeners accept half-open (opaque TCP needs it), and node:http2 ignores a read EOF: a client
    // that closed its side would keep its session, and every upstream stream it had open, alive
    // until a write failed. HTTP/2 has no half-close at the TCP level, so EOF ends the connection.
    if (protocol === 'h2') socket.once('end', () => socket.destroy());
    if (protocol === 'h2') this.h2.emit('connection', socket);
    else this.h1.accept(socket as Socket);
    socket.resume();
  }

  /**
   * Starts a graceful drain: HTTP/2 clients get GOAWAY (in-flight streams finish), HTTP/1
   * responses carry `connection: close`, and idle keep-alive connections are closed. Called
   * repeatedly while draining; HTTP/1 connections are closed only from DRAIN_SETTLE_MS after the
   * first call, so that a request already on its way on a just-accepted connection (which Node
   * counts as idle until its head is parsed) is served rather than reset.
   */
  drain(): void {
    const now = performance.now();
    this.#drainStartedAt ??= now;
    this.#draining = true;
    this.h1.drain();
    for (const session of this.#sessions) session.close();
    if (now - this.#drainStartedAt >= DRAIN_SETTLE_MS) this.h1.closeIdleConnections();
  }

  /** Stops reusing idle upstream connections and closes idle client connections. */
  close(): void {
    // Stops the deadline sweep and closes idle connections.
    this.h1.close();
    this.#opts.onClose?.();
  }

  async #onH1(req: H1ServerRequest, res: H1ServerResponse): Promise<void> {
    const grpc = isGrpc(req.headers['content-type']);
    const request = this.#request(contextOf(req.socket), { kind: 'h1', req, res }, req, req.headers, grpc);
    if (request instanceof ProxyError) {
      this.#failed(request, respondH1Error(res, request, grpc), grpc, performance.now());
      return;
    }
    const started = performance.now();
    try {
      await this.#opts.service(request);
    } catch (err) {
      this.#failed(request, respondH1Error(res, err, grpc), grpc, started, err);
    }
  }

  async #onUpgrade(req: H1ServerRequest, socket: Duplex, head: Buffer): Promise<void> {
    const request = this.#request(
      contextOf(req.socket),
      { kind: 'upgrade', req, socket, head },
      req,
      req.headers,
      false,
    );
    const started = performance.now();
    try {
      if (request instanceof ProxyError) throw request;
      await this.#opts.service(request);
    } catch (err) {
      const e = synthesize(err);
      if (socket.writable) {
        socket.end(
          `HTTP/1.1 ${e.status} Proxy Error\r\ncontent-type: text/plain\r\nl5d-proxy-error: ${e.message.replace(/[^\x20-\x7e]/g, ' ')}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
        );
      }
      this.#failed(request, e, false, started, err);
    }
  }

  async #onH2(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    const grpc = isGrpc(headers['content-type']);
    const conn = contextOf(stream.session?.socket);
    const request = this.#request(conn, { kind: 'h2', stream }, undefined, headers, grpc);
    const started = performance.now();
    try {
      if (request instanceof ProxyError) throw request;
      await this.#opts.service(request);
    } catch (err) {
      this.#failed(request, respondH2Error(stream, err, grpc), grpc, started, err);
    }
  }

  #request(
    conn: ConnectionContext | undefined,
    downstream: Downstream,
    h1: H1ServerRequest | undefined,
    headers: IncomingHttpHeaders,
    grpc: boolean,
  ): HttpRequest | ProxyError {
    if (conn === undefined) return new ProxyError('no-target', 'connection has no context');
    const h2Target = headers[':path'];
    return {
      conn,
      downstream,
      method: h1 === undefined ? (headers[':method'] ?? 'GET') : (h1.method ?? 'GET'),
      target: h1 === undefined ? (typeof h2Target === 'string' ? h2Target : '/') : (h1.url ?? '/'),
      authority: h1 === undefined ? (headers[':authority'] ?? headers.host) : headers.host,
      headers,
      grpc,
      addHeaders: this.#opts.requestHeaders?.(conn),
      dropHeaders: this.#opts.dropRequestHeaders,
      state: { attemptsRecorded: 0 },
    };
  }

  /** Counts a request that failed before any attempt was counted by the endpoint metrics layer. */
  #failed(
    request: HttpRequest | ProxyError,
    e: SynthesizedError,
    grpc: boolean,
    started: number,
    err: unknown = request,
  ): void {
    if (!(request instanceof ProxyError) && request.state.attemptsRecorded > 0) return;
    const m = this.#opts.metrics;
    const labels = request instanceof ProxyError ? { direction: 'unknown' } : requestLabels(request);
    m.requestTotal.inc(labels);
    recordResponse(m, labels, started, undefined, err, {
      status: e.status,
      grpcStatus: grpc ? String(e.grpcStatus) : undefined,
    });
  }
}

/** A stable label for why nghttp2 ended a session (its messages are the only distinction it gives). */
export function h2SessionErrorCode(err: Error): string {
  if (/flood/i.test(err.message)) return 'H2_FLOOD';
  if (/CONTINUATION/.test(err.message)) return 'H2_CONTINUATION_FLOOD';
  if (/protocol error/i.test(err.message)) return 'H2_PROTOCOL_ERROR';
  const code = (err as NodeJS.ErrnoException).code;
  return code === undefined || code === 'ERR_HTTP2_ERROR' ? 'H2_SESSION_ERROR' : code;
}
