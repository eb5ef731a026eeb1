// An incremental parser for HTTP/1.x responses read from an upstream connection (RFC 9112):
// status line and header fields, then the body framed by Transfer-Encoding: chunked (with
// trailers), Content-Length, or the end of the connection; 1xx interim responses are reported and
// parsing continues with the final response.
//
// Contract: feed() takes bytes as they arrive and calls the sink synchronously; body chunks are
// slices of the fed buffers (never copied or accumulated — only a header block or a chunk-size line
// split across reads is held). Malformed input throws H1ParseError; after complete() the parser
// must not be fed again (reset() prepares it for the next response on the same connection).
//
// The usual head (an HTTP/1.1 status line with a reason phrase, fields without hop-by-hop ones,
// CTL-free values) is read by one pass over its bytes and kept as a copy of them (`plain`), which
// the proxy sends on unchanged; its fields become strings only if someone reads `raw`. Any other
// head, including every malformed one, goes through the string parser, which says what is wrong.

import { headEnd, isToken, isTokenByte, trimEnd, trimStart } from './h1-scan.ts';
import { HOP_BY_HOP, NO_TOKENS } from './headers.ts';
import { Buffer } from 'node:buffer';

export class H1ParseError extends Error {
  readonly code = 'HPE_INVALID_RESPONSE';
}

export interface H1ResponseHead {
  readonly status: number;
  readonly reason: string;
  /** HTTP/1.0 response (keep-alive only when it says so). */
  readonly http10: boolean;
  /** Raw header names and values in order, flat: [name, value, name, value, …]. */
  readonly raw: string[];
  /** Lower-cased names of the fields named in Connection, plus `close`/`keep-alive` tokens. */
  readonly connection: ReadonlySet<string>;
  readonly grpcStatus: string | undefined;
  /** The Content-Length that frames the body; -1 when there is none (or Transfer-Encoding rules). */
  readonly contentLength: number;
  /**
   * The head as received (status line, fields, blank line) when an HTTP/1.1 client may get it
   * unchanged: an HTTP/1.1 status line with a reason phrase, no hop-by-hop field (Connection,
   * Keep-Alive, Transfer-Encoding, TE, Trailer, Upgrade, Proxy-*), no control character in a value.
   */
  readonly plain: Buffer | undefined;
}

export interface H1ResponseSink {
  /** A 1xx interim response (never 101 here: upgrades are handled elsewhere). */
  informational(status: number): void;
  /** The final response head; return value ignored. */
  head(head: H1ResponseHead): void;
  body(chunk: Buffer): void;
  /** The response is complete; `trailers` is flat like `raw`, empty when there were none. */
  complete(trailers: string[]): void;
}

/** Largest header block (or trailer block, or chunk-size line) accepted. */
const MAX_HEAD = 64 * 1024;

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'eof' | 'done';

export class H1ResponseParser {
  #sink: H1ResponseSink;
  #state: State = 'head';
  #noBody = false;
  /** Whether the usual head is kept as bytes (`plain`): only for a consumer that sends them on. */
  #plain = true;
  #pending: Buffer | undefined;
  #remaining = 0;

  constructor(sink: H1ResponseSink) {
    this.#sink = sink;
  }

  /**
   * Prepares for the next response; `noBody` for a response to HEAD; `plain` false when nobody will
   * send the head on as bytes (every head then goes through the string parser, with no copy).
   */
  reset(noBody: boolean, plain = true): void {
    this.#state = 'head';
    this.#noBody = noBody;
    this.#plain = plain;
    this.#pending = undefined;
    this.#remaining = 0;
  }

  get done(): boolean {
    return this.#state === 'done';
  }

  /** Whether the body runs until the connection ends (so the connection cannot be reused). */
  get readsUntilClose(): boolean {
    return this.#state === 'eof';
  }

