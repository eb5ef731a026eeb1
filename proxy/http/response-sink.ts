// Where a response read from an HTTP/2 upstream is written: an HTTP/2 client stream (h2 → h2), or an
// HTTP/1 client (HTTP/1 carried to a peer proxy over HTTP/2 with `l5d-orig-proto`, linkerd.md §4.5).
//
// Contract: respond() sends the head once (endStream: the response has no body) and may take
// `headers` over (the caller passes a fresh object); `body` is what the response body is written
// into (write() false means wait for its 'drain'; ending it ends the response, trailers included;
// `destroyed` once nothing more can be written); setTrailers() must be called before
// the body ends; respondWhole() instead of all of that sends a response that is already complete;
// reset() aborts the response mid-stream; onClose() fires once when the client side is gone or done
// and returns a function removing the listener.

import type { OutgoingHttpHeaders } from 'node:http';
import type { H1ServerResponse } from './h1-server/server.ts';
import type { H2ServerExchange } from './h2-server-exchange.ts';

/** What a forwarder writes a response body into: a Node Writable, or an HTTP/2 exchange's body. */
export interface SinkBody {
  readonly destroyed: boolean;
  /** false: wait for 'drain'. */
  write(chunk: Buffer): boolean;
  /** Ends the response (trailers set with setTrailers go out with it). */
  end(): void;
  once(event: 'drain', fn: () => void): unknown;
  removeListener(event: 'drain', fn: () => void): unknown;
}

export interface ResponseSink {
  readonly body: SinkBody;
  /** The client is gone: nothing more can be written. */
  gone(): boolean;
  respond(status: number, headers: OutgoingHttpHeaders, endStream: boolean): void;
  /** Head, body (undefined: none) and trailers of a complete response, sent at once. */
  respondWhole(
    status: number,
    headers: OutgoingHttpHeaders,
    body: Buffer | undefined,
    trailers: OutgoingHttpHeaders | undefined,
  ): void;
  setTrailers(trailers: OutgoingHttpHeaders): void;
  /** Ends the response abruptly (HTTP/2: RST_STREAM with `code`; HTTP/1: the connection closes). */
  reset(code: number): void;
  onClose(fn: () => void): () => void;
}

export function h2Sink(exchange: H2ServerExchange): ResponseSink {
  return new H2Sink(exchange);
}

/** One per request, with its body: methods on the prototype, no closures. */
class H2Sink implements ResponseSink, SinkBody {
  readonly #exchange: H2ServerExchange;
  #trailers: OutgoingHttpHeaders | undefined;

  constructor(exchange: H2ServerExchange) {
    this.#exchange = exchange;
  }

  get body(): SinkBody {
    return this;
  }

  get destroyed(): boolean {
    return this.#exchange.closed;
  }

  gone(): boolean {
    return this.#exchange.closed;
  }

  respond(status: number, headers: OutgoingHttpHeaders, endStream: boolean): void {
    this.#exchange.respond(status, headers, endStream);
  }

  respondWhole(
    status: number,
    headers: OutgoingHttpHeaders,
    body: Buffer | undefined,
    trailers: OutgoingHttpHeaders | undefined,
  ): void {
    const empty = body === undefined || body.length === 0;
    // No trailers: END_STREAM on the last DATA frame (or on the HEADERS when there is no body).
    this.#exchange.respond(status, headers, empty && trailers === undefined);
    if (!empty || trailers !== undefined) this.#exchange.end(empty ? undefined : body, trailers);
  }

  setTrailers(t: OutgoingHttpHeaders): void {
    this.#trailers = t;
  }

  write(chunk: Buffer): boolean {
    return this.#exchange.write(chunk);
  }

  end(): void {
    this.#exchange.end(undefined, this.#trailers);
  }

  once(_event: 'drain', fn: () => void): this {
    this.#exchange.onDrain(fn);
    return this;
  }

  removeListener(_event: 'drain', fn: () => void): this {
    this.#exchange.offDrain(fn);
    return this;
  }

  reset(code: number): void {
    this.#exchange.resetStream(code);
  }

  onClose(fn: () => void): () => void {
    return this.#exchange.onClose(fn);
  }
}

/** HTTP/1 response headers may not carry HTTP/2-only or connection-specific fields. */
const NOT_FOR_H1 = new Set(['l5d-orig-proto', 'transfer-encoding', 'connection', 'keep-alive']);

export function h1Sink(res: H1ServerResponse): ResponseSink {
  return new H1Sink(res);
}

/**
 * One per request, like H2Sink: the response itself is the body (its write() returning false and
 * its 'drain' are the back-pressure), so no stream object and no closures per request.
 */
class H1Sink implements ResponseSink, SinkBody {
  readonly #res: H1ServerResponse;

  constructor(res: H1ServerResponse) {
    this.#res = res;
  }

  get body(): SinkBody {
    return this;
  }

  /** Nothing more can be written: the response ended or its connection went away. */
  get destroyed(): boolean {
    return this.#res.destroyed || this.#res.writableEnded;
  }

  gone(): boolean {
    return this.destroyed;
  }

  respond(status: number, headers: OutgoingHttpHeaders, endStream: boolean): void {
    const out: OutgoingHttpHeaders = {};
    for (const name in headers) if (!NOT_FOR_H1.has(name) && name[0] !== ':') out[name] = headers[name];
    this.#res.writeHead(status, out);
    if (endStream) this.#res.end();
  }

  respondWhole(
    status: number,
    headers: OutgoingHttpHeaders,
    body: Buffer | undefined,
    trailers: OutgoingHttpHeaders | undefined,
  ): void {
    this.respond(status, headers, false);
    if (trailers !== undefined) this.setTrailers(trailers);
    this.#res.end(body);
  }

  setTrailers(t: OutgoingHttpHeaders): void {
    const list: [string, string][] = [];
    for (const [name, value] of Object.entries(t)) {
      if (value === undefined || name[0] === ':') continue;
      if (Array.isArray(value)) for (const v of value) list.push([name, v]);
      else list.push([name, String(value)]);
    }
    if (list.length > 0) this.#res.addTrailers(list);
  }

  write(chunk: Buffer): boolean {
    return this.#res.write(chunk);
  }

  end(): void {
    this.#res.end();
  }

  once(_event: 'drain', fn: () => void): this {
    this.#res.once('drain', fn);
    return this;
  }

  removeListener(_event: 'drain', fn: () => void): this {
    this.#res.removeListener('drain', fn);
    return this;
  }

  reset(): void {
    this.#res.destroy();
  }

  onClose(fn: () => void): () => void {
    const res = this.#res;
    res.once('close', fn);
    return () => res.removeListener('close', fn);
  }
}
