// The header objects of the HTTP/2 forwarding path, built in one pass each: the request headers of
// an attempt (an HTTP/2 request's own, or an HTTP/1 request's with pseudo-headers and
// l5d-orig-proto), the response head for the client, and trailers. Same rules as headers.ts
// (hop-by-hop fields are never forwarded; `te: trailers` is), without the intermediate entry arrays
// and `delete`s: these run on every request.
//
// Contract: every function returns a fresh object the caller may own and mutate.

import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { HOP_BY_HOP, ORIG_PROTO_HEADER, forwardableH1Headers } from './headers.ts';
import type { HttpRequest } from './stack.ts';

type HeaderRecord = Readonly<Record<string, string | string[] | number | undefined>>;

/** The HTTP/2 request headers of an attempt, with its added and dropped headers applied. */
export function h2RequestHeaders(attempt: HttpRequest): OutgoingHttpHeaders {
  const drop = attempt.dropHeaders;
  let out: OutgoingHttpHeaders;
  if (attempt.downstream.kind === 'h2') {
    const headers: IncomingHttpHeaders = attempt.headers;
    out = {};
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined || HOP_BY_HOP.has(name)) continue;
      out[name] = value;
    }
    if (headers.te === 'trailers') out.te = 'trailers';
  } else {
    out = forwardableH1Headers(attempt.headers);
    if (out.host !== undefined) delete out.host;
    out[':method'] = attempt.method;
    out[':scheme'] = 'http';
    out[':path'] = attempt.target;
    if (attempt.authority !== undefined) out[':authority'] = attempt.authority;
    out[ORIG_PROTO_HEADER] = 'HTTP/1.1';
    // The outbound proxy answered 100-continue itself (the peer cannot relay interim responses).
    if (out.expect !== undefined) delete out.expect;
  }
  if (drop !== undefined) for (const name of drop) if (out[name] !== undefined) delete out[name];
  const add = attempt.addHeaders;
  if (add !== undefined) for (const name in add) out[name] = add[name];
  return out;
}

/** Response headers (or trailers) from an HTTP/2 upstream for the client: no :status, no hop-by-hop fields. */
export function h2ResponseFields(headers: HeaderRecord): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name === ':status' || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * The request head of an attempt as HTTP/2 fields for the proxy's own client: pseudo-headers first
 * (RFC 9113 §8.3), then the regular fields of h2RequestHeaders, names in lower case, a repeated
 * field once per value.
 */
export function h2RequestFields(attempt: HttpRequest): string[] {
  const headers = h2RequestHeaders(attempt);
  const pseudo: string[] = [
    ':method',
    String(headers[':method'] ?? attempt.method),
    ':scheme',
    String(headers[':scheme'] ?? 'http'),
  ];
  const authority = headers[':authority'] ?? attempt.authority;
  if (authority !== undefined) pseudo.push(':authority', String(authority));
  pseudo.push(':path', String(headers[':path'] ?? attempt.target));
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* ':' */) continue;
    const value = headers[name];
    if (value === undefined) continue;
    const lower = lowerName(name);
    if (Array.isArray(value)) for (const v of value) pseudo.push(lower, v);
    else pseudo.push(lower, String(value));
  }
  return pseudo;
}

/** HTTP/2 response fields (or trailers) as a header record for the client: no pseudo-headers, no hop-by-hop fields. */
export function h2FieldsRecord(fields: readonly string[]): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    if (name.charCodeAt(0) === 58 || HOP_BY_HOP.has(name)) continue;
    const value = fields[i + 1]!;
    const prior = out[name];
    if (prior === undefined) out[name] = value;
    else if (Array.isArray(prior)) prior.push(value);
    else out[name] = [String(prior), value];
  }
  return out;
}

/** `name` in lower case, without a copy when it already is. */
export function lowerName(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) return name.toLowerCase();
  }
  return name;
}
