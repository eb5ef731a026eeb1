// Header handling when forwarding (RFC 9110 §7.6.1): hop-by-hop fields belong to one connection
// and are not forwarded; HTTP/2 forbids connection-specific fields altogether (RFC 9113 §8.2.2).

import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Marks an HTTP/1 request carried over HTTP/2 between proxies (linkerd.md §4.5). */
export const ORIG_PROTO_HEADER = 'l5d-orig-proto';

/** Fields that belong to one connection (RFC 9110 §7.6.1). */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Headers for the next hop of an HTTP/1 message: hop-by-hop ones and those named in Connection removed. */
export function forwardableH1Headers(headers: IncomingHttpHeaders, keepUpgrade = false): OutgoingHttpHeaders {
  const named = connectionTokens(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if ((HOP_BY_HOP.has(name) || named.has(name)) && !(keepUpgrade && (name === 'upgrade' || name === 'connection'))) {
      continue;
    }
    out[name] = value;
  }
  if (keepsTeTrailers(headers.te)) out.te = 'trailers';
  return out;
}

/**
 * Whether an HTTP/1 request's TE field goes on as `te: trailers`: TE is hop-by-hop, but `trailers`
 * is end-to-end in meaning, so it is kept when that is all the field says.
 */
export function keepsTeTrailers(te: unknown): boolean {
  return typeof te === 'string' && te.trim().toLowerCase() === 'trailers';
}

/** Headers for the next hop of an HTTP/2 stream: pseudo-headers kept, connection-specific ones removed. */
export function forwardableH2Headers(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  if (headers.te === 'trailers') out.te = 'trailers';
  return out;
}

/** Response headers from an HTTP/2 upstream for an HTTP/2 client (drop :status, it is set separately). */
export function h2ResponseHeaders(
  headers: Readonly<Record<string, string | string[] | undefined | number>>,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** An empty token set (shared, never changed). */
export const NO_TOKENS: ReadonlySet<string> = new Set();

/** The field names (and options) a Connection field lists, lower-cased. */
export function connectionTokens(value: string | undefined): ReadonlySet<string> {
  if (value === undefined) return NO_TOKENS;
  return new Set(
    value
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== ''),
  );
}
