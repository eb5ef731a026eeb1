// One HTTP/2 connection to one gRPC server, shared by every call to that address.
//
// Contract:
// - Lazy: nothing connects until the first acquire(). Every call made while the connection is
//   being set up waits for the same attempt; a live session is handed out at once.
// - One H2Connection (the proxy's own HTTP/2, ADR 0020) at a time. It is dropped (the next
//   acquire() reconnects) when it closes, errors, or receives GOAWAY (calls already on it finish
//   there; it closes after them).
// - Plaintext over node:net, or TLS over node:tls with ALPN h2, SNI = the server's identity name,
//   the trust anchors as the only CAs, and checkPeerIdentity(serverName, cert) as the identity
//   check. No client certificate is presented.
// - A connection that cannot be established fails every waiting call with UNAVAILABLE and a message
//   saying what failed; when the TCP connection was up and the TLS handshake or the identity check
//   failed, `tlsProblem` says why. An attempt that takes longer than connectTimeoutMs fails too.
// - The session is ref'd only while calls are open, and closed after idleTimeoutMs without calls.
// - Keepalive, as Linkerd's proxy keeps its HTTP/2 connections (interval 10 s, timeout 3 s): while
//   calls are open, an HTTP/2 PING every keepaliveIntervalMs; one not acknowledged within
//   keepaliveTimeoutMs destroys the session, so the calls on it end UNAVAILABLE ("no PING
//   acknowledgement") instead of waiting forever on a peer that vanished without closing (a
//   crashed node, a dropped route), and the next call reconnects. TCP keepalive is on as well.
// - close() is final: it ends every tracked call with CANCELLED and destroys the session.

import { connect as netConnect, type Socket } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { HostPort } from '../../src/config/index.ts';
import { nodeTls } from '../../src/net/index.ts';
import { checkPeerIdentity } from '../../src/tls/index.ts';
import { H2Connection } from '../h2/index.ts';
import type { CallStatus } from './errors.ts';

export interface ConnectorTls {
  /** The server's identity name: the DNS SAN its certificate must carry, the SNI and :authority. */
  readonly serverName: string;
  /** The trust anchors (PEM) the server's certificate must chain to. */
  readonly trustAnchorsPem: string;
}

export interface ConnectorOptions {
  readonly address: HostPort;
  /** TLS verified against the server's identity; plaintext when absent. */
  readonly tls?: ConnectorTls;
  /** How long a connection attempt may take (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** How long a connection with no calls stays open (default 5 min). */
  readonly idleTimeoutMs?: number;
  /** HTTP/2 PING interval while calls are open (default 10 s). */
  readonly keepaliveIntervalMs?: number;
  /** How long a PING may go unacknowledged before the connection is dropped (default 3 s). */
  readonly keepaliveTimeoutMs?: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 10_000;
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 3_000;

/** What a call gets from acquire(): the session, or the status to end with. */
export type Acquired =
  | { readonly kind: 'session'; readonly session: H2Connection }
  | { readonly kind: 'failed'; readonly status: CallStatus };

/** A call the connector can end when it is closed. */
export interface TrackedCall {
  cancelWith(status: CallStatus): void;
}

interface Attempt {
  readonly session: H2Connection;
  readonly waiters: ((result: Acquired) => void)[];
}

export class Connector {
  /** host:port, for messages and logs. */
  readonly target: string;
  /** The :authority of requests: the server name with TLS, else host:port. */
  readonly authority: string;
  readonly scheme: 'http' | 'https';
  readonly #opts: ConnectorOptions;
  readonly #calls = new Set<TrackedCall>();
  #session: H2Connection | undefined;
  #attempt: Attempt | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(opts: ConnectorOptions) {
    this.#opts = opts;
    const { host, port } = opts.address;
    this.target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    this.authority = opts.tls?.serverName ?? this.target;
    this.scheme = opts.tls === undefined ? 'http' : 'https';
  }

