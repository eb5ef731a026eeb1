// Forwarding one HTTP/1.1 request to an endpoint over a pooled keep-alive connection (h1-client.ts),
// streaming both bodies without buffering them, passing 100-continue and trailers through.
//
// Contract: forwardH1 resolves with the response status once the response has been fully written
// to the client (or discarded by the attempt's onHead, see stack.ts), or rejects with ProxyError
// when the upstream failed or the attempt's signal was aborted before the response head (before the
// response started, the caller synthesizes an error; after, the client connection is closed). Never
// buffers a body: reads pause on either side while the other side's writes are backed up. The
// request head goes out as one write; a response that arrives in one read goes to the client as one
// write.

import type { OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { H1ServerResponse } from './h1-server/server.ts';
import type { H2ServerExchange } from './h2-server-exchange.ts';
import { editRawHeaders, type HeaderEdit } from './header-edit.ts';
import { HOP_BY_HOP, connectionTokens, forwardableH1Headers, keepsTeTrailers } from './headers.ts';
import { h1HeadFromH2 } from './h2-headers.ts';
import type { H1Connection, H1Exchange, H1Pool } from './h1-client.ts';
import type { H1ResponseHead } from './h1-response-parser.ts';
import { nodeHttp } from '../../src/net/index.ts';
import { ProxyError, upstreamError } from './proxy-error.ts';
import {
  formatEndpoint,
  type EndpointRequest,
  type HeadVerdict,
  type HttpOutcome,
  type ResponseHead,
} from './stack.ts';

export interface H1ForwardOptions {
  readonly pool: H1Pool;
  /** Pool key of the endpoint (defaults to host:port). */
  readonly poolKey?: string;
  /** Opens a new connection to the endpoint (default: TCP to host:port); e.g. mTLS to a peer proxy. */
  readonly connect?: () => Socket;
}

/** Methods for which a request without a framed body is sent chunked, as node:http's client does. */
const CHUNKED_BY_DEFAULT = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Forwards an attempt over HTTP/1.1: from an HTTP/1 client (`body` its request body, undefined when it
 * has none), or from an HTTP/2 stream carrying an HTTP/1 request between proxies (`l5d-orig-proto`,
 * `body` the stream).
 */
export function forwardH1(
  attempt: EndpointRequest,
  body: Readable | undefined,
  writer: ClientWriter,
  opts: H1ForwardOptions,
): Promise<HttpOutcome> {
  const endpoint = attempt.endpoint;
  const target = formatEndpoint(endpoint);
  return new Promise((resolve, reject) => {
    const request = requestHead(attempt);
    let conn: H1Connection;
    try {
      conn = opts.pool.acquire(opts.poolKey ?? target, endpoint.host, endpoint.port, opts.connect);
    } catch (err) {
      reject(upstreamError(err, target, false));
      return;
    }
    new Forward(attempt.body ?? body, writer, conn, target, attempt.onHead, resolve, reject).start(
      request,
      attempt.signal,
      attempt.responseHeaderEdits,
    );
  });
}

interface RequestHead {
  /** Text, or the client's own bytes (H1ServerRequest.rawHead). */
  readonly head: string | Buffer;
  readonly mode: BodyMode;
  readonly noResponseBody: boolean;
}

/** The request head for the upstream as one string, and how its body is framed. */
function requestHead(attempt: EndpointRequest): RequestHead {
  const down = attempt.downstream;
  const fromH2 = down.kind === 'h2';
  if (!fromH2 && attempt.addHeaders === undefined) return rawRequestHead(attempt) ?? plainRequestHead(attempt);
  if (fromH2) {
    // From a peer proxy (every meshed inbound request): one pass, no header object.
    const add = attempt.addHeaders;
    if (add !== undefined) for (const name in add) nodeHttp.validateHeaderValue(name, add[name]!);
    const { head, hasLength } = h1HeadFromH2(
      attempt.method,
      attempt.target,
      attempt.authority,
      attempt.headers,
      attempt.dropHeaders,
      add,
    );
    const mode: BodyMode = hasLength ? 'length' : down.stream.endAfterHeaders ? 'none' : 'chunked';
    return {
      head: head + (mode === 'chunked' ? 'transfer-encoding: chunked\r\n\r\n' : '\r\n'),
      mode,
      noResponseBody: attempt.method === 'HEAD',
    };
  }
  // HTTP/1 with headers to add.
  const headers = forwardableH1Headers(attempt.headers);
  if (attempt.dropHeaders !== undefined) for (const name of attempt.dropHeaders) delete headers[name];
  if (attempt.addHeaders !== undefined) {
    for (const [name, value] of Object.entries(attempt.addHeaders)) nodeHttp.validateHeaderValue(name, value);
    Object.assign(headers, attempt.addHeaders);
  }
  const method = attempt.method;
  let mode: BodyMode;
  if (headers['content-length'] !== undefined) mode = 'length';
  else if (attempt.headers['transfer-encoding'] !== undefined || CHUNKED_BY_DEFAULT.has(method)) mode = 'chunked';
  else mode = 'none';
  let head = `${method} ${attempt.target} HTTP/1.1\r\n`;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) head += `${name}: ${v}\r\n`;
    else head += `${name}: ${String(value)}\r\n`;
  }
  head += mode === 'chunked' ? 'transfer-encoding: chunked\r\n\r\n' : '\r\n';
  return { head, mode, noResponseBody: method === 'HEAD' };
}

