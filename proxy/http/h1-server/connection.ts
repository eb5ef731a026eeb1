// One client connection of the proxy's HTTP/1 server: reads request heads and bodies from the
// socket, hands each request to the server's handler with its response, and keeps requests in
// order (a pipelined request is read only after the previous response has ended).
//
// Contract: one request at a time. States: `head` (reading a request head, or idle between
// requests), `body` (a request body is arriving), `wait` (the request is complete, its response is
// not), `closing` (the last response is going out), `gone`. A refused head is answered with its
// status (400, 417, 431) and `connection: close`, and reported to the handler's clientError by
// code. A client that ends its side while a request is in flight aborts it (as node:http does): the
// response gets 'close' with `destroyed`. Deadlines are checked by the server's sweep (check()):
// the head must arrive within headersTimeoutMs of its first byte, an idle keep-alive connection
// is closed after keepAliveTimeoutMs (counted from the first sweep that finds it idle, so up to one
// sweep period late: the clock is not read per request for it), and a body must not go
// bodyIdleTimeoutMs without a byte (while the proxy is not holding it back): then 408
// (BODY_TIMEOUT) and the connection closes. A connection whose last response cannot be flushed, or
// whose dropped body stalls, is closed after the keep-alive or body deadline.

import type { Socket } from 'node:net';
import { isShared, readShared, releaseShared } from '../../transport/shared-read.ts';
import { BatchedWriter } from '../../transport/write-batch.ts';
import { headEnd } from '../h1-scan.ts';
import { BodyDecoder } from './body-decoder.ts';
import { H1RequestError, parseRequestHead } from './request-head.ts';
import { H1ServerRequest, RequestBody } from './server-request.ts';
import { H1ServerResponse, type ResponseOwner } from './server-response.ts';
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';

export interface H1ServerLimits {
  readonly maxHeaders: number;
  /** Largest request head in bytes (431 above). */
  readonly maxHeaderBytes: number;
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly bodyIdleTimeoutMs: number;
}

export interface H1ServerHandlers {
  request(req: H1ServerRequest, res: H1ServerResponse): void;
  /** The connection leaves HTTP/1 (Upgrade or CONNECT): `head` holds bytes read past the request head. */
  upgrade(req: H1ServerRequest, socket: Socket, head: Buffer): void;
  /** A request refused by code (e.g. HPE_HEADER_OVERFLOW, ERR_HTTP_REQUEST_TIMEOUT, BODY_TIMEOUT). */
  clientError(code: string): void;
}

export interface ConnectionOwner {
  readonly limits: H1ServerLimits;
  readonly handlers: H1ServerHandlers;
  draining(): boolean;
  removed(conn: H1ServerConnection): void;
}

type State = 'head' | 'body' | 'wait' | 'closing' | 'gone';

/** #since of a connection idle since a response ended, until the next sweep stamps it. */
const UNSTAMPED = -1;

/** Pipelined bytes buffered while a response is in flight before the socket is paused. */
const MAX_PIPELINED = 64 * 1024;

export class H1ServerConnection implements ResponseOwner {
  readonly socket: Socket;
  readonly out: BatchedWriter;
  readonly #owner: ConnectionOwner;
  #state: State = 'head';
  /** Bytes read and not yet parsed. */
  #buf: Buffer | undefined;
  #req: H1ServerRequest | undefined;
  #res: H1ServerResponse | undefined;
  #decoder: BodyDecoder | undefined;
  /** The response ended while the request body was still arriving: read and drop the rest. */
  #discardBody = false;
  /** The socket is paused because the body's reader is not keeping up. */
  #bodyPaused = false;
  #pumping = false;
  #again = false;
  /** head: when the head's first byte (or, idle, the last response) came; body: the last body byte. */
  #since = performance.now();
  readonly #onDrain = (): void => void this.#res?.emit('drain');

