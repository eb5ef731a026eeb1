// Keep-alive HTTP/1.1 connections to upstream endpoints: one pool of idle connections per key
// (an endpoint, or a meshed endpoint reached over mTLS), each connection carrying one exchange at a
// time and parsing its responses with H1ResponseParser.
//
// Contract: acquire() returns an idle connection (most recently used first) or opens a new one;
// only a newly opened connection runs a connect timer, cleared on `connect` (TLS: `secureConnect`).
// The socket's listeners are attached once per connection, not per request. Every failure of the
// connection while an exchange is active is reported to that exchange exactly once (with whether the
// connection had been established); an idle connection that closes, errors or receives data is
// dropped from the pool. Idle sockets are unref'd so they never keep the process alive.
// Plain TCP connections read into the one buffer shared by all reads (transport/shared-read.ts, via
// net.connect's `onread`): no buffer and no stream 'data' event per read. Everything that outlives
// the read is copied — the parser holds copies, body chunks are copied before they go to the
// exchange — since the buffer is overwritten by the next read of any connection.

import { connect as netConnect, type Socket } from 'node:net';
import { H1ResponseParser, type H1ResponseHead, type H1ResponseSink } from './h1-response-parser.ts';
import { SHARED_READ } from '../transport/shared-read.ts';
import { BatchedWriter } from '../transport/write-batch.ts';
import { Buffer } from 'node:buffer';

/** One request/response on a connection, as seen by the connection. */
export interface H1Exchange extends H1ResponseSink {
  /** The connection failed before the response completed. */
  fail(err: Error, connected: boolean): void;
  /** A feed of response bytes has been parsed (a point to flush writes batched from it). */
  flush(): void;
}

const MAX_IDLE_PER_KEY = 256;

export class H1Connection implements H1ResponseSink {
  readonly socket: Socket;
  /** The socket's writes, held to the end of the poll phase under load (transport/write-batch.ts). */
  readonly out: BatchedWriter;
  readonly key: string;
  connected = false;
  readonly #pool: H1Pool;
  readonly #parser: H1ResponseParser;
  #exchange: H1Exchange | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The socket reads into SHARED_READ: body chunks must be copied before they are passed on. */
  readonly #shared: boolean;

  constructor(socket: Socket, key: string, pool: H1Pool, connectTimeoutMs: number, sharedRead = false) {
    this.#shared = sharedRead;
    this.socket = socket;
    this.out = new BatchedWriter(socket);
    this.key = key;
    this.#pool = pool;
    this.#parser = new H1ResponseParser(this);
    // A TLS socket (mTLS to a peer proxy) is connected once its handshake is done.
    const tls = (socket as { encrypted?: boolean }).encrypted === true;
    if (!tls && !socket.connecting) this.connected = true;
    else {
      this.#timer = setTimeout(() => {
        if (!this.connected) socket.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }));
      }, connectTimeoutMs);
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        this.connected = true;
        clearTimeout(this.#timer);
        socket.setKeepAlive(true, 10_000);
      });
    }
    socket.setNoDelay(true);
    // With a shared read buffer the data comes through read(); the listener still keeps the
    // stream flowing, so 'end' is emitted when the upstream closes.
    socket.on('data', (data: Buffer) => this.#onData(data));
    socket.on('end', () => {
      if (this.#exchange !== undefined && this.#parser.end()) return;
      this.#fail(hangUp());
    });
    socket.on('error', (err: Error) => this.#fail(err));
    socket.on('close', () => {
      clearTimeout(this.#timer);
      this.#fail(hangUp());
      this.#pool.forget(this);
    });
  }

  /**
   * Starts an exchange; `noBody` when the request is HEAD; `plainHeads` when the exchange can send
   * a usual response head on as its bytes (H1ResponseHead.plain).
   */
  begin(exchange: H1Exchange, noBody: boolean, plainHeads = true): void {
    this.#exchange = exchange;
    this.#parser.reset(noBody, plainHeads);
  }

  /** The exchange is over: back to the pool when reusable, otherwise closed. */
  finish(reusable: boolean): void {
    this.#exchange = undefined;
    if (reusable && !this.socket.destroyed) this.#pool.release(this);
    else this.socket.destroy();
  }

  /** Abandons the exchange (the client went away) and closes the connection. */
  abort(): void {
    this.#exchange = undefined;
    this.socket.destroy();
  }

  informational(status: number): void {
    this.#exchange?.informational(status);
  }

  head(head: H1ResponseHead): void {
    this.#exchange?.head(head);
  }

  body(chunk: Buffer): void {
    this.#exchange?.body(this.#shared ? Buffer.from(chunk) : chunk);
  }

  /** `n` bytes read into the shared buffer (net.connect's onread callback). */
  read(n: number): void {
    this.#onData(SHARED_READ.subarray(0, n));
  }

  complete(trailers: string[]): void {
    this.#exchange?.complete(trailers);
  }

  #onData(data: Buffer): void {
    const exchange = this.#exchange;
    if (exchange === undefined) {
      // Nothing was asked: an idle connection sending data is broken.
      this.socket.destroy();
      return;
    }
    try {
      this.#parser.feed(data);
      exchange.flush();
    } catch (err) {
      this.#fail(err instanceof Error ? err : new Error(String(err)));
      this.socket.destroy();
    }
  }

  #fail(err: Error): void {
    const exchange = this.#exchange;
    if (exchange === undefined) {
      if (!this.socket.destroyed) this.socket.destroy();
      return;
    }
    this.#exchange = undefined;
    exchange.fail(err, this.connected);
  }
}

export class H1Pool {
  readonly #idle = new Map<string, H1Connection[]>();
  readonly #connectTimeoutMs: number;

  constructor(connectTimeoutMs: number) {
    this.#connectTimeoutMs = connectTimeoutMs;
  }

  /** An idle connection for `key`, or a new one from `open` (default: TCP to host:port). */
  acquire(key: string, host: string, port: number, open?: () => Socket): H1Connection {
    const idle = this.#idle.get(key);
    if (idle !== undefined) {
      for (let conn = idle.pop(); conn !== undefined; conn = idle.pop()) {
        if (conn.socket.destroyed || !conn.socket.writable) continue;
        conn.socket.ref();
        return conn;
      }
    }
    if (open !== undefined) return new H1Connection(open(), key, this, this.#connectTimeoutMs);
    // The callback needs the connection, which needs the socket: the connection is filled in below.
    const target: { conn?: H1Connection } = {};
    const socket = netConnect({
      host,
      port,
      onread: {
        buffer: SHARED_READ,
        callback: (n: number) => {
          target.conn?.read(n);
          return true;
        },
      },
    });
    target.conn = new H1Connection(socket, key, this, this.#connectTimeoutMs, true);
    return target.conn;
  }

  release(conn: H1Connection): void {
    let idle = this.#idle.get(conn.key);
    if (idle === undefined) {
      idle = [];
      this.#idle.set(conn.key, idle);
    }
    if (idle.length >= MAX_IDLE_PER_KEY) {
      conn.socket.destroy();
      return;
    }
    conn.socket.unref();
    idle.push(conn);
  }

  forget(conn: H1Connection): void {
    const idle = this.#idle.get(conn.key);
    if (idle === undefined) return;
    const i = idle.lastIndexOf(conn);
    if (i >= 0) idle.splice(i, 1);
    if (idle.length === 0) this.#idle.delete(conn.key);
  }

  /** Closes every idle connection (connections in use close when their exchange ends). */
  close(): void {
    const all = [...this.#idle.values()].flat();
    this.#idle.clear();
    for (const conn of all) conn.socket.destroy();
  }
}

function hangUp(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}
