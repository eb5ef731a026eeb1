// The request methods and header field names most requests carry, as constant strings: a method or
// name read from a request head that is one of them is given as the constant instead of a new
// string cut from the head (and, for a name, lower-cased).
//
// Why: a new string used as a property key or looked up in a Set is hashed first (and, as a key,
// looked up in V8's string table), on every request; a constant's hash is computed once, and
// comparing it with another constant is a pointer comparison. On the HTTP/1 hop that is ~0.1 µs of
// the ~4.5 µs of JavaScript per request (docs/performance.md, session 14).
//
// Contract: knownMethod(text, end) is text.slice(0, end) when that is a known method (exact case,
// as methods are case-sensitive), else undefined. knownName(text, start, end) is
// text.slice(start, end).toLowerCase() when that is a known name, else undefined; the caller has
// checked that text[start, end) is a token (so comparing ASCII case-insensitively by bit 0x20 is
// exact: no other token character maps onto a lower-case letter, a digit or '-').

const METHODS: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

const NAMES: readonly string[] = [
  'accept',
  'accept-encoding',
  'accept-language',
  'authorization',
  'b3',
  'cache-control',
  'connection',
  'content-encoding',
  'content-length',
  'content-type',
  'cookie',
  'expect',
  'grpc-accept-encoding',
  'grpc-encoding',
  'grpc-timeout',
  'host',
  'if-modified-since',
  'if-none-match',
  'keep-alive',
  'l5d-dst-override',
  'l5d-reqid',
  'origin',
  'pragma',
  'proxy-authorization',
  'proxy-connection',
  'range',
  'referer',
  'te',
  'trailer',
  'traceparent',
  'tracestate',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-request-id',
];

/** The constants of `list`, by length (the first thing compared). */
function byLength(list: readonly string[]): readonly (readonly string[] | undefined)[] {
  const out: string[][] = [];
  for (const s of list) (out[s.length] ??= []).push(s);
  return out;
}

const METHODS_BY_LENGTH = byLength(METHODS);
const NAMES_BY_LENGTH = byLength(NAMES);

/** The method constant text.slice(0, end) spells, or undefined. */
export function knownMethod(text: string, end: number): string | undefined {
  const candidates = METHODS_BY_LENGTH[end];
  if (candidates === undefined) return undefined;
  for (const method of candidates) if (text.startsWith(method)) return method;
  return undefined;
}

/** The lower-case name constant the token text[start, end) spells in any case, or undefined. */
export function knownName(text: string, start: number, end: number): string | undefined {
  const candidates = NAMES_BY_LENGTH[end - start];
  if (candidates === undefined) return undefined;
  for (const name of candidates) if (equalsLower(text, start, name)) return name;
  return undefined;
}

function equalsLower(text: string, start: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    const c = text.charCodeAt(start + i);
    const l = lower.charCodeAt(i);
    if (c !== l && (c | 0x20) !== l) return false;
  }
  return true;
}
