// HTTP/2 connections to upstream endpoints on the proxy's own HTTP/2 client (proxy/h2/, ADR 0020):
// one multiplexed connection per endpoint (meshed endpoints: per peer identity, over mTLS to the
// peer proxy), another opened only when the peer's concurrent-stream limit is reached or it said
// GOAWAY.
//
// Contract: pick() returns a connection that can take a stream now (plain TCP: frames queue while
// the socket connects, so a new connection costs no promise turn), or undefined for a meshed
// endpoint whose mTLS connection is still being set up (then await connection()). A connection
// leaves the pool when it closes or receives GOAWAY; close() ends idle ones and stops reuse.
// Connect failures reach the streams as resets carrying the socket's error (ECONNREFUSED,
// ETIMEDOUT after connectTimeoutMs), with `connected` false.

import { connect as netConnect, type Socket } from 'node:net';
import { H2Connection } from '../h2/index.ts';
import type { MeshConnector, MeshTarget } from '../mesh/mesh-connector.ts';
import { ProxyError, upstreamError } from './proxy-error.ts';
import { formatEndpoint } from './stack.ts';

export interface H2Endpoint {
  readonly host: string;
  readonly port: number;
  readonly mesh?: MeshTarget;
}

export interface PooledH2 {
  readonly conn: H2Connection;
  /** The transport was established (TCP connected; TLS handshake done for meshed endpoints). */
  connected: boolean;
}

export interface H2ClientPoolOptions {
  readonly connectTimeoutMs: number;
  readonly mesh?: MeshConnector;
}

export class H2ClientPool {
  readonly #opts: H2ClientPoolOptions;
  readonly #byKey = new Map<string, PooledH2[]>();
  /** Meshed connections being set up, by key: concurrent callers share one. */
  readonly #pending = new Map<string, Promise<PooledH2>>();
  #closed = false;

  constructor(opts: H2ClientPoolOptions) {
    this.#opts = opts;
  }

  /** A connection that can take a stream now, opening a plain one if needed; undefined: await connection(). */
  pick(endpoint: H2Endpoint): PooledH2 | undefined {
    const key = keyOf(endpoint);
    const list = this.#byKey.get(key);
    if (list !== undefined) {
      for (const pooled of list) if (pooled.conn.availableStreams > 0) return pooled;
    }
    if (endpoint.mesh !== undefined) return undefined;
    return this.#add(key, this.#plain(endpoint));
  }

  /** A connection for `endpoint`, waiting for a meshed one's handshake. */
  async connection(endpoint: H2Endpoint): Promise<PooledH2> {
    const ready = this.pick(endpoint);
    if (ready !== undefined) return ready;
    const key = keyOf(endpoint);
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = this.#meshed(endpoint, key).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    const pooled = await pending;
    return pooled.conn.availableStreams > 0 ? pooled : this.connection(endpoint);
  }

  /** Closes idle connections gracefully; connections with streams finish them. */
  close(): void {
    this.#closed = true;
    for (const list of this.#byKey.values()) for (const pooled of list) pooled.conn.close();
    this.#byKey.clear();
  }

  #plain(endpoint: H2Endpoint): H2Connection {
    const socket = netConnect({ host: endpoint.host, port: endpoint.port });
    const timer = setTimeout(() => {
      socket.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }));
    }, this.#opts.connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setKeepAlive(true, 10_000);
    });
    socket.once('close', () => clearTimeout(timer));
    return this.#start(socket);
  }

  async #meshed(endpoint: H2Endpoint, key: string): Promise<PooledH2> {
    const mesh = endpoint.mesh!;
    const connector = this.#opts.mesh;
    const target = `${endpoint.host}:${mesh.inboundPort} (${mesh.identity})`;
    if (connector === undefined) {
      throw new ProxyError('connect-failed', `${target} is meshed but this proxy has no identity for mTLS`);
    }
    // The mTLS connection to the peer proxy is handed over after its handshake and transport header.
    const socket = await connector
      .connected({ host: endpoint.host, port: endpoint.port, mesh }, 'http2', this.#opts.connectTimeoutMs)
      .catch((err: unknown) => {
        throw upstreamError(err, target, false);
      });
    const pooled = this.#add(key, this.#start(socket));
    pooled.connected = true;
    return pooled;
  }

  #start(socket: Socket): H2Connection {
    const conn = new H2Connection(
      socket,
      {
        goaway: () => this.#remove(conn),
        close: () => this.#remove(conn),
      },
      { role: 'client' },
    );
    conn.start();
    // Idle upstream connections never keep the process alive.
    socket.unref();
    return conn;
  }

  #add(key: string, conn: H2Connection): PooledH2 {
    const pooled: PooledH2 = { conn, connected: !conn.socket.connecting };
    if (!pooled.connected) conn.socket.once('connect', () => (pooled.connected = true));
    if (this.#closed || conn.closed) return pooled;
    let list = this.#byKey.get(key);
    if (list === undefined) {
      list = [];
      this.#byKey.set(key, list);
    }
    list.push(pooled);
    this.#keys.set(conn, key);
    return pooled;
  }

  readonly #keys = new WeakMap<H2Connection, string>();

  #remove(conn: H2Connection): void {
    const key = this.#keys.get(conn);
    if (key === undefined) return;
    const list = this.#byKey.get(key);
    if (list === undefined) return;
    const i = list.findIndex((p) => p.conn === conn);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#byKey.delete(key);
  }
}

/**
 * Pool keys of meshed endpoints by endpoint object: discovery hands out the same immutable endpoint
 * for every request to it, so the key is not concatenated and hashed anew per request. Other
 * endpoints may be built per request (inbound: this pod's address and the request's port), so
 * they are not remembered here.
 */
const meshKeys = new WeakMap<H2Endpoint, string>();

function keyOf(endpoint: H2Endpoint): string {
  // `host:port`, never equal to a meshed key (those have `|`); formatEndpoint remembers the last one.
  if (endpoint.mesh === undefined) return formatEndpoint(endpoint);
  let key = meshKeys.get(endpoint);
  if (key === undefined) {
    key = `${endpoint.host}|${endpoint.port}|${endpoint.mesh.identity}`;
    meshKeys.set(endpoint, key);
  }
  return key;
}
