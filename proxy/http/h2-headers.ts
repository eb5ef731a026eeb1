// The headers of the HTTP/2 forwarding path, built in one pass each: the request head of an
// attempt as HTTP/2 fields (an HTTP/2 request's own, or an HTTP/1 request's with pseudo-headers
// and l5d-orig-proto), and the response head or trailers from the upstream as a record for the
// client. Same rules as headers.ts (hop-by-hop fields are never forwarded; `te: trailers` is),
// without intermediate objects: these run on every request.
//
// Contract: every function returns a fresh array or object the caller may own and mutate.

import type { OutgoingHttpHeaders } from 'node:http';
import { HOP_BY_HOP, NO_TOKENS, ORIG_PROTO_HEADER, connectionTokens, keepsTeTrailers } from './headers.ts';
import type { HttpRequest } from './stack.ts';

type HeaderRecord = Readonly<Record<string, string | string[] | number | undefined>>;

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
 * The request head of an attempt as HTTP/2 fields for the proxy's own client, built in one pass:
 * pseudo-headers first (RFC 9113 §8.3), then the regular fields — an HTTP/2 request's own, or an
 * HTTP/1 request's with `l5d-orig-proto` for a peer proxy — without hop-by-hop fields (`te:
 * trailers` is kept), names in lower case, a repeated field once per value, the attempt's dropped
 * headers left out and its added ones last (replacing fields of the same name).
 */
export function h2RequestFields(attempt: HttpRequest): string[] {
  const fromH2 = attempt.downstream.kind === 'h2';
  const headers: HeaderRecord = attempt.headers;
  // HTTP/1: the fields its Connection field names are hop-by-hop too (RFC 9110 §7.6.1).
  const named = fromH2 ? NO_TOKENS : connectionTokens(attempt.headers.connection);
  const scheme = fromH2 ? attempt.headers[':scheme'] : undefined;
  const fields: string[] = [':method', attempt.method, ':scheme', typeof scheme === 'string' ? scheme : 'http'];
  if (attempt.authority !== undefined) fields.push(':authority', attempt.authority);
  fields.push(':path', attempt.target);
  const drop = attempt.dropHeaders;
  const add = attempt.addHeaders;
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* ':' */) continue;
    const value = headers[name];
    if (value === undefined) continue;
    const lower = lowerName(name);
    if (fromH2) {
      if (lower === 'te' ? value !== 'trailers' : HOP_BY_HOP.has(lower)) continue;
      // HTTP/1: Host became :authority; the outbound proxy answered 100-continue itself (the peer
      // cannot relay interim responses). Its te goes last, below.
    } else if (
      HOP_BY_HOP.has(lower) ||
      named.has(lower) ||
      lower === 'host' ||
      lower === 'expect' ||
      lower === ORIG_PROTO_HEADER
    ) {
      continue;
    }
    if (drop?.includes(lower) === true || (add !== undefined && lower in add)) continue;
    if (Array.isArray(value)) for (const v of value) fields.push(lower, v);
    else fields.push(lower, String(value));
  }
  if (!fromH2) {
    if (keepsTeTrailers(attempt.headers.te) && drop?.includes('te') !== true && !(add !== undefined && 'te' in add)) {
      fields.push('te', 'trailers');
    }
    fields.push(ORIG_PROTO_HEADER, 'HTTP/1.1');
  }
  if (add !== undefined) for (const name in add) fields.push(name, add[name]!);
  return fields;
}

/**
 * The HTTP/1.1 head of a request that came over HTTP/2 from a peer proxy, without its framing field
 * and final blank line, built in one pass: the request line, `host` first (the request's own host
 * field, else :authority), then its fields in order without pseudo-headers, hop-by-hop fields,
 * l5d-orig-proto or the fields `drop` names, a repeated field once per value, `te: trailers` when
 * that is all its te says, and last the fields of `add` (replacing any of the same name).
 * `hasLength`: the head carries a Content-Length. Values of `add` are the caller's to validate.
 */
export function h1HeadFromH2(
  method: string,
  target: string,
  authority: string | undefined,
  headers: HeaderRecord,
  drop?: readonly string[],
  add?: Readonly<Record<string, string>>,
): { head: string; hasLength: boolean } {
  let head = `${method} ${target} HTTP/1.1\r\n`;
  const skip = (name: string): boolean => drop?.includes(name) === true || (add !== undefined && name in add);
  const host = headers.host ?? authority;
  if (host !== undefined && !skip('host')) head += `host: ${String(host)}\r\n`;
  let hasLength = false;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name.charCodeAt(0) === 58 /* ':' */ || name === 'host') continue;
    if (HOP_BY_HOP.has(name) || name === ORIG_PROTO_HEADER || skip(name)) continue;
    if (name === 'content-length') hasLength = true;
    if (Array.isArray(value)) for (const v of value) head += `${name}: ${v}\r\n`;
    else head += `${name}: ${String(value)}\r\n`;
  }
  if (keepsTeTrailers(headers.te) && !skip('te')) head += 'te: trailers\r\n';
  if (add !== undefined) {
    for (const name in add) {
      if (name === 'content-length') hasLength = true;
      head += `${name}: ${add[name]!}\r\n`;
    }
  }
  return { head, hasLength };
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
