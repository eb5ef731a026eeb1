// Connections from this proxy to a peer proxy's inbound port (linkerd.md §3.4, §4.5): TLS 1.3
// with SNI = the peer's identity, our certificate presented, the peer's certificate required to
// chain to the trust anchors and to name exactly that identity, ALPN transport.l5d.io/v1, and the
// transport header (the real target port and the session protocol) written first.
//
// Contract: connect() returns the TLS socket at once (the header is queued before any app byte);
// a peer that fails verification errors the socket: never a plaintext fallback. The client TLS
// context follows the local identity and is rebuilt on each renewal; until the first certificate
// exists, connect() throws ProxyError('connect-failed').

import type { SecureContext, TLSSocket } from 'node:tls';
import { nodeTls } from '../../src/net/index.ts';
import { TRANSPORT_HEADER_ALPN, encodeTransportHeader, type SessionProtocolName } from '../../src/api/index.ts';
import { ChainError, clientTlsOptions, type TrustBundle } from '../../src/tls/index.ts';
import { ProxyError } from '../http/proxy-error.ts';
import type { WorkloadCertificate } from '../identity-client/index.ts';

/** How to reach a meshed endpoint: through its proxy's inbound port, proving this identity. */
export interface MeshTarget {
  readonly identity: string;
  readonly inboundPort: number;
}

export interface MeshEndpoint {
  readonly host: string;
  readonly port: number;
  readonly mesh: MeshTarget;
}

export class MeshConnector {
  readonly #trust: TrustBundle;
  readonly #onFailure: ((reason: string) => void) | undefined;
  #context: SecureContext | undefined;

  /** `onFailure` hears of every failed handshake (for a metric), with a short reason. */
  constructor(trust: TrustBundle, onFailure?: (reason: string) => void) {
    this.#trust = trust;
    this.#onFailure = onFailure;
  }

  #watch(socket: TLSSocket): void {
    let secure = false;
    socket.once('secureConnect', () => (secure = true));
    socket.once('error', (err: Error) => {
      if (secure) return;
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (err instanceof ChainError) this.#onFailure?.('identity');
      else if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /certificate|handshake/i.test(err.message))
        this.#onFailure?.('handshake');
    });
  }

  /** Installs a (renewed) local certificate: new connections use it; live ones keep theirs. */
  update(cert: WorkloadCertificate): void {
    this.#context = nodeTls.createSecureContext({
      cert: cert.chainPem,
      key: cert.keyPem,
      ca: this.#trust.pem,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
    });
  }

  get ready(): boolean {
    return this.#context !== undefined;
  }

  /**
   * Like connect(), resolving once the handshake is done and the header is written: for HTTP/2,
   * whose native session takes the socket over and must not find JS-queued writes on it.
   */
  connected(
    endpoint: MeshEndpoint,
    sessionProtocol: SessionProtocolName | undefined,
    timeoutMs: number,
  ): Promise<TLSSocket> {
    return new Promise((resolve, reject) => {
      const socket = this.#open(endpoint);
      const timer = setTimeout(
        () => socket.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })),
        timeoutMs,
      );
      socket.once('error', (err: Error) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('secureConnect', () => {
        socket.write(encodeTransportHeader({ port: endpoint.port, sessionProtocol }), (err) => {
          clearTimeout(timer);
          if (err) reject(err instanceof Error ? err : new Error(String(err)));
          else resolve(socket);
        });
      });
    });
  }

  /** A TLS connection to the peer proxy with the transport header queued before any app byte. */
  connect(endpoint: MeshEndpoint, sessionProtocol: SessionProtocolName | undefined): TLSSocket {
    const socket = this.#open(endpoint);
    socket.write(encodeTransportHeader({ port: endpoint.port, sessionProtocol }));
    return socket;
  }

  #open(endpoint: MeshEndpoint): TLSSocket {
    const secureContext = this.#context;
    if (secureContext === undefined) {
      throw new ProxyError('connect-failed', 'this proxy has no certificate yet, so it cannot open mTLS connections');
    }
    const socket = nodeTls.connect({
      host: endpoint.host,
      port: endpoint.mesh.inboundPort,
      ...clientTlsOptions({ serverIdentity: endpoint.mesh.identity, secureContext }),
      ALPNProtocols: [TRANSPORT_HEADER_ALPN],
    });
    socket.setNoDelay(true);
    this.#watch(socket);
    return socket;
  }
}
