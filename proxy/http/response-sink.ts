// Where a response read from an HTTP/2 upstream is written: an HTTP/2 client stream (h2 → h2), or an
// HTTP/1 client (HTTP/1 carried to a peer proxy over HTTP/2 with `l5d-orig-proto`, linkerd.md §4.5).
//
// Contract: respond() sends the head once (endStream: the response has no body) and may take
// `headers` over (the caller passes a fresh object); `body` is the writable the response body is
// written into (ending it ends the response, trailers included); setTrailers() must be called before
// the body ends; respondWhole() instead of all of that sends a response that is already complete;
// reset() aborts the response mid-stream; onClose() fires once when the client side is gone or done
// and returns a function removing the listener.

import type { OutgoingHttpHeaders } from 'node:http';
import type { ServerHttp2Stream } from 'node:http2';
import { Writable } from 'node:stream';
import type { H1ServerResponse } from './h1-server/server.ts';

export interface ResponseSink {
  readonly body: Writable;
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

export function h2Sink(stream: ServerHttp2Stream): ResponseSink {
  return new H2Sink(stream);
}

/** One per request: methods on the prototype (one object and two closures per request, not seven closures). */
class H2Sink implements ResponseSink {
  readonly body: ServerHttp2Stream;
  #trailers: OutgoingHttpHeaders | undefined;
  #listening = false;
  #onClose: (() => void) | undefined;
  // Without upstream trailers, an empty trailing HEADERS frame ends the stream cleanly (close()
  // would reset it with NO_ERROR instead of END_STREAM, which clients count as failed).
  readonly #onWantTrailers = (): void => this.body.sendTrailers(this.#trailers ?? {});

  constructor(stream: ServerHttp2Stream) {
    this.body = stream;
  }

  gone(): boolean {
    return this.body.destroyed || this.body.closed;
  }

  respond(status: number, headers: OutgoingHttpHeaders, endStream: boolean): void {
    headers[':status'] = status;
    if (endStream) {
      this.body.respond(headers, { endStream: true });
      return;
    }
    if (!this.#listening) {
      this.#listening = true;
      this.body.once('wantTrailers', this.#onWantTrailers);
    }
    this.body.respond(headers, { waitForTrailers: true });
  }

  respondWhole(
    status: number,
    headers: OutgoingHttpHeaders,
    body: Buffer | undefined,
    trailers: OutgoingHttpHeaders | undefined,
  ): void {
    if (trailers !== undefined) {
      this.#trailers = trailers;
      this.respond(status, headers, false);
      // respond() already ended a 204/304/HEAD response.
      if (!this.body.writableEnded) this.body.end(body);
      return;
    }
    headers[':status'] = status;
    // No trailers: END_STREAM on the last DATA frame (or on the HEADERS when there is no body).
    if (body === undefined || body.length === 0) this.body.respond(headers, { endStream: true });
    else {
      this.body.respond(headers);
      if (!this.body.writableEnded) this.body.end(body);
    }
  }

  setTrailers(t: OutgoingHttpHeaders): void {
    this.#trailers = t;
  }

  reset(code: number): void {
    if (!this.body.closed) this.body.close(code);
  }

  onClose(fn: () => void): () => void {
    this.#onClose = fn;
    this.body.on('close', fn);
    return () => this.#off();
  }

  #off(): void {
    if (this.#onClose !== undefined) this.body.removeListener('close', this.#onClose);
    this.#onClose = undefined;
    if (this.#listening) this.body.removeListener('wantTrailers', this.#onWantTrailers);
  }
}

/** HTTP/1 response headers may not carry HTTP/2-only or connection-specific fields. */
const NOT_FOR_H1 = new Set(['l5d-orig-proto', 'transfer-encoding', 'connection', 'keep-alive']);

export function h1Sink(res: H1ServerResponse): ResponseSink {
  // The response as a Writable, so an HTTP/2 upstream stream can be piped into it.
  const body = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (res.write(chunk) || res.destroyed) callback();
      else res.once('drain', () => callback());
    },
    final(callback) {
      if (res.writableEnded || res.destroyed) callback();
      else res.end(undefined, () => callback());
    },
  });
  res.once('close', () => {
    if (!body.destroyed) body.destroy();
  });
  return {
    body,
    gone: () => res.destroyed || res.writableEnded,
    respond(status, headers, endStream) {
      const out: OutgoingHttpHeaders = {};
      for (const name in headers) if (!NOT_FOR_H1.has(name) && name[0] !== ':') out[name] = headers[name];
      res.writeHead(status, out);
      if (endStream) res.end();
    },
    respondWhole(status, headers, body, trailers) {
      this.respond(status, headers, false);
      if (trailers !== undefined) this.setTrailers(trailers);
      res.end(body);
    },
    setTrailers(t) {
      const list: [string, string][] = [];
      for (const [name, value] of Object.entries(t)) {
        if (value === undefined || name[0] === ':') continue;
        if (Array.isArray(value)) for (const v of value) list.push([name, v]);
        else list.push([name, String(value)]);
      }
      if (list.length > 0) res.addTrailers(list);
    },
    reset() {
      res.destroy();
    },
    onClose(fn) {
      res.once('close', fn);
      return () => res.removeListener('close', fn);
    },
  };
}
