// gRPC's length-prefixed messages (grpc/doc/PROTOCOL-HTTP2.md, "Length-Prefixed-Message"): a
// 1-byte compressed flag, a 4-byte big-endian length, then the message.
//
// Contract: encodeMessage frames one uncompressed message. MessageDecoder takes DATA chunks as
// they arrive, whatever their boundaries (a message split over many chunks, many messages in one
// chunk), and returns the whole messages each chunk completes, in order. It reports the first
// framing problem and decodes nothing after it: a set compressed flag is INTERNAL (this client
// negotiates no compression), a flag other than 0 or 1 is INTERNAL, and a declared length over
// `maxMessageBytes` is RESOURCE_EXHAUSTED (reported from the header, before the body arrives).

import type { StatusName } from './status.ts';
import { Buffer } from 'node:buffer';

export const HEADER_BYTES = 5;
/** gRPC's usual limit on a received message. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export function encodeMessage(message: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(HEADER_BYTES + message.length);
  framed[0] = 0;
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, HEADER_BYTES);
  return framed;
}

export interface FramingProblem {
  readonly status: StatusName;
  readonly message: string;
}

export interface DecodeResult {
  readonly messages: readonly Buffer[];
  readonly problem?: FramingProblem;
}

export class MessageDecoder {
  readonly #max: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** The length of the message whose header has been read; -1 while waiting for a header. */
  #length = -1;
  #problem: FramingProblem | undefined;

  constructor(opts: { readonly maxMessageBytes?: number } = {}) {
    this.#max = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** True when bytes of an unfinished message (or header) are buffered. */
  get partial(): boolean {
    return this.#buffered > 0 || this.#length >= 0;
  }

  push(chunk: Buffer): DecodeResult {
    if (this.#problem !== undefined) return { messages: [], problem: this.#problem };
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    const messages: Buffer[] = [];
    for (;;) {
      if (this.#length < 0) {
        if (this.#buffered < HEADER_BYTES) break;
        const header = this.#take(HEADER_BYTES);
        const flag = header[0];
        const length = header.readUInt32BE(1);
        if (flag !== 0) {
          this.#problem = {
            status: 'INTERNAL',
            message:
              flag === 1
                ? 'the server sent a compressed message, but no compression was negotiated'
                : `the server sent a message with an invalid flag byte ${String(flag)}`,
          };
          break;
        }
        if (length > this.#max) {
          this.#problem = {
            status: 'RESOURCE_EXHAUSTED',
            message: `the server sent a message of ${length} bytes, over the limit of ${this.#max}`,
          };
          break;
        }
        this.#length = length;
      }
      if (this.#buffered < this.#length) break;
      messages.push(this.#take(this.#length));
      this.#length = -1;
    }
    if (this.#problem !== undefined) this.#drop();
    return this.#problem === undefined ? { messages } : { messages, problem: this.#problem };
  }

  /** Removes and returns the first `n` buffered bytes (a view when they lie in one chunk). */
  #take(n: number): Buffer {
    this.#buffered -= n;
    const first = this.#chunks[0];
    if (first === undefined) return Buffer.alloc(0);
    if (first.length === n) {
      this.#chunks.shift();
      return first;
    }
    if (first.length > n) {
      this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0];
      if (chunk === undefined) break;
      const used = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(used);
    }
    return out;
  }

  #drop(): void {
    this.#chunks = [];
    this.#buffered = 0;
    this.#length = -1;
  }
}
