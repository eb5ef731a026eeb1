// The proxy's control listener (NODEMESH_PROXY_CONTROL_LISTEN_ADDR, default 0.0.0.0:4190) and the
// one thing it serves: GET /tap, a stream of the proxy's finished requests as newline-delimited
// JSON (ADR 0013, "Tap"; the lines are src/api/tap-event.ts).
//
// Contract: a connection whose first byte is 0x16 is TLS: terminated with the proxy's current
// certificate, asking for a client certificate judged against the trust anchors (as the inbound
// side does: peer-identity.ts); any other first byte is plaintext HTTP/1.1. Every request is then
// judged by decideTapAccess (403 with the reason). GET /tap answers 400 naming a bad parameter,
// 503 when NODEMESH_PROXY_TAP_MAX_SESSIONS are open, else 200 application/x-ndjson and the stream;
// other paths 404, other methods 405. close() stops accepting, ends every stream with an `end`
// line and closes what is left within a second.

import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SecureContext } from 'node:tls';
import type { SocketAddress } from '../../src/config/index.ts';
import type { Logger } from '../../src/log/index.ts';
import { nodeHttp, nodeTls } from '../../src/net/index.ts';
import { authenticatePeer, type PeerAuthentication } from '../tls/peer-identity.ts';
import { ProxyListener } from '../transport/listener.ts';
import { plainAddress } from '../transport/original-dst.ts';
import { decideTapAccess } from './tap-access.ts';
import type { TapHub, TapSink } from './tap-hub.ts';
import { parseTapQuery } from './tap-query.ts';

export interface TapServerOptions {
  readonly address: SocketAddress;
  readonly hub: TapHub;
  /** NODEMESH_PROXY_TAP_MAX_RATE: the highest rate a session may ask for. */
  readonly maxRate: number;
  /** NODEMESH_PROXY_TAP_AUTHORIZED_IDENTITIES: who may tap from off the loopback, over mTLS. */
  readonly authorizedIdentities: readonly string[];
  /** The proxy's current TLS server context (its certificate, the trust anchors); undefined without one. */
  readonly secureContext: () => SecureContext | undefined;
  readonly log: Logger;
  /** How long a client may take to send its first byte and finish a TLS handshake (default 10 s). */
  readonly handshakeTimeoutMs?: number;
}

const TLS_HANDSHAKE_RECORD = 0x16;
/** Bytes a slow tap client may have unread before request lines are dropped for it. */
const STREAM_BACKLOG_BYTES = 256 * 1024;
const CLOSE_GRACE_MS = 1000;

export class TapServer {
  readonly #opts: TapServerOptions;
  readonly #authorized: ReadonlySet<string>;
  readonly #listener: ProxyListener;
  readonly #http: Server;
  /** What TLS established for each connection handed to the HTTP server (absent: plaintext). */
  readonly #tls = new WeakMap<object, PeerAuthentication>();
  #closing = false;

  constructor(opts: TapServerOptions) {
    this.#opts = opts;
    this.#authorized = new Set(opts.authorizedIdentities);
    this.#listener = new ProxyListener('control', (socket) => void this.#onConnection(socket));
    this.#http = nodeHttp.createServer({ keepAliveTimeout: 5000, headersTimeout: 10_000, requestTimeout: 0 });
    this.#http.on('request', (req: IncomingMessage, res: ServerResponse) => this.#handle(req, res));
    this.#http.on('clientError', (_err: Error, socket: Socket) => socket.destroy());
    // node:http arms its header deadline on 'listening'; connections are handed to it instead.
    this.#http.emit('listening');
  }

  /** Binds the control address; `setting` names the variable that chose it, for the error message. */
  start(setting?: string): Promise<SocketAddress> {
    return this.#listener.listen(this.#opts.address, setting);
  }

  async close(): Promise<void> {
    this.#closing = true;
    const drained = this.#listener.close();
    this.#opts.hub.closeAll('shutdown');
    this.#http.closeIdleConnections();
    await Promise.race([drained, sleep(CLOSE_GRACE_MS, undefined, { ref: false })]);
    this.#listener.destroyAll();
    this.#http.close();
  }