/**
 * The client's head as it came, when forwarding it changes nothing: the request is the one the
 * client sent (no layer replaced its target, method or headers), its head holds nothing hop-by-hop
 * (H1ServerRequest.rawHead), no field is to be dropped, and its body needs no framing added.
 */
function rawRequestHead(attempt: EndpointRequest): RequestHead | undefined {
  const down = attempt.downstream;
  if (down.kind !== 'h1') return undefined;
  const req = down.req;
  const raw = req.rawHead;
  const headers = attempt.headers;
  if (raw === undefined || headers !== req.headers || attempt.target !== req.url || attempt.method !== req.method) {
    return undefined;
  }
  const drop = attempt.dropHeaders;
  if (drop !== undefined) for (const name of drop) if (headers[name] !== undefined) return undefined;
  const hasLength = headers['content-length'] !== undefined;
  if (!hasLength && CHUNKED_BY_DEFAULT.has(attempt.method)) return undefined;
  return { head: raw, mode: hasLength ? 'length' : 'none', noResponseBody: attempt.method === 'HEAD' };
}

/**
 * requestHead of an HTTP/1 request with no headers to add (every outbound one): the same head in
 * one pass over the request's headers, without the intermediate header object.
 */
function plainRequestHead(attempt: EndpointRequest): RequestHead {
  const headers = attempt.headers;
  const connection = headers.connection;
  const named = connection === undefined ? undefined : connectionTokens(connection);
  const drop = attempt.dropHeaders;
  const method = attempt.method;
  let hasLength = false;
  let head = `${method} ${attempt.target} HTTP/1.1\r\n`;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || named?.has(name) === true || drop?.includes(name) === true) {
      continue;
    }
    if (name === 'content-length') hasLength = true;
    if (Array.isArray(value)) for (const v of value) head += `${name}: ${v}\r\n`;
    else head += `${name}: ${value}\r\n`;
  }
  // te: trailers goes last, as in forwardableH1Headers.
  if (keepsTeTrailers(headers.te) && drop?.includes('te') !== true) head += 'te: trailers\r\n';
  let mode: BodyMode;
  if (hasLength) mode = 'length';
  else if (headers['transfer-encoding'] !== undefined || CHUNKED_BY_DEFAULT.has(method)) mode = 'chunked';
  else mode = 'none';
  head += mode === 'chunked' ? 'transfer-encoding: chunked\r\n\r\n' : '\r\n';
  return { head, mode, noResponseBody: method === 'HEAD' };
}

type BodyMode = 'none' | 'length' | 'chunked';

/** The client side of an HTTP/1 exchange: an HTTP/1 response, or an HTTP/2 stream (from a peer proxy). */
export interface ClientWriter {
  informational(status: number): void;
  head(status: number, reason: string, raw: readonly string[]): void;
  /**
   * The head as an HTTP/1.1 upstream sent it (H1ResponseHead.plain), for a writer that can send it
   * unchanged; `hasLength`: it holds the Content-Length framing the body. Absent: head() is used.
   */
  headBytes?(status: number, head: Buffer, hasLength: boolean): void;
  /** false: wait for onDrain before writing more. */
  write(chunk: Buffer): boolean;
  onDrain(fn: () => void): void;
  end(last: Buffer | undefined, trailers: readonly [string, string][]): void;
  finished(): boolean;
  /** Calls `fn` once when the client side closes (finished or gone); offClose(fn) takes it back. */
  onClose(fn: () => void): void;
  offClose(fn: () => void): void;
}

export function h1Writer(res: H1ServerResponse): ClientWriter {
  return new H1Writer(res);
}

/** A class rather than an object literal: one allocation per request, not one per method. */
class H1Writer implements ClientWriter {
  readonly #res: H1ServerResponse;

  constructor(res: H1ServerResponse) {
    this.#res = res;
  }

  informational(status: number): void {
    if (status === 100) this.#res.writeContinue();
    else this.#res.writeProcessing();
  }

  head(status: number, reason: string, raw: readonly string[]): void {
    this.#res.writeHead(status, reason, raw);
  }

  headBytes(status: number, head: Buffer, hasLength: boolean): void {
    this.#res.writeHeadBytes(status, head, hasLength);
  }

