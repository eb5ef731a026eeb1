// The response to one HTTP/1 request on the proxy's own server: the subset of node:http's
// ServerResponse the proxy uses, written straight to the socket.
//
// Contract: writeHead() only prepares the head; it goes out with the first body bytes or with
// end(), so a small response is one write. Framing is chosen from the head: Content-Length as
// given; no body for HEAD, 1xx, 204 and 304; otherwise chunked for HTTP/1.1 clients (trailers
// allowed) and read-until-close for HTTP/1.0 clients. `connection: close` is sent (and the
// connection closed after the response) when the client asked for it, the proxy is draining, or the
// response says so; HTTP/1.0 keep-alive clients get `connection: keep-alive`. Events: 'drain' when
// the socket can take more, 'finish' once the response has been flushed, and 'close' after finish
// or when the connection goes away first (then `destroyed` is true); both are emitted on a later
// tick than the end() that flushed the response. The forwarder's one close listener is a hook
// (onClose/offClose) rather than an event listener, and a small response ended with no listener
// and no callback waiting is handed to the socket's batched writer (sent at once, or under load at
// the end of this poll phase: transport/write-batch.ts) and finished at once, without a tick and
// without events (nobody listened).

import { EventEmitter } from 'node:events';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { nodeHttp } from '../../../src/net/index.ts';
import { Buffer } from 'node:buffer';
import type { BatchedWriter } from '../../transport/write-batch.ts';

/** What the response needs from its connection. */
export interface ResponseOwner {
  readonly socket: Socket;
  /** The socket's writes, held to the end of the poll phase under load (transport/write-batch.ts). */
  readonly out: BatchedWriter;
  /** The proxy is draining: the connection closes after this response. */
  draining(): boolean;
  /** end() was called: the connection may go on with the next request (or close). */
  responseEnded(res: H1ServerResponse, keepAlive: boolean): void;
}

type Mode = 'length' | 'chunked' | 'none' | 'close';

/** Bodies up to this size are copied behind the head to go out in one write. */
const ONE_WRITE = 16 * 1024;

/** Header values must not carry line breaks or NUL (they would split the head). */
const BAD_VALUE = /[\r\n\0]/;

/** What a response field says (fieldKind), as bits collected over the fields by merged(). */
const FIELD_OTHER = 0;
const FIELD_LENGTH = 1;
const FIELD_CHUNKED = 2;
const FIELD_CLOSE = 4;
/** A Connection field without `close`: not written (keep-alive tokens are this response's business). */
const FIELD_CONNECTION_OTHER = 8;
/** A Transfer-Encoding field that does not name chunked. */
const FIELD_TE_OTHER = 16;
const FIELD_TE = FIELD_CHUNKED | FIELD_TE_OTHER;

/** `seen` with field `kind` added: the last Transfer-Encoding field decides whether chunked was given. */
function merged(seen: number, kind: number): number {
  return (kind & FIELD_TE) !== 0 ? (seen & ~FIELD_TE) | kind : seen | kind;
}

/**
 * Checks a response field's value (throws ERR_INVALID_CHAR) and says what the field means for the
 * framing: Content-Length, a Transfer-Encoding naming chunked, a Connection with or without close.
 * Names come from parsers that checked them or from this program; values may hold a bare CR.
 */
function fieldKind(name: string, value: string): number {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 13 || c === 10 || c === 0) {
      throw Object.assign(new Error(`invalid character in the response header ${JSON.stringify(name)}`), {
        code: 'ERR_INVALID_CHAR',
      });
    }
  }
  const n = name.length;
  if (n !== 14 && n !== 17 && n !== 10) return FIELD_OTHER;
  const lower = name.toLowerCase();
  if (lower === 'content-length') return FIELD_LENGTH;
  if (lower === 'transfer-encoding') return value.toLowerCase().includes('chunked') ? FIELD_CHUNKED : FIELD_TE_OTHER;
  if (lower === 'connection') return /\bclose\b/i.test(value) ? FIELD_CLOSE : FIELD_CONNECTION_OTHER;
  return FIELD_OTHER;
}

