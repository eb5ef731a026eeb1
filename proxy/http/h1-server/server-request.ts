// An HTTP/1 request as the proxy's own server hands it to the stack: the parsed head, the client
// socket, and (only when the request has a body) the body as a Readable.
//
// Contract: `body` is undefined for a request without a body (no Content-Length or zero, not
// chunked), so the common GET costs no stream at all. The body stream applies backpressure to the
// client connection: while it is not read, the socket is paused. It ends when the whole body has
// arrived; it is destroyed when the client goes away first (`complete` stays false).

import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { RequestHead } from './request-head.ts';

export class H1ServerRequest {
  readonly method: string;
  /** The request target as received. */
  readonly url: string;
  readonly httpVersion: '1.0' | '1.1';
  readonly headers: IncomingHttpHeaders;
  readonly socket: Socket;
  readonly body: RequestBody | undefined;
  /** The whole request (head and body) has been received. */
  complete: boolean;
  /** The head's bytes as received (through its blank line) when RequestHead.plain, else undefined. */
  readonly rawHead: Buffer | undefined;

  constructor(head: RequestHead, socket: Socket, body: RequestBody | undefined, rawHead?: Buffer) {
    this.method = head.method;
    this.rawHead = rawHead;
    this.url = head.target;
    this.httpVersion = head.minor === 1 ? '1.1' : '1.0';
    this.headers = head.headers;
    this.socket = socket;
    this.body = body;
    this.complete = body === undefined;
  }
}

/** The body of one request; the connection pushes decoded bytes into it. */
export class RequestBody extends Readable {
  readonly #onRead: () => void;

  /** `onRead`: the reader wants more, resume reading the socket. */
  constructor(onRead: () => void) {
    super();
    this.#onRead = onRead;
  }

  override _read(): void {
    this.#onRead();
  }
}
