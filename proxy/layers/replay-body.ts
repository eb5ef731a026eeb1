// A request body that can be sent again: the first attempt reads the downstream body through a
// pass-through that keeps a copy of up to `limit` bytes; once the body has ended within the limit,
// replay() gives a fresh stream of the same bytes for the next attempt.
//
// Contract: the copy is never larger than `limit` (past it the copy is dropped and replayable()
// stays false); backpressure passes through unchanged; replay() may be called any number of times.

import { Readable, Transform, type TransformCallback } from 'node:stream';

/** Linkerd's limit for bodies buffered for retries (MAX_BUFFERED_BYTES). */
export const MAX_REPLAY_BYTES = 64 * 1024;

export class ReplayableBody {
  readonly stream: Transform;
  #chunks: Buffer[] | undefined = [];
  #size = 0;
  #ended = false;

  constructor(source: Readable, limit = MAX_REPLAY_BYTES) {
    this.stream = new Transform({
      transform: (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) => {
        if (this.#chunks !== undefined) {
          this.#size += chunk.length;
          if (this.#size > limit) this.#chunks = undefined;
          else this.#chunks.push(chunk);
        }
        callback(null, chunk);
      },
      flush: (callback: TransformCallback) => {
        this.#ended = true;
        callback();
      },
    });
    source.pipe(this.stream);
  }

  /** The whole body has been read and kept. */
  replayable(): boolean {
    return this.#ended && this.#chunks !== undefined;
  }

  /** A new stream of the kept body; only when replayable(). */
  replay(): Readable {
    return Readable.from(this.#chunks ?? [], { objectMode: false });
  }
}
