// Decoding an HTTP/1.1 request body framed by Content-Length or by Transfer-Encoding: chunked
// (RFC 9112 §6.3, §7.1), incrementally, as the bytes arrive.
//
// Contract: feed(buf, pos) decodes from `pos` and returns where it stopped: at the end of `buf`, or
// just after the body's last byte (the rest belongs to the next request). Data chunks are passed to
// `onData` as slices of `buf` (never copied); `onEnd` is called once when the body is complete.
// A malformed chunked body throws H1RequestError (code HPE_INVALID_CHUNK_SIZE or HPE_STRICT). Only
// a chunk-size line or the trailer section split across reads is held (bounded by MAX_LINE).

import { H1RequestError } from './request-head.ts';
import { Buffer } from 'node:buffer';

/** Longest chunk-size line (with extensions) or trailer section accepted. */
const MAX_LINE = 16 * 1024;

type State = 'length' | 'size' | 'data' | 'data-crlf' | 'trailers' | 'done';

export class BodyDecoder {
  #state: State;
  #remaining: number;
  #held: Buffer | undefined;
  readonly #onData: (chunk: Buffer) => void;
  readonly #onEnd: () => void;

  constructor(kind: 'length' | 'chunked', length: number, onData: (chunk: Buffer) => void, onEnd: () => void) {
    this.#state = kind === 'length' ? 'length' : 'size';
    this.#remaining = length;
    this.#onData = onData;
    this.#onEnd = onEnd;
  }

  get done(): boolean {
    return this.#state === 'done';
  }

  feed(input: Buffer, start: number): number {
    let buf = input;
    let pos = start;
    // A held partial line: continue on a joined copy and report positions in `input`.
    let offset = 0;
    if (this.#held !== undefined) {
      offset = this.#held.length;
      buf = Buffer.concat([this.#held, input.subarray(start)]);
      this.#held = undefined;
      pos = 0;
      offset -= start;
    }
    while (pos < buf.length && this.#state !== 'done') {
      switch (this.#state) {
        case 'length':
        case 'data': {
          const n = Math.min(this.#remaining, buf.length - pos);
          const chunk = buf.subarray(pos, pos + n);
          pos += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = this.#state === 'length' ? 'done' : 'data-crlf';
          this.#onData(chunk);
          if (this.#state === 'done') this.#onEnd();
          break;
        }
        case 'size': {
          const end = buf.indexOf('\r\n', pos, 'latin1');
          if (end < 0) return this.#hold(buf, pos, offset);
          const line = buf.toString('latin1', pos, end);
          const semi = line.indexOf(';');
          const hex = semi < 0 ? line : line.slice(0, semi);
          if (!/^[0-9a-fA-F]{1,12}$/.test(hex))
            throw chunkError(`invalid chunk size ${JSON.stringify(hex.slice(0, 20))}`);
          // eslint-disable-next-line no-control-regex -- looking for control characters is the point
          if (semi >= 0 && /[\x00-\x08\x0a-\x1f\x7f]/.test(line))
            throw chunkError('control character in a chunk extension');
          this.#remaining = parseInt(hex, 16);
          this.#state = this.#remaining === 0 ? 'trailers' : 'data';
          pos = end + 2;
          break;
        }
        case 'data-crlf': {
          if (buf.length - pos < 2) return this.#hold(buf, pos, offset);
          if (buf[pos] !== 13 || buf[pos + 1] !== 10) {
            throw new H1RequestError('HPE_STRICT', 400, 'chunk data is not followed by CRLF');
          }
          pos += 2;
          this.#state = 'size';
          break;
        }
        case 'trailers': {
          // Trailer fields of a request are read and dropped (the proxy does not forward them).
          if (buf.length - pos < 2) return this.#hold(buf, pos, offset);
          if (buf[pos] === 13 && buf[pos + 1] === 10) {
            pos += 2;
          } else {
            const end = buf.indexOf('\r\n\r\n', pos, 'latin1');
            if (end < 0) return this.#hold(buf, pos, offset);
            pos = end + 4;
          }
          this.#state = 'done';
          this.#onEnd();
          break;
        }
      }
    }
    return pos - offset;
  }

  #hold(buf: Buffer, pos: number, offset: number): number {
    if (buf.length - pos > MAX_LINE) throw chunkError('chunk-size line or trailers too long');
    // Copy: `buf` may be a slice of a larger socket read that is reused.
    this.#held = Buffer.from(buf.subarray(pos));
    return buf.length - offset;
  }
}

function chunkError(message: string): H1RequestError {
  return new H1RequestError('HPE_INVALID_CHUNK_SIZE', 400, message);
}
