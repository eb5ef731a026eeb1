// Parsing one HTTP/1.x request head (RFC 9112 §3, §5, §6): the request line, the header fields,
// and how the body is framed. Strict where leniency would let a request be read two ways by two
// parsers (request smuggling): Content-Length with Transfer-Encoding, conflicting or repeated
// Content-Length, a Transfer-Encoding that does not end in chunked, obsolete line folding, bare LF,
// control characters in fields, a repeated Host, an HTTP/1.1 request without Host.
//
// Contract: parseRequestHead takes the head as a latin1 string without its final empty line and
// returns the parsed head or throws H1RequestError, whose `code` names the refusal with Node's
// (llhttp's) error code where one exists, so metrics keep their labels. Header names become
// lower case; repeated fields are combined the way node:http does (set-cookie: a list; cookie:
// joined with '; '; fields that cannot repeat: the first; others joined with ', ').

import type { IncomingHttpHeaders } from 'node:http';
import { isToken, trimEnd, trimStart } from '../h1-scan.ts';
import { HOP_BY_HOP } from '../headers.ts';
import { knownMethod, knownName } from './known-names.ts';

export class H1RequestError extends Error {
  /** Stable code, e.g. HPE_INVALID_TRANSFER_ENCODING. */
  readonly code: string;
  /** The status the client is answered with: 400, 417 or 431. */
  readonly status: number;

  constructor(code: string, status: number, message: string) {
    super(message);
    this.name = 'H1RequestError';
    this.code = code;
    this.status = status;
  }
}

export type BodyFraming =
  { readonly kind: 'none' } | { readonly kind: 'length'; readonly length: number } | { readonly kind: 'chunked' };

export interface RequestHead {
  readonly method: string;
  readonly target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly minor: 0 | 1;
  readonly headers: IncomingHttpHeaders;
  readonly body: BodyFraming;
  /** The connection may carry another request after this one (before the response says otherwise). */
  readonly keepAlive: boolean;
  /** An Upgrade request (Connection: upgrade with an Upgrade field) or CONNECT: the connection leaves HTTP. */
  readonly upgrade: boolean;
  /**
   * The head as received says exactly what `headers` says to an HTTP/1.1 next hop: an HTTP/1.1
   * request without hop-by-hop fields (Connection, Keep-Alive, Transfer-Encoding, TE, Trailer,
   * Upgrade, Proxy-*) and without a repeated field (which `headers` combines or drops).
   */
  readonly plain: boolean;
}

export interface HeadLimits {
  /** Most header fields accepted (431 above). */
  readonly maxHeaders: number;
}

