// haproxy as the reference sidecar pair: a client-side haproxy (plaintext in, TLS 1.3 out with a
// client certificate, SNI = the server side's identity, its certificate verified against the trust
// anchors and its name) and a server-side haproxy (TLS 1.3 in, client certificate required, to the
// upstream in plaintext) — the same topology and certificates as a nodemesh proxy pair. One
// frontend per upstream kind, so one pair of processes serves every kind of a run. `http-reuse
// always` keeps the TLS connections between the two alive across requests. The server side has a
// stats socket whose `show info` counts the connections (TLS handshakes) it accepted.

import { createConnection } from 'node:net';
import { globalSection } from './haproxy.ts';

export interface HaproxyPairRoute {
  /** A name for the frontend and backend (letters, digits, dashes). */
  readonly name: string;
  /** HTTP/2 on the client side and between the proxies (h2 and gRPC); HTTP/1.1 otherwise. */
  readonly h2: boolean;
  /** Where the client side listens (plaintext). */
  readonly clientListen: { readonly host: string; readonly port: number };
  /** Where the server side listens (TLS). */
  readonly serverListen: { readonly host: string; readonly port: number };
  /** The upstream (plaintext). */
  readonly upstream: { readonly host: string; readonly port: number };
}

export interface HaproxyPairFiles {
  readonly caFile: string;
  /** The client side's certificate chain + key (one PEM file). */
  readonly clientPem: string;
  readonly serverPem: string;
  /** The identity the server side's certificate names (SNI and name check). */
  readonly serverIdentity: string;
}

/** The client-side haproxy: plaintext frontends, TLS backends to the server side. */
export function haproxyClientSide(routes: readonly HaproxyPairRoute[], f: HaproxyPairFiles, maxconn?: number): string {
  return [
    ...globalSection(maxconn === undefined ? {} : { maxconn, noStrictLimits: true }),
    '  option http-keep-alive',
    '  http-reuse always',
    ...routes.flatMap((r) => [
      `frontend ${r.name}`,
      `  bind ${r.clientListen.host}:${r.clientListen.port}${r.h2 ? ' proto h2' : ''}`,
      `  default_backend ${r.name}`,
      `backend ${r.name}`,
      `  server peer ${r.serverListen.host}:${r.serverListen.port} ssl ssl-min-ver TLSv1.3 verify required ca-file ${f.caFile} crt ${f.clientPem} sni str(${f.serverIdentity}) verifyhost ${f.serverIdentity}${r.h2 ? ' alpn h2' : ''}`,
    ]),
    '',
  ].join('\n');
}

/** The server-side haproxy: TLS frontends requiring a client certificate, plaintext backends. */
export function haproxyServerSide(
  routes: readonly HaproxyPairRoute[],
  f: HaproxyPairFiles,
  statsSocket: string,
  maxconn?: number,
): string {
  return [
    ...globalSection({ statsSocket, ...(maxconn === undefined ? {} : { maxconn, noStrictLimits: true }) }),
    '  option http-keep-alive',
    '  http-reuse always',
    ...routes.flatMap((r) => [
      `frontend ${r.name}`,
      `  bind ${r.serverListen.host}:${r.serverListen.port} ssl ssl-min-ver TLSv1.3 crt ${f.serverPem} ca-file ${f.caFile} verify required${r.h2 ? ' alpn h2' : ''}`,
      `  default_backend ${r.name}`,
      `backend ${r.name}`,
      `  server upstream ${r.upstream.host}:${r.upstream.port}${r.h2 ? ' proto h2' : ''}`,
    ]),
    '',
  ].join('\n');
}

/** `show info` over haproxy's stats socket, as name → value. */
export async function haproxyInfo(socketPath: string, timeoutMs = 2000): Promise<Record<string, string>> {
  const text = await new Promise<string>((resolve, reject) => {
    let out = '';
    const s = createConnection(socketPath, () => s.write('show info\n'));
    s.setEncoding('utf8');
    s.on('data', (d: string) => (out += d));
    s.once('end', () => resolve(out));
    s.once('error', reject);
    s.setTimeout(timeoutMs, () => s.destroy(new Error(`haproxy stats ${socketPath}: no answer in ${timeoutMs} ms`)));
  });
  return parseHaproxyInfo(text);
}

/** Parses `show info` lines (`Name: value`). Exported for tests. */
export function parseHaproxyInfo(text: string): Record<string, string> {
  const info: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) info[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return info;
}
