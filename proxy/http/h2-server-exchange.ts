// One HTTP/2 request the proxy serves on its own HTTP/2 server (ADR 0020), as the HTTP layers see
// it: the request head as a node-style header record, the request body as a Readable made only
// when someone asks for it (or relayed straight to one reader, see relayBody), and the response
// calls the forwarders and error responders make.
//
// Contract: the body's bytes are credited back to the client (WINDOW_UPDATE) as the body's reader
// takes them, so a slow upstream holds the client back; a request without a body (END_STREAM on
// its HEADERS) has `endAfterHeaders` and its `body` is an ended empty stream. The body has one
// reader: the Readable or a relay, whichever is asked for first. Request trailers end the body and
// are not forwarded (as before, with node:http2). onClose() listeners run once when the stream is
// closed (response sent and request read, or a reset either way); a client reset also destroys
// an unfinished body (a relay just hears nothing more). Response calls on a closed exchange do
// nothing.

import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { H2Connection, H2Stream, H2StreamHandler } from '../h2/index.ts';
import { emptyBody } from './empty-body.ts';
import { lowerName } from './h2-headers.ts';

export class H2ServerExchange {
  readonly connection: H2Connection;
  readonly stream: H2Stream;
  readonly headers: IncomingHttpHeaders;
  /** The request has no body (END_STREAM on its HEADERS). */
  readonly endAfterHeaders: boolean;
  /** The response head went out. */
  headersSent = false;
  /** We ended the response (END_STREAM or trailers queued). */
  finished = false;
  readonly #request: RequestSide;
  #closeFns: (() => void)[] | undefined;
  #drainFns: (() => void)[] | undefined;

  constructor(connection: H2Connection, stream: H2Stream, fields: readonly string[], endStream: boolean) {
    this.connection = connection;
    this.stream = stream;
    this.endAfterHeaders = endStream;
    this.headers = headerRecord(fields);
    this.#request = new RequestSide(this, endStream);
    stream.handler = this.#request;
  }

  get closed(): boolean {
    return this.stream.closed;
  }

  get remotePort(): number | undefined {
    return this.connection.socket.remotePort;
  }

  /** The request body (made on first use). */
  get body(): Readable {
    return this.#request.body();
  }

  /**
   * Hands the request body to `to` chunk by chunk as it arrives (what already arrived at once),
   * then relayEnd(); each chunk's flow-control credit goes back to the client when relayData()
   * returns true, else at the next relayRoom(). False, and nothing relayed, when the body was
   * already taken as a Readable.
   */
  relayBody(to: BodyRelay): boolean {
    return this.#request.relay(to);
  }

  /** The relay target has room again: the client gets the credit it held back. */
  relayRoom(): void {
    this.#request.credit();
  }

  /** Ends the relay: body bytes that arrive later are not read (nor credited). */
  stopRelay(): void {
    this.#request.stopRelay();
  }

  /** Sends the response head; `endStream` for a response without body. */
  respond(status: number, headers: OutgoingHttpHeaders, endStream: boolean): void {
    if (this.closed || this.headersSent) return;
    this.headersSent = true;
    if (endStream) this.finished = true;
    this.stream.respond(responseFields(status, headers), endStream);
  }

  /** Queues response body bytes; false: wait for onDrain. */
  write(chunk: Buffer): boolean {
    if (this.closed) return false;
    return this.stream.write(chunk);
  }

  /** Ends the response after `chunk`, with `trailers` when there are any. */
  end(chunk?: Buffer, trailers?: OutgoingHttpHeaders): void {
    if (this.closed || this.finished) return;
    this.finished = true;
    this.stream.end(chunk, trailers === undefined ? undefined : trailerFields(trailers));
  }

  /** Resets the stream (RST_STREAM with `code`). */
  resetStream(code: number): void {
    this.stream.reset(code);
  }

