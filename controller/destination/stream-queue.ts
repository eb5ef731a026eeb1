// StreamQueue: the bounded queue between the watchers and one gRPC response stream (STYLE.md
// rule 9, Linkerd's `enqueueUpdate`). Watchers push and never wait; the queue writes to the stream
// as fast as the stream takes messages (its `write()` returning false means "wait for drain").
//
// Contract:
// - push() never blocks and never throws. Messages keep their order.
// - When more than `capacity` messages are waiting, the queue drops them all, stops for good and
//   calls `onOverflow` once: the owner closes the stream (RESOURCE_EXHAUSTED) so the proxy
//   reconnects and starts again from the current state. Nothing is written after that.
// - close() stops the queue (the stream ended); later pushes are ignored.

/** The side of a writable stream the queue needs (a grpc-js ServerWritableStream fits). */
export interface StreamSink<T> {
  /** Writes one message; false when the sink wants the writer to wait for `drain`. */
  write(message: T): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

export interface StreamQueueOptions {
  /** How many messages may wait (not yet taken by the sink) before the queue overflows. */
  readonly capacity: number;
  readonly onOverflow: () => void;
}

export class StreamQueue<T> {
  readonly #sink: StreamSink<T>;
  readonly #capacity: number;
  readonly #onOverflow: () => void;
  #waiting: T[] = [];
  #blocked = false;
  #closed = false;

  constructor(sink: StreamSink<T>, options: StreamQueueOptions) {
    this.#sink = sink;
    this.#capacity = options.capacity;
    this.#onOverflow = options.onOverflow;
  }

  /** How many messages wait for the sink. */
  get size(): number {
    return this.#waiting.length;
  }

  get closed(): boolean {
    return this.#closed;
  }

  push(message: T): void {
    if (this.#closed) return;
    if (!this.#blocked && this.#waiting.length === 0) {
      this.#write(message);
      return;
    }
    this.#waiting.push(message);
    if (this.#waiting.length > this.#capacity) {
      this.close();
      this.#onOverflow();
    }
  }

  close(): void {
    this.#closed = true;
    this.#waiting = [];
  }

  #write(message: T): void {
    if (this.#sink.write(message)) return;
    this.#blocked = true;
    this.#sink.once('drain', () => this.#drain());
  }

  #drain(): void {
    this.#blocked = false;
    while (!this.#closed && !this.#blocked) {
      const next = this.#waiting.shift();
      if (next === undefined) return;
      this.#write(next);
    }
  }
}
