// Forwarding one HTTP/1.1 request to an endpoint over a pooled keep-alive connection (h1-client.ts),
// streaming both bodies without buffering them, passing 100-continue and trailers through.
//
// Contract: forwardH1 resolves with the response status once the response has been fully written
// to the client, or rejects with ProxyError when the upstream failed (before the response started,
// the caller synthesizes an error; after, the client connection is closed). Never buffers a body:
// reads pause on either side while the other side's writes are backed up. The request head goes out
// as one write; a response that arrives in one read goes to the client as one write.

import { validateHeaderValue, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { HOP_BY_HOP, forwardableH1Headers } from './headers.ts';
import type { H1Connection, H1Exchange, H1Pool } from './h1-client.ts';
import type { H1ResponseHead } from './h1-response-parser.ts';
import { ProxyError, upstreamError } from './proxy-error.ts';

export interface H1Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface H1ForwardOptions {
  readonly pool: H1Pool;
  /** Pool key of the endpoint (defaults to host:port). */
  readonly poolKey?: string;
  /** Opens a new connection to the endpoint (default: TCP to host:port); e.g. mTLS to a peer proxy. */
  readonly connect?: () => Socket;
  /** Extra request headers (e.g. l5d-client-id on inbound). */
  readonly addHeaders?: Readonly<Record<string, string>> | undefined;
  /** Request headers to drop (e.g. a client-sent l5d-client-id). */
  readonly dropHeaders?: readonly string[] | undefined;
}

export interface H1Result {
  readonly status: number;
  readonly grpcStatus: string | undefined;
}

/** Methods for which a request without a framed body is sent chunked, as node:http's client does. */
const CHUNKED_BY_DEFAULT = new Set(['POST', 'PUT', 'PATCH']);

export function forwardH1(
  req: IncomingMessage,
  res: ServerResponse,
  endpoint: H1Endpoint,
  opts: H1ForwardOptions,
): Promise<H1Result> {
  const target = `${endpoint.host}:${endpoint.port}`;
  return new Promise((resolve, reject) => {
    const request = requestHead(req, opts);
    let conn: H1Connection;
    try {
      conn = opts.pool.acquire(opts.poolKey ?? target, endpoint.host, endpoint.port, opts.connect);
    } catch (err) {
      reject(upstreamError(err, target, false));
      return;
    }
    new Forward(req, res, conn, target, resolve, reject).start(request);
  });
}

interface RequestHead {
  readonly head: string;
  readonly mode: BodyMode;
  readonly noResponseBody: boolean;
}

/** The request head for the upstream as one string, and how its body is framed. */
function requestHead(req: IncomingMessage, opts: H1ForwardOptions): RequestHead {
  const headers = forwardableH1Headers(req.headers);
  if (opts.dropHeaders !== undefined) for (const name of opts.dropHeaders) delete headers[name];
  if (opts.addHeaders !== undefined) {
    for (const [name, value] of Object.entries(opts.addHeaders)) validateHeaderValue(name, value);
    Object.assign(headers, opts.addHeaders);
  }
  const method = req.method ?? 'GET';
  let mode: BodyMode;
  if (headers['content-length'] !== undefined) mode = 'length';
  else if (req.headers['transfer-encoding'] !== undefined || CHUNKED_BY_DEFAULT.has(method)) mode = 'chunked';
  else mode = 'none';
  let head = `${method} ${req.url ?? '/'} HTTP/1.1\r\n`;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) head += `${name}: ${v}\r\n`;
    else head += `${name}: ${String(value)}\r\n`;
  }
  head += mode === 'chunked' ? 'transfer-encoding: chunked\r\n\r\n' : '\r\n';
  return { head, mode, noResponseBody: method === 'HEAD' };
}

type BodyMode = 'none' | 'length' | 'chunked';