  async #onConnection(socket: Socket): Promise<void> {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    const timeoutMs = this.#opts.handshakeTimeoutMs ?? 10_000;
    const first = await firstByte(socket, timeoutMs);
    if (first === undefined) {
      socket.destroy();
      return;
    }
    if (first !== TLS_HANDSHAKE_RECORD) {
      this.#serve(socket);
      return;
    }
    const secureContext = this.#opts.secureContext();
    if (secureContext === undefined) {
      this.#opts.log.info(
        { peer: socket.remoteAddress },
        'closing a TLS connection to the control port: this proxy has no certificate',
      );
      socket.destroy();
      return;
    }
    const tlsSocket = new nodeTls.TLSSocket(socket, {
      isServer: true,
      secureContext,
      requestCert: true,
      rejectUnauthorized: false,
    });
    tlsSocket.on('error', () => undefined);
    socket.resume();
    const secure = await Promise.race([
      once(tlsSocket, 'secure').then(() => true),
      once(tlsSocket, 'close').then(() => false),
      sleep(timeoutMs, false, { ref: false }),
    ]);
    if (!secure) {
      tlsSocket.destroy();
      return;
    }
    this.#tls.set(tlsSocket, authenticatePeer(tlsSocket));
    this.#serve(tlsSocket);
  }

  #serve(socket: Socket): void {
    this.#http.emit('connection', socket);
    socket.resume();
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://control.invalid');
    if (url.pathname !== '/tap') {
      answer(res, 404, { error: 'not_found', reason: 'the control port serves GET /tap only' });
      return;
    }
    if (req.method !== 'GET') {
      answer(res, 405, { error: 'method_not_allowed', reason: 'use GET /tap' }, { allow: 'GET' });
      return;
    }
    const peer = plainAddress(req.socket.remoteAddress ?? '');
    const tls = this.#tls.get(req.socket);
    const decision = decideTapAccess({ peer, tls }, this.#authorized);
    if (!decision.allowed) {
      this.#opts.log.info({ peer, reason: decision.reason }, 'tap refused');
      answer(res, 403, { error: 'forbidden', reason: decision.reason });
      return;
    }
    const parsed = parseTapQuery(url.searchParams, { maxRate: this.#opts.maxRate });
    if (parsed.kind === 'bad') {
      const { parameter, value, allowed } = parsed.problem;
      answer(res, 400, {
        error: 'bad_request',
        parameter,
        value,
        allowed,
        reason: `${parameter}=${JSON.stringify(value)} is not allowed; allowed: ${allowed}`,
      });
      return;
    }
    if (this.#closing) {
      answer(res, 503, { error: 'shutting_down', reason: 'the proxy is shutting down' });
      return;
    }
    const { filter, limit, rate } = parsed.query;
    const session = this.#opts.hub.open({ filter, limit, rate, sink: responseSink(res) });
    if (session === undefined) {
      const max = this.#opts.hub.maxSessions;
      answer(res, 503, {
        error: 'too_many_sessions',
        reason:
          max === 0
            ? 'tap is turned off on this proxy (NODEMESH_PROXY_TAP_MAX_SESSIONS=0)'
            : `${max} tap sessions are open already (NODEMESH_PROXY_TAP_MAX_SESSIONS); try again later`,
      });
      return;
    }
    // Nothing can be published between open() and here: this runs to completion first.
    res.writeHead(200, {
      'content-type': 'application/x-ndjson',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'nodemesh-tap-rate': String(rate),
      connection: 'close',
    });
    res.flushHeaders();
    res.once('close', () => {
      session.close();
      this.#opts.log.info({ peer, delivered: session.delivered, dropped: session.droppedTotal }, 'tap session ended');
    });
    this.#opts.log.info(
      { peer, identity: tls?.kind === 'authenticated' ? tls.identity : undefined, filter, limit, rate },
      'tap session started',
    );
  }
}

function responseSink(res: ServerResponse): TapSink {
  return {
    offer: (line) => {
      if (res.writableLength > STREAM_BACKLOG_BYTES || res.destroyed) return false;
      res.write(line);
      return true;
    },
    push: (line) => {
      if (!res.destroyed) res.write(line);
    },
    end: () => res.end(),
  };
}

function answer(
  res: ServerResponse,
  status: number,
  body: Readonly<Record<string, unknown>>,
  headers: Readonly<Record<string, string>> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(`${JSON.stringify(body)}\n`);
}

/** The first byte a client sends (left in the socket), or undefined if it closes or stays silent. */
function firstByte(socket: Socket, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const finish = (value: number | undefined): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onEnd);
      socket.off('end', onEnd);
      resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      socket.pause();
      socket.unshift(chunk);
      finish(chunk[0]);
    };
    const onEnd = (): void => finish(undefined);
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    timer.unref();
    socket.on('data', onData);
    socket.once('close', onEnd);
    socket.once('end', onEnd);
    socket.resume();
  });
}