/** Fields whose repetitions node:http drops (it keeps the first). */
const FIRST_ONLY: ReadonlySet<string> = new Set([
  'age',
  'authorization',
  'content-type',
  'etag',
  'expires',
  'from',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

const bad = (message: string, code: string): H1RequestError => new H1RequestError(code, 400, message);

export function parseRequestHead(text: string, limits: HeadLimits): RequestHead {
  // Char-code checks over `text` by index instead of regular expressions over sliced lines: this
  // runs for every request the proxy reads.
  let lineEnd = text.indexOf('\r\n');
  if (lineEnd < 0) lineEnd = text.length;
  const sp1 = text.indexOf(' ');
  const sp2 = sp1 < 0 || sp1 >= lineEnd ? -1 : text.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp1 >= lineEnd || sp2 < 0 || sp2 >= lineEnd) {
    throw bad('the request line is not "METHOD target HTTP/1.x"', 'HPE_INVALID_METHOD');
  }
  if (!isToken(text, 0, sp1)) throw bad('the method is not a token', 'HPE_INVALID_METHOD');
  const method = knownMethod(text, sp1) ?? text.slice(0, sp1);
  if (sp2 === sp1 + 1 || hasTargetControl(text, sp1 + 1, sp2)) {
    throw bad('the request target is empty or has spaces or controls', 'HPE_INVALID_URL');
  }
  const target = text.slice(sp1 + 1, sp2);
  // 'HTTP/1.1' or 'HTTP/1.0' after the second space, up to the end of the line.
  const digit = lineEnd - sp2 === 9 && text.startsWith('HTTP/1.', sp2 + 1) ? text.charCodeAt(sp2 + 8) : 0;
  if (digit !== 49 && digit !== 48) {
    throw bad('the version is not HTTP/1.1 or HTTP/1.0 (or a line ends in a bare LF)', 'HPE_INVALID_VERSION');
  }
  const minor = digit === 49 ? 1 : 0;

  const headers: IncomingHttpHeaders = {};
  let count = 0;
  let length = -1;
  let te: string | undefined;
  let hosts = 0;
  let connection = '';
  let plain = minor === 1;
  let pos = lineEnd + 2;
  while (pos < text.length) {
    let end = text.indexOf('\r\n', pos);
    if (end < 0) end = text.length;
    const start = pos;
    pos = end + 2;
    if (++count > limits.maxHeaders) {
      throw new H1RequestError('HPE_HEADER_OVERFLOW', 431, `more than ${limits.maxHeaders} header fields`);
    }
    const first = text.charCodeAt(start);
    if (first === 32 || first === 9) throw bad('obsolete line folding is not accepted', 'HPE_INVALID_HEADER_TOKEN');
    const colon = text.indexOf(':', start);
    if (colon <= start || colon >= end) throw bad('a header line has no field name', 'HPE_INVALID_HEADER_TOKEN');
    if (!isToken(text, start, colon)) throw bad('a field name is not a token', 'HPE_INVALID_HEADER_TOKEN');
    const vs = trimStart(text, colon + 1, end);
    const ve = trimEnd(text, vs, end);
    if (hasValueControl(text, vs, ve)) {
      throw bad(
        `the value of ${text.slice(start, colon)} has a control character (or a bare LF)`,
        'HPE_INVALID_HEADER_TOKEN',
      );
    }
    const value = text.slice(vs, ve);
    const name = knownName(text, start, colon) ?? text.slice(start, colon).toLowerCase();
    if (plain && HOP_BY_HOP.has(name)) plain = false;
    switch (name) {
      case 'content-length':
        if (length >= 0) throw bad('Content-Length is repeated', 'HPE_UNEXPECTED_CONTENT_LENGTH');
        if (!/^\d{1,15}$/.test(value)) throw bad('Content-Length is not a number', 'HPE_INVALID_CONTENT_LENGTH');
        length = Number(value);
        headers[name] = value;
        continue;
      case 'transfer-encoding':
        te = te === undefined ? value : `${te}, ${value}`;
        headers[name] = te;
        continue;
      case 'host':
        if (++hosts > 1) throw bad('Host is repeated', 'HPE_DUPLICATE_HOST');
        headers.host = value;
        continue;
      case 'connection':
        connection = connection === '' ? value : `${connection}, ${value}`;
        headers.connection = connection;
        continue;
      case '__proto__':
        plain = false;
        continue;
    }
    // A repeated field is combined or dropped in `headers`: the head as received says otherwise.
    if (!addField(headers, name, value)) plain = false;
  }

  let body: BodyFraming;
  if (te !== undefined) {
    if (length >= 0) throw bad('Content-Length and Transfer-Encoding together', 'HPE_INVALID_TRANSFER_ENCODING');
    if (minor === 0) throw bad('Transfer-Encoding in an HTTP/1.0 request', 'HPE_INVALID_TRANSFER_ENCODING');
    if (!endsInChunked(te)) throw bad('Transfer-Encoding does not end in chunked', 'HPE_INVALID_TRANSFER_ENCODING');
    body = { kind: 'chunked' };
  } else if (length > 0) body = { kind: 'length', length };
  else body = NO_BODY;
  if (minor === 1 && hosts === 0) throw bad('an HTTP/1.1 request without Host', 'HPE_MISSING_HOST');

  const tokens = connection === '' ? undefined : connection.toLowerCase();
  const keepAlive = minor === 1 ? !hasToken(tokens, 'close') : hasToken(tokens, 'keep-alive');
  const upgrade = method === 'CONNECT' || (headers.upgrade !== undefined && hasToken(tokens, 'upgrade'));
  return { method, target, minor, headers, body, keepAlive, upgrade, plain };
}

const NO_BODY: BodyFraming = { kind: 'none' };

/** A request target has no whitespace or control characters (nor DEL). */
function hasTargetControl(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c <= 32 || c === 127) return true;
  }
  return false;
}

/** Control characters other than HTAB, and DEL, are not allowed in field values. */
function hasValueControl(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return true;
  }
  return false;
}

/** Adds a field to `headers`; false when the name was there already (combined or dropped). */
function addField(headers: IncomingHttpHeaders, name: string, value: string): boolean {
  const prior = headers[name];
  if (prior === undefined) {
    headers[name] = name === 'set-cookie' ? [value] : value;
    return true;
  }
  if (name === 'set-cookie') (prior as string[]).push(value);
  else if (!FIRST_ONLY.has(name)) headers[name] = `${prior as string}${name === 'cookie' ? '; ' : ', '}${value}`;
  return false;
}

/** The last transfer coding is chunked (so the body's end is known), and chunked appears only there. */
function endsInChunked(te: string): boolean {
  const codings = te.toLowerCase().split(',');
  for (let i = 0; i < codings.length; i++) {
    const c = codings[i]!.trim();
    if (c === 'chunked') {
      if (i !== codings.length - 1) return false;
    } else if (c === '' || i === codings.length - 1) return false;
  }
  return true;
}

/** Whether a comma-separated, already lower-cased list names `token`. */
function hasToken(list: string | undefined, token: string): boolean {
  if (list === undefined) return false;
  let from = 0;
  for (;;) {
    const at = list.indexOf(token, from);
    if (at < 0) return false;
    const before = at === 0 ? ',' : list[at - 1];
    const after = list[at + token.length];
    const startOk = before === ',' || before === ' ' || before === '\t';
    const endOk = after === undefined || after === ',' || after === ' ' || after === '\t';
    if (startOk && endOk) return true;
    from = at + 1;
  }
}
