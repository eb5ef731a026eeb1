// Where a response read from an HTTP/2 upstream is written: an HTTP/2 client stream (h2 → h2), or an
// HTTP/1 client (HTTP/1 carried to a peer proxy over HTTP/2 with `l5d-orig-proto`, linkerd.md §4.5).
//
// Contract: respond() sends the head once (endStream: the response has no body); `body` is the
// writable the response body is piped into (ending it ends the response, trailers included);
// setTrailers() must be called before the body ends; reset() aborts the response mid-stream; onClose()
// fires once when the client side is gone or done and returns a function removing the listener.

import type { OutgoingHttpHeaders } from 'node:http';
import type { ServerHttp2Stream } from 'node:http2';
import { Writable } from 'node:stream';
import type { H1ServerResponse } from './h1-server/server.ts';

export interface ResponseSink {
  readonly body: Writable;
  /** The client is gone: nothing more can be written. */
  gone(): boolean;
  respond(status: number, headers: OutgoingHttpHeaders, endStream: boolean): void;
  setTrailers(trailers: OutgoingHttpHeaders): void;
  /** Ends the response abruptly (HTTP/2: RST_STREAM with `code`; HTTP/1: the connection closes). */
  reset(code: number): void;
  onClose(fn: () => void): () => void;
}

export function h2Sink(stream: ServerHttp2Stream): ResponseSink {
  let trailers: OutgoingHttpHeaders | undefined;
  let listening = false;
  // Without upstream trailers, an empty trailing HEADERS frame ends the stream cleanly (close()
  // would reset it with NO_ERROR instead of END_STREAM, which clients count as failed).
  const onWantTrailers = (): void => stream.sendTrailers(trailers ?? {});
  return {
    body: stream,
    gone: () => stream.destroyed || stream.closed,
    respond(status, headers, endStream) {
      if (endStream) {
        stream.respond({ ...headers, ':status': status }, { endStream: true });
        return;
      }
      if (!listening) {
        listening = true;
        stream.once('wantTrailers', onWantTrailers);
      }
      stream.respond({ ...headers, ':status': status }, { waitForTrailers: true });
    },
    setTrailers(t) {
      trailers = t;
    },
    reset(code) {
      if (!stream.closed) stream.close(code);
    },
    onClose(fn) {
      stream.once('close', fn);
      return () => {
        stream.removeListener('close', fn);
        stream.removeListener('wantTrailers', onWantTrailers);
      };
    },
  };
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