  /** Hands `done` a session to open a stream on, connecting first when there is none. */
  acquire(done: (result: Acquired) => void): void {
    if (this.#closed) {
      queueMicrotask(() => done({ kind: 'failed', status: { code: 'CANCELLED', message: 'the channel is closed' } }));
      return;
    }
    const session = this.#session;
    if (session !== undefined && session.availableStreams > 0) {
      done({ kind: 'session', session });
      return;
    }
    this.#session = undefined;
    (this.#attempt ??= this.#connect()).waiters.push(done);
  }

  track(call: TrackedCall): void {
    this.#calls.add(call);
    if (this.#idleTimer !== undefined) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
    }
    this.#session?.socket.ref();
  }

  untrack(call: TrackedCall): void {
    if (this.#calls.delete(call)) this.#idle();
  }

  /** With no calls open: unref the session and close it after the idle timeout. */
  #idle(): void {
    const session = this.#session;
    if (this.#calls.size > 0 || session === undefined || this.#closed || this.#idleTimer !== undefined) return;
    session.socket.unref();
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#calls.size === 0 && this.#session === session) {
        this.#session = undefined;
        session.close();
      }
    }, this.#opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
    this.#idleTimer.unref();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    const cancelled: CallStatus = { code: 'CANCELLED', message: 'the channel was closed' };
    for (const call of [...this.#calls]) call.cancelWith(cancelled);
    this.#calls.clear();
    const attempt = this.#attempt;
    this.#attempt = undefined;
    if (attempt !== undefined) {
      for (const waiter of attempt.waiters.splice(0)) waiter({ kind: 'failed', status: cancelled });
      attempt.session.destroy();
    }
    this.#session?.destroy();
    this.#session = undefined;
  }

  #connect(): Attempt {
    const { host, port } = this.#opts.address;
    const tls = this.#opts.tls;
    let tcpUp = false;
    let secured = false;
    const socket: Socket | TLSSocket =
      tls === undefined
        ? netConnect({ host, port })
        : nodeTls.connect({
            host,
            port,
            servername: tls.serverName,
            ca: tls.trustAnchorsPem,
            ALPNProtocols: ['h2'],
            checkServerIdentity: (_host: string, cert: PeerCertificate) => checkPeerIdentity(tls.serverName, cert),
          });
    socket.once('connect', () => {
      tcpUp = true;
      socket.setKeepAlive(true, this.#opts.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS);
    });
    let failure: Error | undefined;
    const session: H2Connection = new H2Connection(
      socket,
      {
        goaway: () => this.#drop(session),
        close: (err) => {
          failure ??= err;
          this.#drop(session);
          settle({ kind: 'failed', status: this.#connectFailure(failure, tls !== undefined && tcpUp && !secured) });
        },
      },
      { role: 'client' },
    );
    const attempt: Attempt = { session, waiters: [] };
    const timeoutMs = this.#opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const timer = setTimeout(() => session.destroy(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    const settle = (result: Acquired): void => {
      clearTimeout(timer);
      if (this.#attempt !== attempt) return;
      this.#attempt = undefined;
      if (result.kind === 'session') this.#session = session;
      for (const waiter of attempt.waiters.splice(0)) waiter(result);
      this.#idle();
    };
    // Frames queue in the socket while it connects; the session is handed out once the transport is up.
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
      secured = true;
      if (tls !== undefined && (socket as TLSSocket).alpnProtocol !== 'h2') {
        session.destroy(new Error('the server did not agree to HTTP/2 in the TLS handshake (ALPN)'));
        return;
      }
      settle({ kind: 'session', session });
      this.#keepAlive(session);
    });
    session.start();
    return attempt;
  }

  /** PINGs `session` while calls are open; destroys it when one is not acknowledged in time. */
  #keepAlive(session: H2Connection): void {
    const intervalMs = this.#opts.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS;
    const timeoutMs = this.#opts.keepaliveTimeoutMs ?? DEFAULT_KEEPALIVE_TIMEOUT_MS;
    let waiting: NodeJS.Timeout | undefined;
    const interval = setInterval(() => {
      if (waiting !== undefined || this.#calls.size === 0 || session.closed) return;
      waiting = setTimeout(
        () =>
          session.destroy(
            new Error(`no HTTP/2 PING acknowledgement from ${this.target} within ${timeoutMs} ms (keepalive)`),
          ),
        timeoutMs,
      );
      waiting.unref();
      session.ping(() => {
        clearTimeout(waiting);
        waiting = undefined;
      });
    }, intervalMs);
    interval.unref();
    session.socket.once('close', () => {
      clearInterval(interval);
      clearTimeout(waiting);
    });
  }

  #drop(session: H2Connection): void {
    if (this.#session === session) this.#session = undefined;
  }

  #connectFailure(err: Error | undefined, duringHandshake: boolean): CallStatus {
    const why = err === undefined ? 'the connection closed before it was established' : describe(err);
    if (duringHandshake) {
      return {
        code: 'UNAVAILABLE',
        message: `the TLS handshake with ${this.target} (expecting ${this.authority}) failed: ${why}`,
        tlsProblem: why,
      };
    }
    return { code: 'UNAVAILABLE', message: `could not connect to ${this.target}: ${why}` };
  }
}

/** An error's message; OpenSSL's terse reason and code instead of its whole error string. */
function describe(err: Error): string {
  const { reason, code } = err as { reason?: unknown; code?: unknown };
  if (typeof reason === 'string' && typeof code === 'string' && code.startsWith('ERR_SSL_'))
    return `${reason} (${code})`;
  return err.message;
}
