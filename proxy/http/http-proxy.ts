// The HTTP side of a listener: an HTTP/1.1 server and an h2c server that detected connections are
// handed to, and the per-request stack: resolve the endpoint, record metrics, forward, and
// synthesize an error at the edge when the proxy itself failed.
//
// Stack per request (outermost first): metrics → error edge → endpoint resolution → forward.

import {
  createServer as createH1Server,
  type IncomingMessage,
  type Server as H1Server,
  type ServerResponse,
} from 'node:http';
import {
  createServer as createH2Server,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { HttpLabels, HttpMetrics } from '../../src/metrics/index.ts';
import { contextOf, type ConnectionContext } from '../connection.ts';
import { classifyDefault } from './classify.ts';
import { H1Pool } from './h1-client.ts';
import { forwardH1, type H1ForwardOptions } from './h1-forward.ts';
import { forwardUpgrade } from './h1-upgrade.ts';
import { forwardH2, H2SessionPool } from './h2-forward.ts';
import type { MeshConnector } from '../mesh/mesh-connector.ts';
import { type MeshEndpoint, type MeshTarget } from '../mesh/mesh-connector.ts';
import { ProxyError } from './proxy-error.ts';
import { isGrpc, respondH1Error, respondH2Error, synthesize } from './synthesize.ts';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
  /** Set for meshed endpoints: reach them over mTLS through their proxy's inbound port. */
  readonly mesh?: MeshTarget;
}

/**
 * Where a request goes: decided per request from the connection, its authority and (ingress mode
 * only) its `l5d-dst-override` header.
 */
export type EndpointResolver = (
  conn: ConnectionContext,
  authority: string | undefined,
  dstOverride: string | undefined,
) => Endpoint | ProxyError | Promise<Endpoint | ProxyError>;

export interface HttpProxyOptions {
  readonly resolve: EndpointResolver;
  readonly metrics: HttpMetrics;
  readonly connectTimeoutMs: number;
  /** Headers added to every forwarded request (inbound: l5d-client-id). */
  readonly requestHeaders?: (conn: ConnectionContext) => Readonly<Record<string, string>> | undefined;
  /** Headers removed from every forwarded request (e.g. client-sent l5d-client-id). */
  readonly dropRequestHeaders?: readonly string[];
  /** Ingress mode: route by `l5d-dst-override` when present (it is stripped either way). */
  readonly honourDstOverride?: boolean;
  /** Opens mTLS connections to meshed endpoints (absent: meshed endpoints are refused). */
  readonly mesh?: MeshConnector;
  /** Inbound authorization: a refusal becomes 403 (gRPC PERMISSION_DENIED) and is not forwarded. */
  readonly authorize?: (conn: ConnectionContext, endpoint: Endpoint) => ProxyError | undefined;
}

export class HttpProxy {
  readonly h1: H1Server;
  readonly h2: Http2Server;
  readonly #opts: HttpProxyOptions;
  /** Keep-alive HTTP/1 connections per endpoint; meshed endpoints' ones opened by the mesh connector. */
  readonly #h1Pool: H1Pool;
  readonly #pool: H2SessionPool;
  readonly #sessions = new Set<ServerHttp2Session>();
  #draining = false;

