// One HTTP/2 stream of an H2Connection (connection.ts): a request/response exchange with its own
// flow-control windows and send queue. Deliberately not a Node stream: the proxy relays frames
// between two connections, and a Duplex with its buffering, events and ticks per stream is what
// makes node:http2 cost ~85 µs per request (ADR 0020).
//
// Contract: received data and trailers reach `handler`; the receiver returns flow-control credit
// with consumed(n) once it has passed the bytes on (the connection sends WINDOW_UPDATE in
// batches), so a slow reader bounds what the peer may send. Sending: respond() (server role) or
// the connection's request() (client role) sends the head; write() queues DATA that goes out as
// the peer's windows allow and returns false while more than HIGH_WATER bytes wait (then
// handler.drain() follows); end() ends the stream, with trailers sent after all queued data. Every
// method is a no-op on a closed stream. handler.reset() is called at most once, and never after a
// normal end of both sides.

import type { H2StreamOwner } from './stream-owner.ts';

export interface H2StreamHandler {
  /** Client role: the final response head (fields include :status). Both roles: trailers, with endStream true. */
  headers(fields: string[], endStream: boolean, neverIndexed: readonly number[]): void;
  /** Client role: a 1xx interim response. */
  informational?(fields: string[]): void;
  /**
   * A DATA payload (maybe empty when only END_STREAM arrives): a slice of the socket's read, which
   * Node allocates per read, so it stays valid for as long as it is referenced.
   */
  data(chunk: Buffer, endStream: boolean): void;
  /** The stream ended before both sides finished: reset by the peer (`code`), or the connection ended (`err`). */
  reset(code: number, err: Error | undefined): void;
  /** Room again after write() returned false. */
  drain?(): void;
  /** The stream is closed (both sides ended, or reset): called once, after reset() when there was one. */
  close?(): void;
  /**
   * Called once after the frames of one read were handled, when any of them reached this handler:
   * the point to pass on what that read delivered in one step (a small response arrives whole).
   */
  flush?(): void;
}

/** Bytes queued on a stream (beyond its flow-control window) before write() asks the caller to wait. */
export const HIGH_WATER = 64 * 1024;

const IGNORE: H2StreamHandler = {
  headers() {},
  data() {},
  reset() {},
};

export class H2Stream {
  readonly id: number;
  handler: H2StreamHandler = IGNORE;
  /** Bytes we may still send (the peer's window for this stream). */
  sendWindow: number;
  /** Bytes the peer may still send us before our next WINDOW_UPDATE. */
  recvWindow: number;
  /** Bytes consumed by the receiver and not yet returned to the peer. */
  recvUnacked = 0;
  /** Bytes delivered to the handler and not yet consumed. */
  recvHeld = 0;
  /** Client role: the request was HEAD, so the response's content-length binds no body. */
  noResponseBody = false;
  /** DATA waiting for flow-control window (or for the socket). */
  readonly pending: Buffer[] = [];
  pendingBytes = 0;
  /** END_STREAM to send once `pending` is out (with trailers when set). */
  pendingEnd = false;
  pendingTrailers: readonly string[] | undefined;
  /** We sent END_STREAM (or reset). */
  localEnded = false;
  /** The peer sent END_STREAM (or reset). */
  remoteEnded = false;
  closed = false;
  /** Head sent (server role: response; client role: request). */
  headSent = false;
  /** Head received (server role: request; client role: final response). */
  headReceived = false;
  /** content-length the peer declared for its message body (-1: none). */
  expectedLength = -1;
  receivedLength = 0;
  /** write() returned false: call handler.drain() when the queue falls below HIGH_WATER. */
  needDrain = false;
  /** Whether this stream waits in the connection's list of streams blocked on its window. */
  blockedOnConnection = false;
  /** Whether the current read delivered something to this stream (see H2StreamHandler.flush). */
  touched = false;
  readonly #owner: H2StreamOwner;

  constructor(owner: H2StreamOwner, id: number, sendWindow: number, recvWindow: number) {
    this.#owner = owner;
    this.id = id;
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
  }

  /** Server role: sends the response head; `endStream` for a response without body. */
  respond(fields: readonly string[], endStream = false, neverIndexed?: readonly number[]): void {
    if (this.closed || this.headSent) return;
    this.headSent = true;
    if (endStream) this.localEnded = true;
    this.#owner.headers(this, fields, endStream, neverIndexed);
  }

  /** Server role: a 1xx interim response (e.g. 100 Continue). */
  informational(fields: readonly string[]): void {
    if (this.closed || this.headSent) return;
    this.#owner.headers(this, fields, false, undefined);
  }

  /** Queues DATA; false when the caller should wait for handler.drain(). */
  write(chunk: Buffer): boolean {
    if (this.closed || this.localEnded || this.pendingEnd) return false;
    if (chunk.length > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      this.#owner.flush(this);
    }
    if (this.pendingBytes > HIGH_WATER) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  /** Ends our side: after `chunk` (if any) and all queued data, END_STREAM (on trailers when given). */
  end(chunk?: Buffer, trailers?: readonly string[]): void {
    if (this.closed || this.localEnded || this.pendingEnd) return;
    if (chunk !== undefined && chunk.length > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    this.pendingEnd = true;
    if (trailers !== undefined && trailers.length > 0) this.pendingTrailers = trailers;
    this.#owner.flush(this);
  }

  /**
   * Resets the stream (RST_STREAM with `code`, default CANCEL); the handler hears nothing more. A
   * stream both sides have ended is not reset (it closes as it is).
   */
  reset(code = 0x8): void {
    if (this.closed || (this.localEnded && this.remoteEnded)) return;
    this.#owner.reset(this, code);
  }

  /** The receiver passed `n` received bytes on: their flow-control credit may go back to the peer. */
  consumed(n: number): void {
    if (n > 0) this.#owner.consumed(this, n);
  }
}
