// What an H2Stream asks of its connection. The connection (connection.ts) implements it with
// closures over its private state, so streams can send without the connection exposing its
// internals to anyone else.

import type { H2Stream } from './stream.ts';

export interface H2StreamOwner {
  /** Encodes and queues a HEADERS block for the stream now (a head, or trailers with endStream). */
  headers(
    stream: H2Stream,
    fields: readonly string[],
    endStream: boolean,
    neverIndexed: readonly number[] | undefined,
  ): void;
  /** Sends what the stream has queued, as far as the windows allow, then END_STREAM / trailers. */
  flush(stream: H2Stream): void;
  /** Sends RST_STREAM(code) and forgets the stream. */
  reset(stream: H2Stream, code: number): void;
  /** Returns flow-control credit for `n` consumed bytes. */
  consumed(stream: H2Stream, n: number): void;
}
