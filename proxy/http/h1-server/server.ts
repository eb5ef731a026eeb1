// The proxy's own HTTP/1.1 server (instead of node:http's): connections handed over after protocol
// detection are read by H1ServerConnection, and every request reaches the handlers with a response
// object that writes straight to the socket. It exists for speed: node:http's server spends most of
// a proxied request's time in per-request objects, streams and listeners (docs/performance.md).
//
// Contract: accept() takes a connected socket (plain or TLS, possibly with bytes pushed back into
// it); one sweep timer per server checks every connection's deadlines (see connection.ts) on a
// period of a quarter of the shortest deadline (25 ms to 1 s). drain() makes every later response
// close its connection; closeIdleConnections() closes connections between requests; close() stops
// the sweep and closes idle connections (busy ones finish their exchange).

import type { Socket } from 'node:net';
import { H1ServerConnection, type ConnectionOwner, type H1ServerHandlers, type H1ServerLimits } from './connection.ts';
import { performance } from 'node:perf_hooks';

export type { H1ServerHandlers, H1ServerLimits } from './connection.ts';
export { H1ServerRequest, RequestBody } from './server-request.ts';
export { H1ServerResponse } from './server-response.ts';

export class H1Server implements ConnectionOwner {
  readonly limits: H1ServerLimits;
  readonly handlers: H1ServerHandlers;
  readonly #connections = new Set<H1ServerConnection>();
  readonly #sweepMs: number;
  #timer: NodeJS.Timeout | undefined;
  #draining = false;
  #closed = false;

  constructor(limits: H1ServerLimits, handlers: H1ServerHandlers) {
    this.limits = limits;
    this.handlers = handlers;
    const shortest = Math.min(limits.headersTimeoutMs, limits.bodyIdleTimeoutMs);
    this.#sweepMs = Math.max(25, Math.min(shortest / 4, 1_000));
  }

  get connections(): number {
    return this.#connections.size;
  }

  accept(socket: Socket): void {
    this.#connections.add(new H1ServerConnection(socket, this));
    if (this.#timer === undefined && !this.#closed) {
      this.#timer = setInterval(() => this.#sweep(), this.#sweepMs);
      this.#timer.unref();
    }
  }

  draining(): boolean {
    return this.#draining;
  }

  drain(): void {
    this.#draining = true;
  }

  closeIdleConnections(): void {
    for (const conn of this.#connections) conn.closeIfIdle();
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.closeIdleConnections();
  }

  removed(conn: H1ServerConnection): void {
    this.#connections.delete(conn);
  }

  #sweep(): void {
    if (this.#connections.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      return;
    }
    const now = performance.now();
    for (const conn of this.#connections) conn.check(now);
  }
}