  /** The connection ended: completes a read-until-close body, otherwise reports truncation. */
  end(): boolean {
    if (this.#state !== 'eof') return false;
    this.#state = 'done';
    this.#sink.complete([]);
    return true;
  }

  feed(input: Buffer): void {
    let buf = input;
    if (this.#pending !== undefined) {
      buf = Buffer.concat([this.#pending, input]);
      this.#pending = undefined;
    }
    let pos = 0;
    while (pos < buf.length) {
      switch (this.#state) {
        case 'head': {
          const end = headEnd(buf, pos);
          if (end < 0) return this.#hold(buf, pos);
          const plain = this.#plain ? plainHead(buf, pos, end) : undefined;
          if (plain === undefined) this.#onHead(buf.toString('latin1', pos, end));
          else this.#onHeadParsed(plain, undefined);
          pos = end + 4;
          break;
        }
        case 'length': {
          const n = Math.min(this.#remaining, buf.length - pos);
          const chunk = buf.subarray(pos, pos + n);
          pos += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = 'done';
          this.#sink.body(chunk);
          if (this.#state === 'done') this.#sink.complete([]);
          break;
        }
        case 'chunk-size': {
          const end = buf.indexOf('\r\n', pos, 'latin1');
          if (end < 0) return this.#hold(buf, pos);
          const line = buf.toString('latin1', pos, end);
          const semi = line.indexOf(';');
          const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new H1ParseError(`invalid chunk size ${JSON.stringify(hex)}`);
          this.#remaining = parseInt(hex, 16);
          this.#state = this.#remaining === 0 ? 'trailers' : 'chunk-data';
          pos = end + 2;
          break;
        }
        case 'chunk-data': {
          const n = Math.min(this.#remaining, buf.length - pos);
          const chunk = buf.subarray(pos, pos + n);
          pos += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = 'chunk-crlf';
          this.#sink.body(chunk);
          break;
        }
        case 'chunk-crlf': {
          if (buf.length - pos < 2) return this.#hold(buf, pos);
          if (buf[pos] !== 13 || buf[pos + 1] !== 10) throw new H1ParseError('missing CRLF after chunk data');
          pos += 2;
          this.#state = 'chunk-size';
          break;
        }
        case 'trailers': {
          if (buf.length - pos < 2) return this.#hold(buf, pos);
          if (buf[pos] === 13 && buf[pos + 1] === 10) {
            pos += 2;
            this.#finish(buf, pos, []);
            break;
          }
          const end = headEnd(buf, pos);
          if (end < 0) return this.#hold(buf, pos);
          const trailers: string[] = [];
          parseFields(buf.toString('latin1', pos, end), 0, trailers);
          pos = end + 4;
          this.#finish(buf, pos, trailers);
          break;
        }
        case 'eof':
          this.#sink.body(pos === 0 ? buf : buf.subarray(pos));
          return;
        case 'done':
          throw new H1ParseError('data after the end of the response');
      }
    }
  }

  #finish(buf: Buffer, pos: number, trailers: string[]): void {
    this.#state = 'done';
    if (pos < buf.length) throw new H1ParseError('data after the end of the response');
    this.#sink.complete(trailers);
  }

  #hold(buf: Buffer, pos: number): void {
    if (buf.length - pos > MAX_HEAD) throw new H1ParseError('response head too large');
    // Copy: the rest of `buf` may be a slice of a larger socket read.
    this.#pending = Buffer.from(buf.subarray(pos));
  }

  #onHead(text: string): void {
    // One pass over the head string with char-code checks: no split, no regular expressions (this
    // runs for every proxied HTTP/1 response).
    let lineEnd = text.indexOf('\r\n');
    if (lineEnd < 0) lineEnd = text.length;
    const status = statusOf(text, lineEnd);
    if (status < 0) {
      throw new H1ParseError(`invalid status line ${JSON.stringify(text.slice(0, Math.min(lineEnd, 64)))}`);
    }
    if (status < 200) {
      if (status === 101) throw new H1ParseError('unexpected 101 Switching Protocols');
      this.#sink.informational(status);
      return;
    }
    const raw: string[] = [];
    if (lineEnd < text.length) parseFields(text, lineEnd + 2, raw);
    let chunked = false;
    let hasTe = false;
    let length = -1;
    let grpcStatus: string | undefined;
    let connection: Set<string> | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const rawName = raw[i]!;
      const n = rawName.length;
      // Only these four names matter here: skip lower-casing every other one.
      if (n !== 17 && n !== 14 && n !== 10 && n !== 11) continue;
      const name = rawName.toLowerCase();
      const value = raw[i + 1]!;
      if (name === 'transfer-encoding') {
        hasTe = true;
        chunked = value.trim().toLowerCase().endsWith('chunked');
      } else if (name === 'content-length') {
        if (!isLength(value)) throw new H1ParseError('invalid content-length');
        const v = Number(value);
        if (length >= 0 && v !== length) throw new H1ParseError('conflicting content-length');
        length = v;
      } else if (name === 'connection') {
        connection ??= new Set<string>();
        for (const token of value.split(',')) {
          const t = token.trim().toLowerCase();
          if (t !== '') connection.add(t);
        }
      } else if (name === 'grpc-status' && grpcStatus === undefined) {
        grpcStatus = value;
      }
    }
    if (hasTe && length >= 0) {
      // Transfer-Encoding overrides Content-Length (RFC 9112 §6.3); never forward the latter.
      for (let i = raw.length - 2; i >= 0; i -= 2) if (raw[i]!.toLowerCase() === 'content-length') raw.splice(i, 2);
      length = -1;
    }
    const head: H1ResponseHead = {
      status,
      reason: lineEnd > 12 ? text.slice(13, lineEnd) : '',
      http10: text.charCodeAt(7) === 48,
      raw,
      connection: connection ?? NO_TOKENS,
      grpcStatus,
      contentLength: length,
      plain: undefined,
    };
    this.#onHeadParsed(head, hasTe ? chunked : undefined);
  }

  /**
   * Frames the body `head` announces and hands the head on. `chunked`: whether a Transfer-Encoding
   * ends in chunked (undefined: no Transfer-Encoding, the Content-Length or the close frames it).
   */
  #onHeadParsed(head: H1ResponseHead, chunked: boolean | undefined): void {
    const length = head.contentLength;
    if (this.#noBody || head.status === 204 || head.status === 304) this.#state = 'done';
    else if (chunked !== undefined) this.#state = chunked ? 'chunk-size' : 'eof';
    else if (length >= 0) {
      this.#remaining = length;
      this.#state = length === 0 ? 'done' : 'length';
    } else this.#state = 'eof';
    this.#sink.head(head);
    if (this.#state === 'done') this.#sink.complete([]);
  }
}

/** A head plainHead() accepted: its reason and fields become strings only when asked for. */
class PlainHead implements H1ResponseHead {
  readonly status: number;
  readonly http10 = false;
  readonly connection: ReadonlySet<string> = NO_TOKENS;
  readonly grpcStatus: string | undefined;
  readonly contentLength: number;
  readonly plain: Buffer;
  /** Where the status line's CRLF starts in `plain`. */
  readonly #lineEnd: number;
  #raw: string[] | undefined;

  constructor(status: number, plain: Buffer, lineEnd: number, contentLength: number, grpcStatus: string | undefined) {
    this.status = status;
    this.plain = plain;
    this.#lineEnd = lineEnd;
    this.contentLength = contentLength;
    this.grpcStatus = grpcStatus;
  }

  get reason(): string {
    return this.plain.toString('latin1', 13, this.#lineEnd);
  }

  get raw(): string[] {
    if (this.#raw === undefined) {
      const raw: string[] = [];
      // The fields end where the blank line's CRLF starts.
      const fieldsEnd = this.plain.length - 4;
      if (this.#lineEnd < fieldsEnd) parseFields(this.plain.toString('latin1', 0, fieldsEnd), this.#lineEnd + 2, raw);
      this.#raw = raw;
    }
    return this.#raw;
  }
}

const HTTP_11 = Buffer.from('HTTP/1.1 ', 'latin1');

/**
 * The head in buf[start, end + 4) (`end`: where its CRLF CRLF starts) as a PlainHead, or undefined
 * when it is anything but the usual (see H1ResponseHead.plain) or not valid: the string parser then
 * reads it (and reports what is wrong). One pass over the bytes; only the Content-Length and
 * grpc-status values become strings or numbers.
 */
function plainHead(buf: Buffer, start: number, end: number): PlainHead | undefined {
  // Status line: `HTTP/1.1 NNN reason`, a non-empty reason without control characters.
  if (end - start < 14) return undefined;
  for (let i = 0; i < 9; i++) if (buf[start + i] !== HTTP_11[i]) return undefined;
  let status = 0;
  for (let i = 9; i < 12; i++) {
    const d = buf[start + i]! - 48;
    if (d < 0 || d > 9) return undefined;
    status = status * 10 + d;
  }
  if (status < 200 || buf[start + 12] !== 32) return undefined;
  let p = start + 13;
  for (;;) {
    const c = buf[p]!;
    if (c === 13) break;
    if ((c < 32 && c !== 9) || c === 127) return undefined;
    p++;
  }
  if (p === start + 13 || buf[p + 1] !== 10) return undefined;
  const lineEnd = p - start;
  let contentLength = -1;
  let grpcStatus: string | undefined;
  // Fields: `name: value` lines, each ending in CRLF; the last one's CRLF starts at `end`.
  p += 2;
  while (p < end + 2) {
    const nameStart = p;
    while (isTokenByte(buf[p]!)) p++;
    const nameLength = p - nameStart;
    if (nameLength === 0 || buf[p] !== 58 /* ':' */) return undefined;
    p++;
    const valueStart = p;
    for (;;) {
      const c = buf[p]!;
      if (c === 13) break;
      if ((c < 32 && c !== 9) || c === 127) return undefined;
      p++;
    }
    if (buf[p + 1] !== 10) return undefined;
    const valueEnd = p;
    p += 2;
    if (
      nameLength < HOP_BY_HOP_LENGTHS.length &&
      HOP_BY_HOP_LENGTHS[nameLength] === 1 &&
      isHopByHop(buf, nameStart, nameLength)
    )
      return undefined;
    switch (nameLength) {
      case 11:
        if (grpcStatus === undefined && equalsLower(buf, nameStart, 'grpc-status')) {
          grpcStatus = buf.toString('latin1', ...trimmed(buf, valueStart, valueEnd));
        }
        break;
      case 14:
        if (equalsLower(buf, nameStart, 'content-length')) {
          const [vs, ve] = trimmed(buf, valueStart, valueEnd);
          const n = ve - vs;
          if (n === 0 || n > 15) return undefined;
          let v = 0;
          for (let i = vs; i < ve; i++) {
            const d = buf[i]! - 48;
            if (d < 0 || d > 9) return undefined;
            v = v * 10 + d;
          }
          if (contentLength >= 0 && v !== contentLength) return undefined;
          contentLength = v;
        }
        break;
    }
  }
  return new PlainHead(status, Buffer.from(buf.subarray(start, end + 4)), lineEnd, contentLength, grpcStatus);
}

const HOP_BY_HOP_NAMES = [...HOP_BY_HOP];
/** 1 at the lengths of the hop-by-hop names: other names need no comparison. */
const HOP_BY_HOP_LENGTHS = new Uint8Array(32);
for (const name of HOP_BY_HOP_NAMES) HOP_BY_HOP_LENGTHS[name.length] = 1;

function isHopByHop(buf: Buffer, start: number, length: number): boolean {
  for (const name of HOP_BY_HOP_NAMES) if (name.length === length && equalsLower(buf, start, name)) return true;
  return false;
}

/** Whether the bytes at `start` are `lower` (lower-case ASCII) in any case. */
function equalsLower(buf: Buffer, start: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    // ASCII letters differ from their lower case in bit 0x20; other token bytes must match exactly.
    const c = buf[start + i]!;
    const l = lower.charCodeAt(i);
    if (c !== l && (c | 0x20) !== l) return false;
  }
  return true;
}

/**
 * buf[start, end) without what String#trim would remove from its latin1 text (of the bytes a plain
 * value may hold: SP, HTAB and NBSP), so a value reads as the string parser reads it.
 */
function trimmed(buf: Buffer, start: number, end: number): [number, number] {
  let s = start;
  let e = end;
  while (s < e && isBlank(buf[s]!)) s++;
  while (e > s && isBlank(buf[e - 1]!)) e--;
  return [s, e];
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 160;
}

/**
 * The status of a status line `HTTP/1.x NNN[ reason]` ending at `end`, or -1 when it is not one
 * (the reason may hold anything but CR and LF).
 */
function statusOf(text: string, end: number): number {
  if (end < 12 || !text.startsWith('HTTP/1.') || text.charCodeAt(8) !== 32) return -1;
  const minor = text.charCodeAt(7);
  if (minor !== 48 && minor !== 49) return -1;
  let status = 0;
  for (let i = 9; i < 12; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    status = status * 10 + d;
  }
  if (end === 12) return status;
  if (text.charCodeAt(12) !== 32) return -1;
  for (let i = 13; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 || c === 10) return -1;
  }
  return status;
}

/** 1 to 15 decimal digits. */
function isLength(value: string): boolean {
  const n = value.length;
  if (n === 0 || n > 15) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Appends the fields of the CRLF-separated lines of `text` from `from` to its end to `out`
 * ([name, value, …], values trimmed), as `text.slice(from).split('\r\n')` would give them.
 */
function parseFields(text: string, from: number, out: string[]): void {
  const length = text.length;
  let pos = from;
  for (;;) {
    let end = text.indexOf('\r\n', pos);
    if (end < 0) end = length;
    const first = text.charCodeAt(pos);
    let colon = text.indexOf(':', pos);
    if (colon >= end) colon = -1;
    if (colon <= pos || first === 32 || first === 9) {
      throw new H1ParseError(`invalid header line ${JSON.stringify(text.slice(pos, Math.min(end, pos + 64)))}`);
    }
    if (!isToken(text, pos, colon)) throw new H1ParseError('invalid header name');
    const name = text.slice(pos, colon);
    const vs = trimStart(text, colon + 1, end);
    const ve = trimEnd(text, vs, end);
    for (let i = vs; i < ve; i++) {
      const c = text.charCodeAt(i);
      // A bare LF or NUL inside a value would be written on to the client as a new line (header
      // injection): refuse it here, as Node's own parser does.
      if (c === 10 || c === 0) throw new H1ParseError(`invalid character in the value of ${name}`);
    }
    out.push(name, text.slice(vs, ve));
    if (end === length) return;
    pos = end + 2;
  }
}
