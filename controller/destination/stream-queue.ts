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
// - With a `budget` (its connection's WriteBudget, write-budget.ts), a message is written only once
//   the budget grants its encoded size, and the size is given back when the sink reports the write
//   done, or at close() for writes still in flight. A message waiting for the budget counts as
//   written (like one the sink buffers); those behind it wait and count against `capacity`.

import type { WriteBudget } from './write-budget.ts';

/** The side of a writable stream the queue needs (a grpc-js ServerWritableStream fits). */
export interface StreamSink<T> {
  /**
   * Writes one message; false when the sink wants the writer to wait for `drain`. `done` is
   * called once the message has been sent (or has failed).
   */
  write(message: T, done: (err?: Error | null) => void): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

export interface StreamQueueOptions<T> {
  /** How many messages may wait (not yet taken by the sink) before the queue overflows. */
  readonly capacity: number;
  readonly onOverflow: () => void;
  /** The connection's write budget and the encoded size of a message. */
  readonly budget?: { readonly budget: WriteBudget; readonly sizeOf: (message: T) => number };
}

export class StreamQueue<T> {
  readonly #sink: StreamSink<T>;
  readonly #capacity: number;
  readonly #onOverflow: () => void;
  readonly #budget: StreamQueueOptions<T>['budget'];
  #waiting: T[] = [];
  #blocked = false;
  /** A message waits for the budget (`#cancelWait` withdraws it). */
  #parked = false;
  #cancelWait: (() => void) | undefined;
  /** Bytes of this queue's writes granted by the budget and not reported done. */
  #inFlight = 0;
  #closed = false;

  constructor(sink: StreamSink<T>, options: StreamQueueOptions<T>) {
    this.#sink = sink;
    this.#capacity = options.capacity;
    this.#onOverflow = options.onOverflow;
    this.#budget = options.budget;
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
    if (!this.#blocked && !this.#parked && this.#waiting.length === 0) {
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
    if (this.#closed) return;
    this.#closed = true;
    this.#waiting = [];
    this.#cancelWait?.();
    this.#cancelWait = undefined;
    const inFlight = this.#inFlight;
    this.#inFlight = 0;
    if (inFlight > 0) this.#budget?.budget.give(inFlight);
  }

  #write(message: T): void {
    const budget = this.#budget;
    if (budget === undefined) {
      this.#send(message, 0);
      return;
    }
    const bytes = budget.sizeOf(message);
    if (budget.budget.take(bytes)) {
      this.#send(message, bytes);
      return;
    }
    this.#parked = true;
    this.#cancelWait = budget.budget.wait(bytes, () => {
      this.#cancelWait = undefined;
      this.#parked = false;
      this.#send(message, bytes);
      this.#drain();
    });
  }

  #send(message: T, bytes: number): void {
    this.#inFlight += bytes;
    let done = false;
    const onDone = (): void => {
      // After close() the bytes were given back already.
      if (done || this.#closed) return;
      done = true;
      this.#inFlight -= bytes;
      if (bytes > 0) this.#budget?.budget.give(bytes);
    };
    if (this.#sink.write(message, onDone)) return;
    this.#blocked = true;
    this.#sink.once('drain', () => {
      this.#blocked = false;
      this.#drain();
    });
  }

  #drain(): void {
    while (!this.#closed && !this.#blocked && !this.#parked) {
      const next = this.#waiting.shift();
      if (next === undefined) return;
      this.#write(next);
    }
  }
}