  write(chunk: Buffer): boolean {
    return this.#res.write(chunk);
  }

  onDrain(fn: () => void): void {
    this.#res.once('drain', fn);
  }

  end(last: Buffer | undefined, trailers: readonly [string, string][]): void {
    if (trailers.length > 0) this.#res.addTrailers(trailers);
    if (last === undefined) this.#res.end();
    else this.#res.end(last);
  }

  finished(): boolean {
    return this.#res.writableFinished;
  }

  onClose(fn: () => void): void {
    this.#res.onClose(fn);
  }

  offClose(fn: () => void): void {
    this.#res.offClose(fn);
  }
}

/** Writes an HTTP/1 response to an HTTP/2 stream (hop-by-hop fields were removed by the caller). */
export function h2Writer(stream: H2ServerExchange): ClientWriter {
  let off: (() => void) | undefined;
  return {
    informational() {
      // Interim responses are not relayed to an HTTP/2 peer.
    },
    head(status, _reason, raw) {
      const headers: OutgoingHttpHeaders = {};
      for (let i = 0; i < raw.length; i += 2) {
        const name = raw[i]!.toLowerCase();
        const value = raw[i + 1]!;
        const prior = headers[name];
        if (prior === undefined) headers[name] = value;
        else headers[name] = Array.isArray(prior) ? [...prior, value] : [String(prior), value];
      }
      stream.respond(status, headers, false);
    },
    write: (chunk) => stream.write(chunk),
    onDrain(fn) {
      stream.onDrain(fn);
    },
    end(last, list) {
      let trailers: OutgoingHttpHeaders | undefined;
      if (list.length > 0) {
        trailers = {};
        for (const [name, value] of list) trailers[name.toLowerCase()] = value;
      }
      stream.end(last, trailers);
    },
    finished: () => stream.finished,
    onClose(fn) {
      off = stream.onClose(fn);
    },
    offClose() {
      off?.();
      off = undefined;
    },
  };
}

class Forward implements H1Exchange {
  readonly #body: Readable | undefined;
  readonly #res: ClientWriter;
  readonly #conn: H1Connection;
  readonly #target: string;
  readonly #onHead: ((head: ResponseHead) => HeadVerdict) | undefined;
  readonly #resolve: (r: HttpOutcome) => void;
  readonly #reject: (e: ProxyError) => void;
  #settled = false;
  #headReceived = false;
  /** Resumes the request body when the upstream socket drains (made when there is a body to forward). */
  #onDrain: (() => void) | undefined;
  #requestDone = false;
  #responseDone = false;
  #keepAlive = false;
  #status = 502;
  #grpcStatus: string | undefined;
  /** The last body chunk of the current read, held back so the final one can go out with end(). */
  #pending: Buffer | undefined;
  #onData: ((chunk: Buffer) => void) | undefined;
  #onClientClose: (() => void) | undefined;
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;
  #responseEdits: readonly HeaderEdit[] | undefined;

