// The client's identity on a TLS connection the proxy terminated itself. A bare server-side
// TLSSocket (not created by tls.Server) never gets `authorized` computed, so this asks OpenSSL's
// verification result directly (the same call tls.Server makes: the handle's verifyError(),
// against the trust anchors in the secure context); the identity is the first DNS SAN (else URI).

import type { TLSSocket } from 'node:tls';
import { peerIdentity } from '../../src/tls/index.ts';

export type PeerAuthentication =
  | { readonly kind: 'authenticated'; readonly identity: string }
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'rejected'; readonly reason: string };

export function authenticatePeer(socket: TLSSocket, now = new Date()): PeerAuthentication {
  const leaf = socket.getPeerX509Certificate();
  if (leaf === undefined) return { kind: 'anonymous' };
  const handle = (socket as unknown as { _handle?: { verifyError?: () => Error | null } })._handle;
  const verifyError = handle?.verifyError?.();
  if (verifyError === undefined) return { kind: 'rejected', reason: 'the TLS connection has no verification result' };
  if (verifyError !== null) {
    return {
      kind: 'rejected',
      reason: `the client certificate does not chain to the trust anchors: ${verifyError.message}`,
    };
  }
  // Belt and braces: the leaf must still be valid now (OpenSSL checked it at the handshake).
  if (Date.parse(leaf.validTo) < now.getTime())
    return { kind: 'rejected', reason: 'the client certificate has expired' };
  const { dnsNames, uris } = peerIdentity(leaf);
  const identity = dnsNames[0] ?? uris[0];
  return identity === undefined
    ? { kind: 'rejected', reason: 'the client certificate has no DNS or URI SAN' }
    : { kind: 'authenticated', identity };
}
