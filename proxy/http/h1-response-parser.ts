// An incremental parser for HTTP/1.x responses read from an upstream connection (RFC 9112):
// status line and header fields, then the body framed by Transfer-Encoding: chunked (with
// trailers), Content-Length, or the end of the connection; 1xx interim responses are reported and
// parsing continues with the final response.
//
// Contract: feed() takes bytes as they arrive and calls the sink synchronously; body chunks are
// slices of the fed buffers (never copied or accumulated — only a header block or a chunk-size line
// split across reads is held). Malformed input throws H1ParseError; after complete() the parser
// must not be fed again (reset() prepares it for the next response on the same connection).

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
  #pending: Buffer | undefined;
  #remaining = 0;

  constructor(sink: H1ResponseSink) {
    this.#sink = sink;
  }

  /** Prepares for the next response; `noBody` for a response to HEAD. */
  reset(noBody: boolean): void {
    this.#state = 'head';
    this.#noBody = noBody;
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
          const end = buf.indexOf('\r\n\r\n', pos, 'latin1');
          if (end < 0) return this.#hold(buf, pos);
          this.#onHead(buf.toString('latin1', pos, end));
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
          const end = buf.indexOf('\r\n\r\n', pos, 'latin1');
          if (end < 0) return this.#hold(buf, pos);
          const trailers = parseFields(buf.toString('latin1', pos, end).split('\r\n'), 0);
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
    const lines = text.split('\r\n');
    const statusLine = lines[0] ?? '';
    const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(statusLine);
    if (m === null) throw new H1ParseError(`invalid status line ${JSON.stringify(statusLine.slice(0, 64))}`);
    const status = Number(m[2]);
    if (status < 200) {
      if (status === 101) throw new H1ParseError('unexpected 101 Switching Protocols');
      this.#sink.informational(status);
      return;
    }
    const raw = parseFields(lines, 1);
    let chunked = false;
    let hasTe = false;
    let length = -1;
    let grpcStatus: string | undefined;
    const connection = new Set<string>();
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      const value = raw[i + 1]!;
      if (name === 'transfer-encoding') {
        hasTe = true;
        chunked = value.trim().toLowerCase().endsWith('chunked');
      } else if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value)) throw new H1ParseError('invalid content-length');
        const n = Number(value);
        if (length >= 0 && n !== length) throw new H1ParseError('conflicting content-length');
        length = n;
      } else if (name === 'connection') {
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
    const head: H1ResponseHead = { status, reason: m[3] ?? '', http10: m[1] === '0', raw, connection, grpcStatus };
    if (this.#noBody || status === 204 || status === 304) this.#state = 'done';
    else if (hasTe) this.#state = chunked ? 'chunk-size' : 'eof';
    else if (length >= 0) {
      this.#remaining = length;
      this.#state = length === 0 ? 'done' : 'length';
    } else this.#state = 'eof';
    this.#sink.head(head);
    if (this.#state === 'done') this.#sink.complete([]);
  }
}

function parseFields(lines: readonly string[], from: number): string[] {
  const out: string[] = [];
  for (let i = from; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0 || line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9) {
      throw new H1ParseError(`invalid header line ${JSON.stringify(line.slice(0, 64))}`);
    }
    const name = line.slice(0, colon);
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new H1ParseError('invalid header name');
    const value = line.slice(colon + 1).trim();
    // A bare LF or NUL inside a value would be written on to the client as a new line (header
    // injection): refuse it here, as Node's own parser does.
    if (/[\n\0]/.test(value)) throw new H1ParseError(`invalid character in the value of ${name}`);
    out.push(name, value);
  }
  return out;
}
