// TLS options for meshed connections (no servers here): TLS 1.3 only, both sides present their
// certificate chain, peers are verified against a TrustBundle, and a client accepts a server only
// when a SAN of its leaf is exactly the identity it expected.
//
// Contract:
// - The client sends SNI = the expected server identity and checks the server's leaf with an exact
//   DNS SAN match (a URI SAN when the expected identity is a URI such as spiffe://…); there is no
//   hostname or wildcard logic. Chain and validity are checked by OpenSSL against the bundle.
// - The server requests a client certificate. With clientCertificate 'required' (the default) a
//   client without a valid one fails the handshake; with 'optional' (Linkerd's inbound behaviour)
//   the handshake succeeds and clientIdentity() reports 'anonymous' or 'rejected'.
// - The private key is handed to node:tls as in-memory PKCS#8 PEM; it is never written anywhere.
// - Options objects are fresh and plain; to rotate certificates build new ones and call
//   `server.setSecureContext(...)` or pass a new `secureContext` to clients.

import type { KeyObject, X509Certificate } from 'node:crypto';
import type {
  ConnectionOptions,
  PeerCertificate,
  SecureContext,
  SecureContextOptions,
  TLSSocket,
  TlsOptions,
} from 'node:tls';
import { nodeTls } from '../net/index.ts';
import { parseCertificate } from './certificate-parser.ts';
import { ChainError } from './errors.ts';
import { exportPrivateKeyPem } from './keys.ts';
import { certificatesToPem } from './pem.ts';
import { peerIdentity, type TrustBundle } from './trust.ts';

/** The certificate chain and key a process presents. */
export interface LocalIdentity {
  /** The leaf certificate, DER. */
  readonly leaf: Uint8Array;
  /** Intermediates up to (excluding) the anchor, DER, issuer first. */
  readonly intermediates: readonly Uint8Array[];
  readonly privateKey: KeyObject;
}

/** Context options shared by both ends: TLS 1.3 only, our chain and key, the bundle as CAs. */
export function secureContextOptions(local: LocalIdentity | undefined, trust: TrustBundle): SecureContextOptions {
  return {
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
    ca: trust.pem,
    ...(local === undefined
      ? {}
      : { cert: certificatesToPem([local.leaf, ...local.intermediates]), key: exportPrivateKeyPem(local.privateKey) }),
  };
}

/** A SecureContext to share across many client connections (building one parses PEM). */
export function meshSecureContext(local: LocalIdentity | undefined, trust: TrustBundle): SecureContext {
  return nodeTls.createSecureContext(secureContextOptions(local, trust));
}

export interface ServerTlsSpec {
  readonly local: LocalIdentity;
  readonly trust: TrustBundle;
  /** 'required' (default): no valid client certificate, no connection. 'optional': see clientIdentity. */
  readonly clientCertificate?: 'required' | 'optional';
}

/** Options for tls.createServer / http2.createSecureServer / server.setSecureContext. */
export function serverTlsOptions(spec: ServerTlsSpec): TlsOptions {
  return {
    ...secureContextOptions(spec.local, spec.trust),
    requestCert: true,
    rejectUnauthorized: (spec.clientCertificate ?? 'required') === 'required',
  };
}

export type ClientTlsSpec = {
  /** The identity the server must prove (also sent as SNI). */
  readonly serverIdentity: string;
} & ({ readonly local?: LocalIdentity; readonly trust: TrustBundle } | { readonly secureContext: SecureContext });

/** Options for tls.connect / http2.connect towards a meshed server. */
export function clientTlsOptions(spec: ClientTlsSpec): ConnectionOptions {
  const context =
    'secureContext' in spec ? { secureContext: spec.secureContext } : secureContextOptions(spec.local, spec.trust);
  return {
    ...context,
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
    servername: spec.serverIdentity,
    rejectUnauthorized: true,
    checkServerIdentity: (_host: string, cert: PeerCertificate) => checkPeerIdentity(spec.serverIdentity, cert),
  };
}

/**
 * undefined when a SAN of `cert` is exactly `expected` (a DNS SAN, or a URI SAN when `expected`
 * contains "://"), otherwise a ChainError('identity-mismatch') saying what the peer presented.
 */
export function checkPeerIdentity(expected: string, cert: PeerCertificate | X509Certificate): ChainError | undefined {
  let names: { dnsNames: readonly string[]; uris: readonly string[] };
  try {
    names = namesOfRaw(cert.raw);
  } catch (err) {
    return new ChainError('identity-mismatch', `the peer certificate could not be read to check its identity`, {
      cause: err,
      fields: { expected },
    });
  }
  const candidates = expected.includes('://') ? names.uris : names.dnsNames;
  if (candidates.includes(expected)) return undefined;
  const presented = [...names.dnsNames.map((n) => `DNS:${n}`), ...names.uris.map((u) => `URI:${u}`)];
  return new ChainError(
    'identity-mismatch',
    `the peer presented ${presented.length === 0 ? 'no DNS or URI SAN' : presented.join(', ')} but ${JSON.stringify(expected)} was expected`,
    { fields: { expected, presented } },
  );
}

/** What the server knows about the client of an established connection. */
export type ClientAuthentication =
  | {
      readonly kind: 'authenticated';
      readonly identity: string;
      readonly dnsNames: readonly string[];
      readonly uris: readonly string[];
    }
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'rejected'; readonly reason: string };

/**
 * The client's identity on a server-side TLSSocket: its first DNS SAN (else first URI SAN) when
 * its certificate chained to the bundle, 'anonymous' when it sent none, 'rejected' otherwise.
 */
export function clientIdentity(socket: TLSSocket): ClientAuthentication {
  const cert = socket.getPeerX509Certificate();
  if (cert === undefined) return { kind: 'anonymous' };
  if (!socket.authorized) {
    return { kind: 'rejected', reason: String(socket.authorizationError ?? 'the client certificate was not verified') };
  }
  const { dnsNames, uris } = peerIdentity(cert);
  const identity = dnsNames[0] ?? uris[0];
  if (identity === undefined) return { kind: 'rejected', reason: 'the client certificate has no DNS or URI SAN' };
  return { kind: 'authenticated', identity, dnsNames, uris };
}

function namesOfRaw(raw: Uint8Array): { dnsNames: string[]; uris: string[] } {
  const sans = parseCertificate(raw, 'peer certificate').subjectAltNames;
  return {
    dnsNames: sans.filter((n) => n.type === 'dns').map((n) => n.value),
    uris: sans.filter((n) => n.type === 'uri').map((n) => n.value),
  };
}