  constructor(opts: HttpProxyOptions) {
    this.#opts = opts;
    this.#h1Pool = new H1Pool(opts.connectTimeoutMs);
    this.#pool = new H2SessionPool({
      connectTimeoutMs: opts.connectTimeoutMs,
      ...(opts.mesh === undefined ? {} : { mesh: opts.mesh }),
    });
    this.h1 = createH1Server({ keepAliveTimeout: 60_000, requestTimeout: 0, headersTimeout: 30_000 });
    this.h1.on('request', (req: IncomingMessage, res: ServerResponse) => void this.#onH1(req, res));
    this.h1.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => void this.#onH1(req, res));
    this.h1.on(
      'upgrade',
      (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.#onUpgrade(req, socket, head),
    );
    this.h1.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      if (socket.writable && err.code !== 'ECONNRESET')
        socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      else socket.destroy();
    });
    this.h2 = createH2Server({ settings: { initialWindowSize: 1 << 20, maxConcurrentStreams: 1000 } });
    this.h2.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void this.#onH2(stream, headers));
    this.h2.on('session', (session: ServerHttp2Session) => {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
      if (this.#draining) session.close();
      session.on('error', () => undefined);
      session.once('connect', () => session.setLocalWindowSize(4 << 20));
    });
  }

  /** Hands a detected connection to the matching server. */
  accept(socket: Socket | Duplex, protocol: 'http1' | 'h2'): void {
    (protocol === 'h2' ? this.h2 : this.h1).emit('connection', socket);
    socket.resume();
  }

  /**
   * Starts a graceful drain: HTTP/2 clients get GOAWAY (in-flight streams finish), HTTP/1
   * responses carry `connection: close`, and idle keep-alive connections are closed.
   */
  drain(): void {
    this.#draining = true;
    for (const session of this.#sessions) session.close();
    this.h1.closeIdleConnections();
  }

  /** Stops reusing idle upstream connections and closes idle client connections. */
  close(): void {
    this.h1.closeIdleConnections();
    this.#h1Pool.close();
    this.#pool.close();
  }

  async #onH1(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.#draining) res.shouldKeepAlive = false;
    const conn = contextOf(req.socket);
    const started = performance.now();
    const grpc = isGrpc(req.headers['content-type']);
    const authority = req.headers.host;
    const { resolved, labels } = await this.#begin(conn, authority, req.headers['l5d-dst-override']);
    try {
      if (resolved instanceof ProxyError) throw resolved;
      const result = await forwardH1(req, res, resolved, {
        ...this.#h1Upstream(resolved),
        ...this.#headerEdits(conn),
      });
      this.#recordResponse(labels, result.status, result.grpcStatus, started);
    } catch (err) {
      const e = respondH1Error(res, err, grpc);
      this.#recordResponse(labels, e.status, grpc ? String(e.grpcStatus) : undefined, started, errorLabel(err));
    }
  }

  async #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const conn = contextOf(req.socket);
    const started = performance.now();
    const authority = req.headers.host;
    const { resolved, labels } = await this.#begin(conn, authority, req.headers['l5d-dst-override']);
    try {
      if (resolved instanceof ProxyError) throw resolved;
      const mesh = this.#meshEndpoint(resolved);
      const result = await forwardUpgrade(req, socket, head, resolved, {
        ...(mesh === undefined ? {} : { createConnection: () => this.#opts.mesh!.connect(mesh, 'http1') }),
        connectTimeoutMs: this.#opts.connectTimeoutMs,
        ...this.#headerEdits(conn),
      });
      this.#recordResponse(labels, result.status, undefined, started);
    } catch (err) {
      const e = synthesize(err);
      if (socket.writable) {
        socket.end(
          `HTTP/1.1 ${e.status} Proxy Error\r\ncontent-type: text/plain\r\nl5d-proxy-error: ${e.message.replace(/[^\x20-\x7e]/g, ' ')}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
        );
      }
      this.#recordResponse(labels, e.status, undefined, started, errorLabel(err));
    }
  }

  async #onH2(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    const conn = contextOf(stream.session?.socket);
    const started = performance.now();
    const grpc = isGrpc(headers['content-type']);
    const authority = headers[':authority'] ?? headers.host;
    const { resolved, labels } = await this.#begin(conn, authority, headers['l5d-dst-override']);
    try {
      if (resolved instanceof ProxyError) throw resolved;
      const result = await forwardH2(stream, headers, resolved, this.#pool, {
        ...this.#headerEdits(conn),
      });
      this.#recordResponse(labels, result.status, result.grpcStatus, started);
    } catch (err) {
      const e = respondH2Error(stream, err, grpc);
      this.#recordResponse(labels, e.status, grpc ? String(e.grpcStatus) : undefined, started, errorLabel(err));
    }
  }

  #meshEndpoint(endpoint: Endpoint): MeshEndpoint | undefined {
    if (endpoint.mesh === undefined) return undefined;
    if (this.#opts.mesh === undefined) {
      throw new ProxyError(
        'connect-failed',
        `${endpoint.host}:${endpoint.port} is meshed but this proxy has no identity for mTLS`,
      );
    }
    return { host: endpoint.host, port: endpoint.port, mesh: endpoint.mesh };
  }

  /** The pool (and, for a meshed endpoint, its pool key and mTLS connector) for an HTTP/1 request. */
  #h1Upstream(endpoint: Endpoint): Pick<H1ForwardOptions, 'pool' | 'poolKey' | 'connect'> {
    const mesh = this.#meshEndpoint(endpoint);
    if (mesh === undefined) return { pool: this.#h1Pool };
    const connector = this.#opts.mesh!;
    // Every connection under this key is an mTLS connection to the peer proxy carrying HTTP/1.
    return {
      pool: this.#h1Pool,
      poolKey: `mesh|${mesh.host}|${mesh.port}|${mesh.mesh.identity}|${mesh.mesh.inboundPort}`,
      connect: () => connector.connect(mesh, 'http1'),
    };
  }

  /** Resolves the request's endpoint and counts it in request_total. */
  async #begin(
    conn: ConnectionContext | undefined,
    authority: string | undefined,
    override: string | string[] | undefined,
  ): Promise<{ resolved: Endpoint | ProxyError; labels: HttpLabels }> {
    const resolved = await this.#resolve(conn, authority, override);
    const labels = requestLabels(conn, authority, resolved);
    this.#opts.metrics.requestTotal.inc(labels);
    return { resolved, labels };
  }

  /** The request headers this side adds and removes. */
  #headerEdits(conn: ConnectionContext | undefined): {
    addHeaders: Readonly<Record<string, string>> | undefined;
    dropHeaders: readonly string[] | undefined;
  } {
    return {
      addHeaders: conn === undefined ? undefined : this.#opts.requestHeaders?.(conn),
      dropHeaders: this.#opts.dropRequestHeaders,
    };
  }

  #resolve(
    conn: ConnectionContext | undefined,
    authority: string | undefined,
    override: string | string[] | undefined,
  ): Endpoint | ProxyError | Promise<Endpoint | ProxyError> {
    if (conn === undefined) return new ProxyError('no-target', 'connection has no context');
    const dstOverride =
      this.#opts.honourDstOverride === true ? (Array.isArray(override) ? override[0] : override) : undefined;
    const resolved = this.#opts.resolve(conn, authority, dstOverride);
    const authorize = this.#opts.authorize;
    if (authorize === undefined) return resolved;
    const check = (r: Endpoint | ProxyError): Endpoint | ProxyError =>
      r instanceof ProxyError ? r : (authorize(conn, r) ?? r);
    return resolved instanceof Promise ? resolved.then(check) : check(resolved);
  }

  #recordResponse(
    labels: HttpLabels,
    status: number,
    grpcStatus: string | undefined,
    started: number,
    error?: string,
  ): void {
    const m = this.#opts.metrics;
    const withStatus = { ...labels, status_code: String(status) };
    m.responseLatencyMs.observe(withStatus, performance.now() - started);
    m.responseTotal.inc({
      ...withStatus,
      classification: error === undefined ? classifyDefault(status, grpcStatus) : 'failure',
      ...(grpcStatus === undefined ? {} : { grpc_status: grpcStatus }),
      ...(error === undefined ? {} : { error }),
    });
  }
}

function requestLabels(
  conn: ConnectionContext | undefined,
  authority: string | undefined,
  resolved: Endpoint | ProxyError,
): HttpLabels {
  const labels: HttpLabels = { direction: conn?.direction ?? 'unknown', ...conn?.tls };
  if (conn?.direction === 'outbound' && authority !== undefined) labels.authority = authority;
  if (!(resolved instanceof ProxyError)) {
    labels.target_addr = `${resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host}:${resolved.port}`;
    labels.target_ip = resolved.host;
    labels.target_port = String(resolved.port);
  }
  return labels;
}

function errorLabel(err: unknown): string {
  return err instanceof ProxyError ? err.failure : 'unexpected';
}