  constructor(socket: Socket, owner: ConnectionOwner) {
    this.socket = socket;
    this.out = new BatchedWriter(socket);
    this.#owner = owner;
    socket.setNoDelay?.(true);
    // Reads land in the shared buffer (transport/shared-read.ts): what outlives #onData is copied.
    readShared(socket, (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.#onClose());
    socket.on('drain', this.#onDrain);
  }

  /** Idle between requests (closable without losing anything). */
  get idle(): boolean {
    return this.#state === 'head' && this.#buf === undefined;
  }

  draining(): boolean {
    return this.#owner.draining();
  }

  /** Deadlines, called by the server's sweep. */
  check(now: number): void {
    const limits = this.#owner.limits;
    switch (this.#state) {
      case 'head':
        if (this.#since === UNSTAMPED) {
          // Back to reading heads since a response ended (#next): the deadline counts from here.
          this.#since = now;
        } else if (this.#buf !== undefined) {
          if (now - this.#since > limits.headersTimeoutMs) {
            this.#refuse(new H1RequestError('ERR_HTTP_REQUEST_TIMEOUT', 408, 'request head timed out'));
          }
        } else if (now - this.#since > limits.keepAliveTimeoutMs) this.socket.destroy();
        return;
      case 'body':
        if (this.#bodyPaused || now - this.#since <= limits.bodyIdleTimeoutMs) return;
        // A body still being dropped after its response went out has nobody left to answer.
        if (this.#discardBody) this.socket.destroy();
        else this.#bodyTimedOut();
        return;
      case 'closing':
        // The last response is still not flushed (a client that stopped reading): give up on it.
        if (now - this.#since > limits.keepAliveTimeoutMs) this.socket.destroy();
        return;
      case 'wait':
      case 'gone':
        return;
    }
  }

  /** Closes the connection if it is idle. */
  closeIfIdle(): void {
    if (this.idle) this.socket.destroy();
  }

  responseEnded(res: H1ServerResponse, keepAlive: boolean): void {
    if (res !== this.#res) return;
    if (!keepAlive || this.#state === 'closing') {
      this.#close();
      return;
    }
    if (this.#state === 'body') {
      // Answered before the body was complete: read the rest and drop it, then go on.
      this.#discardBody = true;
      this.#resumeBody();
      return;
    }
    this.#next();
  }

  #next(): void {
    this.#req = undefined;
    this.#res = undefined;
    this.#decoder = undefined;
    this.#discardBody = false;
    this.#state = 'head';
    // Not the clock (~40 ns, once per request): the next sweep stamps the idle time (check()).
    this.#since = UNSTAMPED;
    if (this.socket.isPaused()) this.socket.resume();
    if (this.#buf !== undefined) this.#pump();
  }

  #onData(chunk: Buffer): void {
    if (this.#state === 'closing' || this.#state === 'gone') return;
    let headStarts = false;
    if (this.#buf === undefined) {
      // The first bytes of a head start its deadline (or, only empty lines, the idle time anew),
      // but the clock is read only if no request is under way once they are parsed: a whole head
      // usually comes in one read.
      if (this.#state === 'head') headStarts = true;
      else if (this.#state === 'body') this.#since = performance.now();
      this.#buf = chunk;
    } else {
      this.#buf = Buffer.concat([this.#buf, chunk]);
      if (this.#state === 'body') this.#since = performance.now();
    }
    this.#pump();
    if (headStarts && this.#state === 'head') this.#since = performance.now();
    // Bytes kept for later (a partial head, a pipelined request) must not be the next read's.
    const rest = this.#buf;
    if (rest !== undefined && isShared(rest)) this.#buf = Buffer.from(rest);
  }

  #pump(): void {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        this.#step();
      } while (this.#again);
    } finally {
      this.#pumping = false;
    }
  }

  /** Parses as far as the buffered bytes and the state allow. */
  #step(): void {
    for (;;) {
      const buf = this.#buf;
      switch (this.#state) {
        case 'head':
          if (buf === undefined || !this.#readHead(buf)) return;
          break;
        case 'body': {
          const decoder = this.#decoder;
          if (buf === undefined || decoder === undefined) return;
          let pos: number;
          try {
            pos = decoder.feed(buf, 0);
          } catch (err) {
            this.#bodyError(err as H1RequestError);
            return;
          }
          this.#buf = pos < buf.length ? buf.subarray(pos) : undefined;
          if (!decoder.done) return;
          break;
        }
        case 'wait':
          if (buf !== undefined && buf.length > MAX_PIPELINED) this.socket.pause();
          return;
        case 'closing':
        case 'gone':
          this.#buf = undefined;
          return;
      }
    }
  }

  /** Reads one request head from `buf`; false when more bytes are needed or the connection is done. */
  #readHead(input: Buffer): boolean {
    const limits = this.#owner.limits;
    let buf = input;
    // Empty lines before a request line are ignored (RFC 9112 §2.2).
    while (buf.length >= 2 && buf[0] === 13 && buf[1] === 10) buf = buf.subarray(2);
    if (buf.length === 0) {
      this.#buf = undefined;
      return false;
    }
    const end = headEnd(buf, 0);
    if (end < 0 || end > limits.maxHeaderBytes) {
      if (buf.length > limits.maxHeaderBytes) {
        this.#refuse(new H1RequestError('HPE_HEADER_OVERFLOW', 431, 'request head too large'));
        return false;
      }
      this.#buf = buf;
      // A bare LF would keep the head from ever ending in CRLF CRLF: refuse it now, not at the deadline.
      if (hasBareLf(buf)) this.#refuse(bareLfError(buf));
      return false;
    }
    let head;
    try {
      head = parseRequestHead(buf.toString('latin1', 0, end), limits);
    } catch (err) {
      this.#refuse(err instanceof H1RequestError ? err : new H1RequestError('HPE_INTERNAL', 400, String(err)));
      return false;
    }
    this.#buf = end + 4 < buf.length ? buf.subarray(end + 4) : undefined;
    const expect = head.headers.expect;
    if (expect !== undefined && expect.toLowerCase() !== '100-continue') {
      this.#refuse(new H1RequestError('EXPECTATION_FAILED', 417, `unsupported Expect: ${expect}`));
      return false;
    }
    if (head.upgrade) {
      this.#leave(new H1ServerRequest(head, this.socket, undefined));
      return false;
    }
    let body: RequestBody | undefined;
    if (head.body.kind !== 'none') {
      const b = new RequestBody(() => this.#resumeBody());
      body = b;
      this.#decoder = new BodyDecoder(
        head.body.kind,
        head.body.kind === 'length' ? head.body.length : 0,
        (chunk) => {
          if (!this.#discardBody && !b.push(isShared(chunk) ? Buffer.from(chunk) : chunk)) {
            this.#bodyPaused = true;
            this.socket.pause();
          }
        },
        () => this.#bodyDone(b),
      );
      this.#state = 'body';
      this.#since = performance.now();
    } else this.#state = 'wait';
    // A copy: `buf` may be the shared read buffer, and the head may go upstream later.
    const rawHead = head.plain ? Buffer.from(buf.subarray(0, end + 4)) : undefined;
    const req = new H1ServerRequest(head, this.socket, body, rawHead);
    const res = new H1ServerResponse(this, head.method, head.minor === 0, head.keepAlive);
    this.#req = req;
    this.#res = res;
    this.#owner.handlers.request(req, res);
    return true;
  }

  #bodyDone(body: RequestBody): void {
    const req = this.#req;
    if (req !== undefined) req.complete = true;
    body.push(null);
    if (this.#res?.writableEnded === true) {
      // The response went out first: this request is over.
      this.#state = 'wait';
      this.#next();
      return;
    }
    this.#state = 'wait';
  }

  #resumeBody(): void {
    if (this.#bodyPaused || this.#discardBody) {
      this.#bodyPaused = false;
      this.#since = performance.now();
      if (this.#state !== 'gone' && this.socket.isPaused()) this.socket.resume();
    }
  }

  /** The connection leaves HTTP/1: stop reading it and hand it over with the bytes read past the head. */
  #leave(req: H1ServerRequest): void {
    const socket = this.socket;
    const buf = this.#buf;
    const rest = buf === undefined ? Buffer.alloc(0) : isShared(buf) ? Buffer.from(buf) : buf;
    this.#buf = undefined;
    this.#state = 'gone';
    releaseShared(socket);
    socket.removeAllListeners('data');
    socket.removeAllListeners('end');
    socket.removeListener('drain', this.#onDrain);
    socket.pause();
    this.#owner.removed(this);
    this.#owner.handlers.upgrade(req, socket, rest);
  }

  /** A refused request: answer with its status (if no response started) and close. */
  #refuse(err: H1RequestError): void {
    this.#owner.handlers.clientError(err.code);
    const res = this.#res;
    this.#buf = undefined;
    if (res !== undefined && res.headersSent) {
      this.socket.destroy();
      return;
    }
    res?.connectionClosed();
    this.#state = 'closing';
    this.#since = performance.now();
    if (!this.socket.writable) {
      this.socket.destroy();
      return;
    }
    this.socket.write(
      `HTTP/1.1 ${err.status} ${STATUS_TEXT[err.status] ?? 'Bad Request'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
      'latin1',
    );
    this.#close();
  }

  #bodyError(err: H1RequestError): void {
    // Destroyed without an error: a body stream nobody listens to for errors must not throw; its
    // reader learns of the end through the response's 'close' (the connection is closed below).
    this.#req?.body?.destroy();
    this.#refuse(err);
  }

  #bodyTimedOut(): void {
    this.#owner.handlers.clientError('BODY_TIMEOUT');
    const res = this.#res;
    this.#buf = undefined;
    if (res === undefined || res.headersSent) {
      this.socket.destroy();
      return;
    }
    res.shouldKeepAlive = false;
    this.#state = 'closing';
    this.#since = performance.now();
    res.writeHead(408, { connection: 'close', 'content-type': 'text/plain' });
    res.end('request body timed out\n', () => this.socket.destroy());
  }

  /** Ends the connection once what was written has been flushed. */
  #close(): void {
    this.#state = 'closing';
    this.#since = performance.now();
    this.#buf = undefined;
    const socket = this.socket;
    if (socket.destroyed) return;
    socket.end(() => socket.destroy());
  }

  #onEnd(): void {
    // The client ended its side. Between requests: close ours too. With a request in flight: abort
    // it, as node:http does (a half-closed HTTP/1 client is not waited for).
    if (this.#state === 'head' && this.#buf === undefined) this.#close();
    else if (this.#state !== 'closing') this.socket.destroy();
  }

  #onClose(): void {
    const wasActive = this.#state !== 'gone';
    this.#state = 'gone';
    this.#buf = undefined;
    const req = this.#req;
    if (req?.body !== undefined && !req.complete) req.body.destroy();
    this.#res?.connectionClosed();
    this.#req = undefined;
    this.#res = undefined;
    if (wasActive) this.#owner.removed(this);
  }
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  417: 'Expectation Failed',
  431: 'Request Header Fields Too Large',
};

function hasBareLf(buf: Buffer): boolean {
  for (let at = buf.indexOf(10); at >= 0; at = buf.indexOf(10, at + 1)) {
    if (at === 0 || buf[at - 1] !== 13) return true;
  }
  return false;
}

/** The error a head with a bare LF gets: the request line's, or a header line's. */
function bareLfError(buf: Buffer): H1RequestError {
  const firstLf = buf.indexOf(10);
  const firstCrLf = buf.indexOf('\r\n', 0, 'latin1');
  return firstCrLf < 0 || firstLf < firstCrLf
    ? new H1RequestError('HPE_INVALID_VERSION', 400, 'the request line ends in a bare LF')
    : new H1RequestError('HPE_CR_EXPECTED', 400, 'a header line ends in a bare LF');
}
