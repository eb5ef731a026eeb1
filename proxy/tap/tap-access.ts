// Who may tap (ADR 0013, "Tap"; docs/security.md): a client on loopback (the local mesh, or
// `kubectl port-forward`, which arrives on the pod's loopback), in plaintext or over TLS; from any
// other address only over mTLS, with a client certificate that chains to the trust anchors and
// names an identity listed in NODEMESH_PROXY_TAP_AUTHORIZED_IDENTITIES.
//
// Contract: decideTapAccess is a pure function of the peer's address, what TLS established about
// the client, and the authorized identities; a refusal carries a reason meant for the person
// tapping (the server answers 403 with it).

import { isIP } from 'node:net';
import type { PeerAuthentication } from '../tls/peer-identity.ts';

export interface TapAccessRequest {
  /** The peer's IP address, as the socket reports it. */
  readonly peer: string;
  /** What the TLS handshake established about the client; undefined for plaintext. */
  readonly tls: PeerAuthentication | undefined;
}

export type TapAccessDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

const SETTING = 'NODEMESH_PROXY_TAP_AUTHORIZED_IDENTITIES';

export function decideTapAccess(
  request: TapAccessRequest,
  authorizedIdentities: ReadonlySet<string>,
): TapAccessDecision {
  if (isLoopback(request.peer)) return { allowed: true };
  const tls = request.tls;
  if (tls === undefined) {
    return {
      allowed: false,
      reason: `tap from ${request.peer} needs mTLS with an authorized client identity; plaintext is allowed only from loopback`,
    };
  }
  switch (tls.kind) {
    case 'anonymous':
      return {
        allowed: false,
        reason: `the client presented no certificate; tap from ${request.peer} needs a mesh identity listed in ${SETTING}`,
      };
    case 'rejected':
      return { allowed: false, reason: `the client certificate is not accepted: ${tls.reason}` };
    case 'authenticated':
      if (authorizedIdentities.has(tls.identity)) return { allowed: true };
      return {
        allowed: false,
        reason:
          authorizedIdentities.size === 0
            ? `client identity ${tls.identity} may not tap: ${SETTING} is empty, so only loopback clients may tap`
            : `client identity ${tls.identity} is not listed in ${SETTING}`,
      };
  }
}

/** 127.0.0.0/8, ::1, and IPv4-mapped 127.x addresses. */
export function isLoopback(ip: string): boolean {
  const plain = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  switch (isIP(plain)) {
    case 4:
      return plain.startsWith('127.');
    case 6:
      return plain === '::1' || plain === '0:0:0:0:0:0:0:1';
    default:
      return false;
  }
}
