// Forwarding HTTP/2 streams (and so gRPC) to an endpoint over one multiplexed HTTP/2 session per
// endpoint, with flow control end to end (streams are piped, never buffered) and trailers and
// trailers-only responses passed through unchanged.
//
// Contract: H2SessionPool.session(endpoint) returns a connected or connecting session, replacing
// closed ones; close() ends them all. forwardH2 resolves with the response status and grpc-status
// once the client stream is finished, or rejects with ProxyError (before the response started the
// caller synthesizes an error; after, the client stream is reset).

import {
  connect,
  constants as h2,
  type ClientHttp2Session,
  type IncomingHttpHeaders,
  type IncomingHttpStatusHeader,
  type ServerHttp2Stream,
} from 'node:http2';
import { forwardableH2Headers, h2ResponseHeaders } from './headers.ts';
import type { MeshConnector, MeshTarget } from '../mesh/mesh-connector.ts';
import { ProxyError, upstreamError } from './proxy-error.ts';

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

export interface H2Result {
  readonly status: number;
  readonly grpcStatus: string | undefined;
}

export interface H2ForwardOptions {
  readonly addHeaders?: Readonly<Record<string, string>>;
  readonly dropHeaders?: readonly string[];
}

export function forwardH2(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  endpoint: H2Endpoint,
  pool: H2SessionPool,
  opts: H2ForwardOptions = {},
): Promise<H2Result> {
  const target = `${endpoint.host}:${endpoint.port}`;
  return pool.session(endpoint).then((pooled) => streamOver(pooled, stream, headers, target, opts));
}

function streamOver(
  pooled: PooledSession,
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  target: string,
  opts: H2ForwardOptions,
): Promise<H2Result> {
  return new Promise((resolve, reject) => {
    const out = forwardableH2Headers(headers);
    for (const name of opts.dropHeaders ?? []) delete out[name];
    Object.assign(out, opts.addHeaders);
    let settled = false;
    let status = 0;
    let grpcStatus: string | undefined;
    const settle = (fn: () => void): void => {
      if (!settled) {
        settled = true;
        fn();
      }
    };
    let upstream: ReturnType<ClientHttp2Session['request']>;
    try {
      upstream = pooled.session.request(out, { endStream: false, waitForTrailers: false });
    } catch (err) {
      reject(upstreamError(err, target, pooled.connected));
      return;
    }
    upstream.on('response', (resHeaders: IncomingHttpHeaders & IncomingHttpStatusHeader, flags: number) => {
      status = Number(resHeaders[':status'] ?? 502);
      const rest = h2ResponseHeaders(resHeaders);
      delete rest[':status'];
      grpcStatus = single(resHeaders['grpc-status']);
      if (stream.destroyed) return;
      // A response with END_STREAM on its HEADERS is complete (gRPC trailers-only errors).
      if ((flags & h2.NGHTTP2_FLAG_END_STREAM) !== 0) {
        stream.respond({ ':status': status, ...rest }, { endStream: true });
        return;
      }
      stream.respond({ ':status': status, ...rest }, { waitForTrailers: true });
      upstream.pipe(stream);
    });
    let trailers: Record<string, string | string[] | undefined> | undefined;
    upstream.on('trailers', (t: IncomingHttpHeaders) => {
      trailers = h2ResponseHeaders(t) as Record<string, string | string[] | undefined>;
      grpcStatus = single(t['grpc-status']) ?? grpcStatus;
    });
    stream.on('wantTrailers', () => {
      // Without upstream trailers, an empty trailing HEADERS frame ends the stream cleanly
      // (close() would reset it with NO_ERROR instead of END_STREAM, which clients count as failed).
      stream.sendTrailers(trailers ?? {});
    });
    // A stream fails before its session reports why; wait a turn and prefer the session's error.
    const fail = (err: Error): void =>
      void setImmediate(() => settle(() => reject(upstreamError(pooled.error ?? err, target, pooled.connected))));
    upstream.on('error', fail);
    upstream.on('close', () => {
      if (upstream.rstCode !== undefined && upstream.rstCode !== h2.NGHTTP2_NO_ERROR && status === 0) {
        fail(
          Object.assign(new Error(`${target} reset the stream (code ${upstream.rstCode})`), {
            code: 'ERR_HTTP2_STREAM_RESET',
          }),
        );
      } else if (upstream.rstCode !== undefined && upstream.rstCode !== h2.NGHTTP2_NO_ERROR && !stream.closed) {
        stream.close(upstream.rstCode);
      }
    });
    stream.on('close', () => {
      if (!upstream.closed) upstream.close(h2.NGHTTP2_CANCEL);
      if (status !== 0) settle(() => resolve({ status, grpcStatus }));
      else settle(() => reject(new ProxyError('upstream-reset', `the client cancelled the stream to ${target}`)));
    });
    stream.pipe(upstream);
  });
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