  constructor(
    body: Readable | undefined,
    res: ClientWriter,
    conn: H1Connection,
    target: string,
    onHead: ((head: ResponseHead) => HeadVerdict) | undefined,
    resolve: (r: HttpOutcome) => void,
    reject: (e: ProxyError) => void,
  ) {
    this.#body = body;
    this.#res = res;
    this.#conn = conn;
    this.#target = target;
    this.#onHead = onHead;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  start(
    { head, mode, noResponseBody }: RequestHead,
    signal: AbortSignal | undefined,
    responseEdits: readonly HeaderEdit[] | undefined,
  ): void {
    const body = this.#body;
    this.#responseEdits = responseEdits;
    // The upstream's head bytes are kept only for a writer that sends them on unchanged.
    this.#conn.begin(this, noResponseBody, responseEdits === undefined && this.#res.headBytes !== undefined);
    // The client went away: abort the upstream exchange unless it is complete. A response that
    // finished while the request body was still incomplete (the proxy's own 408 for a stalled
    // body, or an early upstream answer) also aborts it: that body will never be finished.
    this.#onClientClose = () => {
      if (!this.#settled && (!this.#res.finished() || !this.#requestDone)) {
        this.#conn.abort();
        this.#settle(
          upstreamError(
            Object.assign(new Error('client went away'), { code: 'ECONNRESET' }),
            this.#target,
            this.#conn.connected,
          ),
        );
      }
    };
    this.#res.onClose(this.#onClientClose);
    if (signal !== undefined) {
      if (signal.aborted) {
        this.#abort(signal);
        return;
      }
      this.#signal = signal;
      this.#onAbort = () => this.#abort(signal);
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    const socket = this.#conn.socket;
    // Under load, sent with the other writes of this poll phase (transport/write-batch.ts).
    if (typeof head === 'string') this.#conn.out.write(head, 'latin1');
    else this.#conn.out.write(head);
    if (mode === 'none') {
      this.#requestDone = true;
      return;
    }
    // A body that already ended (e.g. an HTTP/2 stream whose END_STREAM came with no data) will not
    // emit 'end' again.
    if (body === undefined || body.readableEnded) {
      if (mode === 'chunked') socket.write('0\r\n\r\n', 'latin1');
      this.#requestDone = true;
      return;
    }
    const onDrain = (): void => void body.resume();
    this.#onDrain = onDrain;
    this.#onData = (chunk: Buffer) => {
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
        body.pause();
        socket.once('drain', onDrain);
      }
    };
    body.on('data', this.#onData);
    body.once('end', () => {
      if (this.#responseDone) return;
      if (mode === 'chunked' && !socket.destroyed) socket.write('0\r\n\r\n', 'latin1');
      this.#requestDone = true;
    });
  }

  informational(status: number): void {
    this.#res.informational(status);
  }

  head(head: H1ResponseHead): void {
    this.#headReceived = true;
    this.#status = head.status;
    this.#grpcStatus = head.grpcStatus;
    this.#stopSignal();
    if (this.#onHead !== undefined && this.#onHead(head) === 'discard') {
      // Nobody will read the rest of this response: drop the connection with it.
      this.#conn.abort();
      this.#detach();
      this.#settled = true;
      this.#responseDone = true;
      this.#resolve({ status: head.status, grpcStatus: head.grpcStatus, committed: false });
      return;
    }
    this.#keepAlive = head.http10 ? head.connection.has('keep-alive') : !head.connection.has('close');
    const plain = head.plain;
    // Only a head with nothing to remove is plain, and start() asked for plain heads only when
    // there are no edits and the writer takes bytes: the upstream's bytes go on as they are.
    if (plain !== undefined && this.#res.headBytes !== undefined) {
      this.#res.headBytes(head.status, plain, head.contentLength >= 0);
      return;
    }
    const raw = head.raw;
    // Copied only from the first field that is dropped: usually there is none and `raw` goes as is.
    let out: string[] | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const lower = raw[i]!.toLowerCase();
      if (HOP_BY_HOP.has(lower) || head.connection.has(lower)) {
        out ??= raw.slice(0, i);
        continue;
      }
      out?.push(raw[i]!, raw[i + 1]!);
    }
    out ??= raw;
    const edits = this.#responseEdits;
    this.#res.head(head.status, head.reason, edits === undefined ? out : editRawHeaders(out, edits));
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
    this.#responseDone = true;
    const list: [string, string][] = [];
    for (let i = 0; i < trailers.length; i += 2) {
      const name = trailers[i]!;
      const value = trailers[i + 1]!;
      list.push([name, value]);
      if (this.#grpcStatus === undefined && name.toLowerCase() === 'grpc-status') this.#grpcStatus = value;
    }
    const last = this.#pending;
    this.#pending = undefined;
    // The exchange is complete: the client going away from here on aborts nothing, and a response
    // nobody listens to can finish without a tick (h1-server/server-response.ts).
    if (this.#onClientClose !== undefined) this.#res.offClose(this.#onClientClose);
    this.#res.end(last, list);
    const socket = this.#conn.socket;
    if (socket.isPaused()) socket.resume();
    if (this.#onDrain !== undefined) socket.removeListener('drain', this.#onDrain);
    this.#conn.finish(this.#keepAlive && this.#requestDone);
    if (!this.#requestDone) this.#body?.resume();
    this.#settled = true;
    this.#detach();
    this.#resolve({ status: this.#status, grpcStatus: this.#grpcStatus, committed: true });
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
      this.#res.onDrain(() => {
        if (!this.#responseDone) socket.resume();
      });
    }
  }

  #settle(err: ProxyError): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#responseDone = true;
    this.#stopSignal();
    this.#detach();
    this.#reject(err);
  }

  /** The attempt's deadline passed before the response head: cancel the exchange. */
  #abort(signal: AbortSignal): void {
    if (this.#settled || this.#headReceived) return;
    this.#conn.abort();
    const reason: unknown = signal.reason;
    this.#settle(
      reason instanceof ProxyError
        ? reason
        : new ProxyError('response-timeout', `request to ${this.#target} was cancelled`),
    );
  }

  #stopSignal(): void {
    if (this.#onAbort !== undefined) this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#onAbort = undefined;
  }

  /** Removes this attempt's listeners from the shared request body and response. */
  #detach(): void {
    if (this.#onData !== undefined) this.#body?.removeListener('data', this.#onData);
    if (this.#onClientClose !== undefined) this.#res.offClose(this.#onClientClose);
    if (this.#onDrain !== undefined) this.#conn.socket.removeListener('drain', this.#onDrain);
  }
}
