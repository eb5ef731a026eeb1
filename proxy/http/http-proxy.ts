// The HTTP side of a listener: an HTTP/1.1 server and an h2c server that detected connections are
// handed to, and the edge of the per-request stack: each request becomes an HttpRequest (stack.ts)
// handed to the listener's service (composed in inbound/http-stack.ts and outbound/http-stack.ts),
// and a failure of the stack becomes the response Linkerd's proxy would synthesize.
//
// Contract: the edge counts request_total / response_total only for requests that failed before
// any attempt reached the endpoint metrics layer (no target, refused, fail-fast), without target
// labels; every attempt is counted by that layer.

import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { H2Connection, H2ConnectionError, h2ErrorName, type H2Stream } from '../h2/index.ts';
import type { HttpMetrics } from '../../src/metrics/index.ts';
import { contextOf, type ConnectionContext } from '../connection.ts';
import { recordResponse, requestLabels } from './endpoint-metrics.ts';
import { ProxyError } from './proxy-error.ts';
import { H1Server, type H1ServerRequest, type H1ServerResponse } from './h1-server/server.ts';
import { H2ServerExchange } from './h2-server-exchange.ts';
import type { Downstream, HttpRequest, HttpService } from './stack.ts';
import { isGrpc, respondH1Error, respondH2Error, synthesize, type SynthesizedError } from './synthesize.ts';
import { performance } from 'node:perf_hooks';

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
  readonly #opts: HttpProxyOptions;
  /** Open HTTP/2 client connections (for drain: GOAWAY). */
  readonly #sessions = new Set<H2Connection>();
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
        request: (req, res) => this.#onH1(req, res),
        upgrade: (req, socket, head) => void this.#onUpgrade(req, socket, head),
        // A request the server refuses (smuggling shapes such as Content-Length with
        // Transfer-Encoding or conflicting lengths, obsolete folding, bare LF, oversized headers, a
        // slow head or body) is answered 400/408/417/431, never forwarded, and counted by its code.
        clientError: (code) => opts.onClientError?.(code),
      },
    );
  }

  /** Hands a detected connection to the matching server. */
  accept(socket: Socket, protocol: 'http1' | 'h2'): void {
    if (protocol === 'http1') {
      this.h1.accept(socket);
      socket.resume();
      return;
    }
    // The proxy's own HTTP/2 server (ADR 0020). It ends a connection whose peer floods it (rapid
    // reset, CONTINUATION, SETTINGS/PING floods) or breaks the protocol with GOAWAY and reports
    // the reason here; a read EOF ends the connection (HTTP/2 has no half-close).
    const conn: H2Connection = new H2Connection(
      socket,
      {
        stream: (stream, fields, endStream) => this.#onH2(conn, stream, fields, endStream),
        close: (err) => {
          this.#sessions.delete(conn);
          if (err instanceof H2ConnectionError) {
            this.#opts.onSessionError?.(h2SessionErrorCode(err), {
              message: err.message,
              remote: socket.remoteAddress,
            });
          }
        },
      },
      { role: 'server', maxConcurrentStreams: 1000, initialWindowSize: 1 << 20, connectionWindowSize: 4 << 20 },
    );
    this.#sessions.add(conn);
    conn.start();
    if (this.#draining) conn.close();
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

  /**
   * Not async (nor #onH2): an async frame per request would live as long as the request, and
   * only a failure needs a continuation.
   */
  #onH1(req: H1ServerRequest, res: H1ServerResponse): void {
    const started = performance.now();
    const grpc = isGrpc(req.headers['content-type']);
    const request = this.#request(contextOf(req.socket), { kind: 'h1', req, res }, req, req.headers, grpc, started);
    if (request instanceof ProxyError) {
      this.#failed(request, respondH1Error(res, request, grpc), grpc, started);
      return;
    }
    const fail = (err: unknown): void => this.#failed(request, respondH1Error(res, err, grpc), grpc, started, err);
    this.#serve(request, fail);
  }

  /** Runs the service on `request`; `fail` handles its rejection (or synchronous throw). */
  #serve(request: HttpRequest, fail: (err: unknown) => void): void {
    let served: Promise<unknown>;
    try {
      served = this.#opts.service(request);
    } catch (err) {
      request.state.syncStartedAt = undefined;
      fail(err);
      return;
    }
    // The stack's synchronous run is over: layers that start later read the clock (stack.ts).
    request.state.syncStartedAt = undefined;
    served.then(undefined, fail);
  }

  async #onUpgrade(req: H1ServerRequest, socket: Duplex, head: Buffer): Promise<void> {
    const started = performance.now();
    const request = this.#request(
      contextOf(req.socket),
      { kind: 'upgrade', req, socket, head },
      req,
      req.headers,
      false,
      undefined,
    );
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

  #onH2(connection: H2Connection, h2Stream: H2Stream, fields: string[], endStream: boolean): void {
    const stream = new H2ServerExchange(connection, h2Stream, fields, endStream);
    const headers = stream.headers;
    const grpc = isGrpc(headers['content-type']);
    const conn = contextOf(connection.socket);
    const started = performance.now();
    const request = this.#request(conn, { kind: 'h2', stream }, undefined, headers, grpc, started);
    if (request instanceof ProxyError) {
      this.#failed(request, respondH2Error(stream, request, grpc), grpc, started);
      return;
    }
    const fail = (err: unknown): void => this.#failed(request, respondH2Error(stream, err, grpc), grpc, started, err);
    this.#serve(request, fail);
  }

  #request(
    conn: ConnectionContext | undefined,
    downstream: Downstream,
    h1: H1ServerRequest | undefined,
    headers: IncomingHttpHeaders,
    grpc: boolean,
    /** When the request arrived, for layers of the stack's synchronous run (RequestState). */
    syncStartedAt: number | undefined,
  ): HttpRequest | ProxyError {
    if (conn === undefined) return new ProxyError('no-target', 'connection has no context');
    let method: string;
    let target: string;
    let authority: string | undefined;
    if (h1 !== undefined) {
      method = h1.method ?? 'GET';
      target = h1.url ?? '/';
      authority = headers.host;
    } else {
      const h2Method = headers[':method'];
      const h2Target = headers[':path'];
      const h2Authority = headers[':authority'];
      method = typeof h2Method === 'string' ? h2Method : 'GET';
      target = typeof h2Target === 'string' ? h2Target : '/';
      authority = typeof h2Authority === 'string' ? h2Authority : headers.host;
    }
    return {
      conn,
      downstream,
      method,
      target,
      authority,
      headers,
      grpc,
      addHeaders: this.#opts.requestHeaders?.(conn),
      dropHeaders: this.#opts.dropRequestHeaders,
      state: { attemptsRecorded: 0, syncStartedAt },
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

/**
 * A stable label for why an HTTP/2 connection was ended: `H2_RAPID_RESET`, `H2_CONTINUATION_FLOOD`,
 * `H2_FLOOD` (SETTINGS or PING floods), otherwise `H2_` and the HTTP/2 error code's name
 * (e.g. `H2_PROTOCOL_ERROR`, `H2_COMPRESSION_ERROR`).
 */
export function h2SessionErrorCode(err: H2ConnectionError): string {
  if (/rapid reset/i.test(err.message)) return 'H2_RAPID_RESET';
  if (/CONTINUATION/.test(err.message)) return 'H2_CONTINUATION_FLOOD';
  if (/flood/i.test(err.message)) return 'H2_FLOOD';
  return `H2_${h2ErrorName(err.h2Code)}`;
}