export class H1ServerResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  destroyed = false;
  /** Whether the connection stays open after this response; set false to close it. */
  shouldKeepAlive: boolean;
  readonly #owner: ResponseOwner;
  readonly #head: boolean;
  readonly #http10: boolean;
  /** The prepared head, not yet written: text, or the bytes of a head passed through. */
  #pendingHead: string | Buffer | undefined;
  #mode: Mode = 'length';
  #trailers: string | undefined;
  /** One close listener kept outside the event machinery (the forwarder's, see onClose). */
  #closeHook: (() => void) | undefined;

  constructor(owner: ResponseOwner, method: string, http10: boolean, keepAlive: boolean) {
    super();
    this.#owner = owner;
    this.#head = method === 'HEAD';
    this.#http10 = http10;
    this.shouldKeepAlive = keepAlive;
  }

  /**
   * Calls `fn` once when the response closes (finished, or the connection went away first), like a
   * 'close' listener; offClose(fn) takes it back. One such hook costs no listener bookkeeping.
   */
  onClose(fn: () => void): void {
    if (this.#closeHook === undefined) this.#closeHook = fn;
    else this.once('close', fn);
  }

  offClose(fn: () => void): void {
    if (this.#closeHook === fn) this.#closeHook = undefined;
    else this.removeListener('close', fn);
  }

  /** An interim 100 Continue. */
  writeContinue(): void {
    if (!this.headersSent && !this.destroyed) this.#owner.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
  }

  /** An interim 102 Processing. */
  writeProcessing(): void {
    if (!this.headersSent && !this.destroyed) this.#owner.socket.write('HTTP/1.1 102 Processing\r\n\r\n', 'latin1');
  }

  /**
   * Prepares the head: `headers` as flat raw pairs [name, value, …] (as read from an upstream) or as
   * an object; hop-by-hop fields are the caller's business, framing and Connection are this one's.
   */
  writeHead(
    status: number,
    reasonOrHeaders?: string | OutgoingHttpHeaders | readonly string[],
    maybeHeaders?: OutgoingHttpHeaders | readonly string[],
  ): this {
    if (this.headersSent) throw new Error('the response head was already sent');
    const reason = typeof reasonOrHeaders === 'string' && reasonOrHeaders !== '' ? reasonOrHeaders : undefined;
    const headers = typeof reasonOrHeaders === 'string' ? maybeHeaders : (reasonOrHeaders ?? maybeHeaders);
    this.statusCode = status;
    this.headersSent = true;
    let head = `HTTP/1.1 ${status} ${reason ?? nodeHttp.STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    // What the fields say about framing and the connection: FIELD_* bits.
    let seen = 0;
    if (Array.isArray(headers)) {
      const raw = headers as readonly string[];
      for (let i = 0; i < raw.length; i += 2) {
        const name = raw[i]!;
        const value = raw[i + 1]!;
        const kind = fieldKind(name, value);
        seen = merged(seen, kind);
        if (kind !== FIELD_CONNECTION_OTHER) head += `${name}: ${value}\r\n`;
      }
    } else if (headers !== undefined) {
      const object = headers as OutgoingHttpHeaders;
      for (const name in object) {
        const value = object[name];
        if (value === undefined) continue;
        if (Array.isArray(value)) {
          for (const v of value) {
            const text = String(v);
            const kind = fieldKind(name, text);
            seen = merged(seen, kind);
            if (kind !== FIELD_CONNECTION_OTHER) head += `${name}: ${text}\r\n`;
          }
        } else {
          const text = String(value);
          const kind = fieldKind(name, text);
          seen = merged(seen, kind);
          if (kind !== FIELD_CONNECTION_OTHER) head += `${name}: ${text}\r\n`;
        }
      }
    }
    head += this.#framing(status, seen);
    this.#pendingHead = `${head}\r\n`;
    return this;
  }

  /**
   * Prepares a head that goes out as the bytes an HTTP/1.1 upstream sent (H1ResponseHead.plain: a
   * status line with a reason, fields without hop-by-hop ones, checked values), with only the
   * framing and Connection fields this response must add inserted before its blank line.
   * `hasLength`: the fields hold the Content-Length that frames the body.
   */
  writeHeadBytes(status: number, head: Buffer, hasLength: boolean): this {
    if (this.headersSent) throw new Error('the response head was already sent');
    this.statusCode = status;
    this.headersSent = true;
    const extra = this.#framing(status, hasLength ? FIELD_LENGTH : 0);
    if (extra === '') {
      this.#pendingHead = head;
      return this;
    }
    // The head without its blank line, the added fields, the blank line.
    const out = Buffer.allocUnsafe(head.length + extra.length);
    head.copy(out, 0, 0, head.length - 2);
    out.write(`${extra}\r\n`, head.length - 2, 'latin1');
    this.#pendingHead = out;
    return this;
  }

  /**
   * Chooses how the body is framed and whether the connection stays open, from what the head's
   * fields say (`seen`, FIELD_* bits); returns the fields the head must add for it (framing,
   * Connection), each ending in CRLF, or ''.
   */
  #framing(status: number, seen: number): string {
    const closeGiven = (seen & FIELD_CLOSE) !== 0;
    let extra = '';
    if (closeGiven || this.#owner.draining()) this.shouldKeepAlive = false;
    if (this.#head || status === 204 || status === 304 || status < 200) this.#mode = 'none';
    else if ((seen & FIELD_LENGTH) !== 0) this.#mode = 'length';
    else if ((seen & FIELD_CHUNKED) !== 0) this.#mode = 'chunked';
    else if (!this.#http10) {
      this.#mode = 'chunked';
      extra = 'transfer-encoding: chunked\r\n';
    } else {
      this.#mode = 'close';
      this.shouldKeepAlive = false;
    }
    if (!this.shouldKeepAlive) {
      if (!closeGiven) extra += 'connection: close\r\n';
    } else if (this.#http10) extra += 'connection: keep-alive\r\n';
    return extra;
  }

  /** Trailer fields, sent after a chunked body (dropped for other framings). */
  addTrailers(trailers: readonly (readonly [string, string])[] | Readonly<Record<string, string>>): void {
    let text = this.#trailers ?? '';
    const list = Array.isArray(trailers)
      ? (trailers as readonly (readonly [string, string])[])
      : Object.entries(trailers as Readonly<Record<string, string>>);
    for (const [name, value] of list) {
      if (BAD_VALUE.test(value) || BAD_VALUE.test(name)) continue;
      text += `${name}: ${value}\r\n`;
    }
    this.#trailers = text;
  }

  /** Writes body bytes; false when the socket is backed up (wait for 'drain'). */
  write(chunk: Buffer | string): boolean {
    if (this.writableEnded || this.destroyed) return false;
    if (!this.headersSent) this.writeHead(this.statusCode);
    const socket = this.#owner.socket;
    const size = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (this.#mode === 'none' || size === 0) return this.#flushHead(socket);
    if (this.#mode !== 'chunked') {
      if (this.#pendingHead === undefined) return socket.write(chunk);
      socket.cork();
      this.#flushHead(socket);
      const ok = socket.write(chunk);
      socket.uncork();
      return ok;
    }
    socket.cork();
    socket.write(`${this.#takeHeadText()}${size.toString(16)}\r\n`, 'latin1');
    socket.write(chunk);
    const ok = socket.write('\r\n', 'latin1');
    socket.uncork();
    return ok;
  }

  /** Ends the response (with a last chunk); `callback` once it has been flushed to the socket. */
  end(chunk?: Buffer | string, callback?: () => void): this {
    if (this.writableEnded) return this;
    if (!this.headersSent) {
      if (chunk !== undefined && this.statusCode !== 204 && this.statusCode !== 304 && !this.#head) {
        // A whole response in one call: frame it by length.
        const size = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
        this.writeHead(this.statusCode, { 'content-length': String(size) });
      } else this.writeHead(this.statusCode);
    }
    this.writableEnded = true;
    if (this.destroyed) return this;
    const socket = this.#owner.socket;
    const done = (err?: Error | null): void => {
      if (err == null) this.#finished(callback);
    };
    const head = this.#pendingHead;
    if (
      head !== undefined &&
      Buffer.isBuffer(chunk) &&
      chunk.length <= ONE_WRITE &&
      (this.#mode === 'length' || this.#mode === 'close')
    ) {
      // The usual small response: head and body in one buffer, one write.
      const out = Buffer.allocUnsafe(head.length + chunk.length);
      if (typeof head === 'string') out.write(head, 0, 'latin1');
      else head.copy(out, 0);
      chunk.copy(out, head.length);
      this.#pendingHead = undefined;
      if (callback === undefined && !this.#watched()) {
        // Nobody waits for the flush: no write callback (which costs a tick), and under load the
        // write goes out with the others of this poll phase (write-batch.ts). Handed to the
        // socket, the response is finished. (A socket destroyed but not yet closed took nothing:
        // its close marks this destroyed.)
        this.#owner.out.write(out);
        if (socket.destroyed) return this.#ended();
        this.writableFinished = true;
      } else socket.write(out, done);
      return this.#ended();
    }
    socket.cork();
    if (chunk !== undefined && this.#mode !== 'none') {
      const size = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      if (this.#mode === 'chunked') {
        if (size > 0) {
          socket.write(`${this.#takeHeadText()}${size.toString(16)}\r\n`, 'latin1');
          socket.write(chunk);
          socket.write(`\r\n0\r\n${this.#trailers ?? ''}\r\n`, 'latin1', done);
        } else this.#writeLast(socket, done);
      } else {
        this.#flushHead(socket);
        socket.write(chunk, done);
      }
    } else if (this.#mode === 'chunked') this.#writeLast(socket, done);
    else if (this.#pendingHead !== undefined) {
      socket.write(this.#pendingHead, 'latin1', done);
      this.#pendingHead = undefined;
    } else socket.write('', 'latin1', done);
    socket.uncork();
    return this.#ended();
  }

  /** Ends the connection abruptly (the client sees a reset or a truncated response). */
  destroy(): void {
    this.#owner.socket.destroy();
  }

  /** The connection went away before the response was flushed. */
  connectionClosed(): void {
    if (this.destroyed || this.writableFinished) return;
    this.destroyed = true;
    this.#emitClose();
  }

  #writeLast(socket: Socket, done: (err?: Error | null) => void): void {
    socket.write(`${this.#takeHeadText()}0\r\n${this.#trailers ?? ''}\r\n`, 'latin1', done);
  }

  /** Tells the connection the response has ended (it goes on with the next request, or closes). */
  #ended(): this {
    this.#owner.responseEnded(this, this.shouldKeepAlive);
    return this;
  }

  /** The pending head as text ('' when it went out already), to go out with what follows it. */
  #takeHeadText(): string {
    const head = this.#pendingHead;
    this.#pendingHead = undefined;
    if (head === undefined) return '';
    return typeof head === 'string' ? head : head.toString('latin1');
  }

  #flushHead(socket: Socket): boolean {
    if (this.#pendingHead === undefined) return true;
    const head = this.#pendingHead;
    this.#pendingHead = undefined;
    return socket.write(head, 'latin1');
  }

  #finished(callback: (() => void) | undefined): void {
    if (this.writableFinished || this.destroyed) return;
    this.writableFinished = true;
    callback?.();
    this.emit('finish');
    this.#emitClose();
  }

  #emitClose(): void {
    const hook = this.#closeHook;
    this.#closeHook = undefined;
    hook?.();
    this.emit('close');
  }

  /** Whether anyone listens for the response's end (a close hook, 'finish' or 'close' listeners). */
  #watched(): boolean {
    return this.#closeHook !== undefined || this.listenerCount('finish') > 0 || this.listenerCount('close') > 0;
  }
}
