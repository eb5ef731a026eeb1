// Terminating an inbound mTLS connection with this proxy's certificate (a bare server TLSSocket
// over the accepted socket): the client certificate is optional at the TLS layer and judged after
// the handshake (authenticatePeer); ALPN offers transport.l5d.io/v1 for peer proxies.
//
// Contract: resolves with the TLS socket (paused) and the client's authentication, or with the
// reason the handshake failed; it destroys the socket itself on failure. Bounded by `timeoutMs`.

import { once } from 'node:events';
import type { Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import { TRANSPORT_HEADER_ALPN } from '../../src/api/index.ts';
import { nodeTls } from '../../src/net/index.ts';
import { authenticatePeer, type PeerAuthentication } from './peer-identity.ts';
import { Buffer } from 'node:buffer';

/** A bare TLSSocket takes ALPN in wire format (tls.Server converts arrays; we must do it). */
const ALPN_WIRE = Buffer.concat([Buffer.from([TRANSPORT_HEADER_ALPN.length]), Buffer.from(TRANSPORT_HEADER_ALPN)]);

export type TerminateResult =
  | { readonly kind: 'secure'; readonly socket: TLSSocket; readonly client: PeerAuthentication }
  | { readonly kind: 'failed' };

export async function terminateMeshTls(
  socket: Socket,
  secureContext: SecureContext,
  timeoutMs: number,
): Promise<TerminateResult> {
  const tlsSocket = new nodeTls.TLSSocket(socket, {
    isServer: true,
    secureContext,
    requestCert: true,
    rejectUnauthorized: false,
    ALPNProtocols: ALPN_WIRE,
  });
  tlsSocket.on('error', () => undefined);
  socket.resume();
  let timer: NodeJS.Timeout | undefined;
  const ok = await Promise.race([
    once(tlsSocket, 'secure').then(() => true),
    once(tlsSocket, 'close').then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (!ok) {
    tlsSocket.destroy();
    return { kind: 'failed' };
  }
  tlsSocket.pause();
  return { kind: 'secure', socket: tlsSocket, client: authenticatePeer(tlsSocket) };
}