class Forward implements H1Exchange {
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #conn: H1Connection;
  readonly #target: string;
  readonly #resolve: (r: H1Result) => void;
  readonly #reject: (e: ProxyError) => void;
  #settled = false;
  #headReceived = false;
  readonly #onDrain = (): void => void this.#req.resume();
  #requestDone = false;
  #responseDone = false;
  #keepAlive = false;
  #status = 502;
  #grpcStatus: string | undefined;
  /** The last body chunk of the current read, held back so the final one can go out with end(). */
  #pending: Buffer | undefined;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    conn: H1Connection,
    target: string,
    resolve: (r: H1Result) => void,
    reject: (e: ProxyError) => void,
  ) {
    this.#req = req;
    this.#res = res;
    this.#conn = conn;
    this.#target = target;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  start({ head, mode, noResponseBody }: RequestHead): void {
    const req = this.#req;
    this.#conn.begin(this, noResponseBody);
    this.#res.once('close', () => {
      if (!this.#settled && !this.#res.writableFinished) {
        this.#conn.abort();
        this.#settle(
          upstreamError(
            Object.assign(new Error('client went away'), { code: 'ECONNRESET' }),
            this.#target,
            this.#conn.connected,
          ),
        );
      }
    });
    const socket = this.#conn.socket;
    socket.write(head, 'latin1');
    if (mode === 'none') {
      this.#requestDone = true;
      return;
    }
    req.on('data', (chunk: Buffer) => {
      if (this.#responseDone || socket.destroyed) return;
      let ok: boolean;
      if (mode === 'chunked') {
        if (chunk.length === 0) return;
        socket.cork();
        socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
        socket.write(chunk);
        ok = socket.write('\r\n', 'latin1');
        socket.uncork();
      } else ok = socket.write(chunk);
      if (!ok) {
        req.pause();
        socket.once('drain', this.#onDrain);
      }
    });
    req.once('end', () => {
      if (this.#responseDone) return;
      if (mode === 'chunked' && !socket.destroyed) socket.write('0\r\n\r\n', 'latin1');
      this.#requestDone = true;
    });
  }

  informational(status: number): void {
    if (status === 100) this.#res.writeContinue();
    else this.#res.writeProcessing();
  }

  head(head: H1ResponseHead): void {
    this.#headReceived = true;
    this.#status = head.status;
    this.#grpcStatus = head.grpcStatus;
    this.#keepAlive = head.http10 ? head.connection.has('keep-alive') : !head.connection.has('close');
    const raw = head.raw;
    const out: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const lower = raw[i]!.toLowerCase();
      if (HOP_BY_HOP.has(lower) || head.connection.has(lower)) continue;
      out.push(raw[i]!, raw[i + 1]!);
    }
    this.#res.writeHead(head.status, head.reason, out);
  }

  body(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.#pending !== undefined) this.#write(this.#pending);
    this.#pending = chunk;
  }

  flush(): void {
    if (this.#pending === undefined) return;
    const chunk = this.#pending;
    this.#pending = undefined;
    this.#write(chunk);
  }

  complete(trailers: string[]): void {
    const res = this.#res;
    this.#responseDone = true;
    if (trailers.length > 0) {
      const list: [string, string][] = [];
      for (let i = 0; i < trailers.length; i += 2) {
        const name = trailers[i]!;
        const value = trailers[i + 1]!;
        list.push([name, value]);
        if (this.#grpcStatus === undefined && name.toLowerCase() === 'grpc-status') this.#grpcStatus = value;
      }
      res.addTrailers(list);
    }
    const last = this.#pending;
    this.#pending = undefined;
    if (last === undefined) res.end();
    else res.end(last);
    const socket = this.#conn.socket;
    if (socket.isPaused()) socket.resume();
    socket.removeListener('drain', this.#onDrain);
    this.#conn.finish(this.#keepAlive && this.#requestDone);
    if (!this.#requestDone) this.#req.resume();
    this.#settled = true;
    this.#resolve({ status: this.#status, grpcStatus: this.#grpcStatus });
  }

  fail(err: Error, connected: boolean): void {
    this.#pending = undefined;
    if (this.#headReceived) {
      this.#settle(new ProxyError('upstream-reset', `${this.#target} aborted the response mid-stream`, { cause: err }));
    } else this.#settle(upstreamError(err, this.#target, connected));
  }

  #write(chunk: Buffer): void {
    if (!this.#res.write(chunk)) {
      const socket = this.#conn.socket;
      socket.pause();
      this.#res.once('drain', () => {
        if (!this.#responseDone) socket.resume();
      });
    }
  }

  #settle(err: ProxyError): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#responseDone = true;
    this.#reject(err);
  }
}