  onClose(fn: () => void): () => void {
    if (this.closed) {
      fn();
      return () => undefined;
    }
    (this.#closeFns ??= []).push(fn);
    return () => {
      const fns = this.#closeFns;
      if (fns === undefined) return;
      const i = fns.indexOf(fn);
      if (i >= 0) fns.splice(i, 1);
    };
  }

  /** `fn` runs once when the response has room again after write() returned false. */
  onDrain(fn: () => void): void {
    (this.#drainFns ??= []).push(fn);
  }

  offDrain(fn: () => void): void {
    const fns = this.#drainFns;
    if (fns === undefined) return;
    const i = fns.indexOf(fn);
    if (i >= 0) fns.splice(i, 1);
  }

  /** Called by the stream's handler. */
  notifyDrain(): void {
    const fns = this.#drainFns;
    if (fns === undefined) return;
    this.#drainFns = undefined;
    for (const fn of fns) fn();
  }

  /** Called by the stream's handler, once. */
  notifyClose(): void {
    const fns = this.#closeFns;
    this.#closeFns = undefined;
    if (fns !== undefined) for (const fn of fns) fn();
  }
}

/**
 * Where a relayed request body goes (relayBody): the HTTP/2 forwarder writing it to its upstream
 * stream, with no Readable, buffering or ticks in between.
 */
export interface BodyRelay {
  /** A chunk of the body; false: the target is backed up, so call relayRoom() once it has room. */
  relayData(chunk: Buffer): boolean;
  /** The body ended (END_STREAM, or request trailers). */
  relayEnd(): void;
}

/** The request side of an exchange: the handler of its stream, feeding the body. */
class RequestSide implements H2StreamHandler {
  readonly #exchange: H2ServerExchange;
  #body: Readable | undefined;
  #relay: BodyRelay | undefined;
  /** relay() took the body: once the relay ended or stopped, nothing reads what still comes. */
  #relayed = false;
  /** Request data that arrived before the body was asked for. */
  #early: Buffer[] | undefined;
  #ended: boolean;
  /** Bytes passed on while the reader was behind: credited when it reads again (credit()). */
  #owed = 0;

  constructor(exchange: H2ServerExchange, ended: boolean) {
    this.#exchange = exchange;
    this.#ended = ended;
  }

  body(): Readable {
    if (this.#body !== undefined) return this.#body;
    if (this.#relayed) throw new Error('the request body was relayed, it has no Readable');
    if (this.#exchange.endAfterHeaders) {
      this.#body = emptyBody();
      return this.#body;
    }
    const body = new Readable({ read: () => this.credit() });
    this.#body = body;
    const early = this.#early;
    this.#early = undefined;
    if (early !== undefined) for (const chunk of early) this.#push(chunk);
    if (this.#ended) body.push(null);
    else if (this.#exchange.closed) body.destroy();
    return body;
  }

  relay(to: BodyRelay): boolean {
    if (this.#body !== undefined) return false;
    if (this.#relayed) throw new Error('the request body was already relayed');
    this.#relayed = true;
    this.#relay = to;
    const early = this.#early;
    this.#early = undefined;
    if (early !== undefined) {
      for (const chunk of early) {
        if (this.#relay !== to) return true;
        this.#relayChunk(to, chunk);
      }
    }
    if (this.#ended && this.#relay === to) {
      this.#relay = undefined;
      to.relayEnd();
    }
    return true;
  }

  stopRelay(): void {
    this.#relay = undefined;
  }

  headers(_fields: string[], endStream: boolean): void {
    // Request trailers: the body ends here.
    if (endStream) this.#end();
  }

  data(chunk: Buffer, endStream: boolean): void {
    if (chunk.length > 0) {
      const relay = this.#relay;
      if (relay !== undefined) this.#relayChunk(relay, chunk);
      else if (this.#body !== undefined) this.#push(chunk);
      else if (!this.#relayed) (this.#early ??= []).push(chunk);
    }
    if (endStream) this.#end();
  }

  reset(): void {
    this.#relay = undefined;
    if (this.#body !== undefined && !this.#ended) this.#body.destroy();
  }

  drain(): void {
    this.#exchange.notifyDrain();
  }

  close(): void {
    this.#exchange.notifyClose();
  }

  #push(chunk: Buffer): void {
    if (this.#body!.push(chunk)) this.#exchange.stream.consumed(chunk.length);
    else this.#owed += chunk.length;
  }

  #relayChunk(relay: BodyRelay, chunk: Buffer): void {
    // Credit held back once is held for every later chunk too, until the target has room.
    if (relay.relayData(chunk) && this.#owed === 0) this.#exchange.stream.consumed(chunk.length);
    else this.#owed += chunk.length;
  }

  /** The reader has room: credit what it held back. */
  credit(): void {
    const owed = this.#owed;
    if (owed === 0) return;
    this.#owed = 0;
    this.#exchange.stream.consumed(owed);
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const relay = this.#relay;
    if (relay !== undefined) {
      this.#relay = undefined;
      relay.relayEnd();
    } else this.#body?.push(null);
  }
}

/** HTTP/2 fields as node:http2's header record: lower-case names, repeated fields as arrays (cookies joined). */
function headerRecord(fields: readonly string[]): IncomingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    const prior = out[name];
    if (prior === undefined) out[name] = name === 'set-cookie' ? [value] : value;
    else if (Array.isArray(prior)) prior.push(value);
    else out[name] = name === 'cookie' ? `${prior}; ${value}` : [prior, value];
  }
  return out;
}

function responseFields(status: number, headers: OutgoingHttpHeaders): string[] {
  const fields = [':status', String(status)];
  appendFields(fields, headers);
  return fields;
}

function trailerFields(trailers: OutgoingHttpHeaders): string[] {
  const fields: string[] = [];
  appendFields(fields, trailers);
  return fields;
}

function appendFields(fields: string[], headers: OutgoingHttpHeaders): void {
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* ':' */) continue;
    const value = headers[name];
    if (value === undefined) continue;
    const lower = lowerName(name);
    if (Array.isArray(value)) for (const v of value) fields.push(lower, v);
    else fields.push(lower, String(value));
  }
}
