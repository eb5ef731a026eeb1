// WriteBudget: bounds the bytes the streams of one client connection have handed to grpc-js and
// that have not been sent yet. grpc-js copies each message into its own frame when it is written,
// and that copy waits in HTTP/2's buffers until the client's flow-control window lets it out; 1,000
// streams subscribing at once, each answered with a 38 KB set, held ≈ 35 MB of such copies, and
// malloc kept most of it after they were freed (docs/performance.md, "Destination: endpoint
// fan-out"). With a budget, a message that does not fit waits, as an object shared with the other
// streams of its Service, until earlier writes of the same connection are sent.
//
// Contract:
// - take() grants what fits, and always grants a message when nothing is in flight, so a message
//   larger than the limit still goes, alone. Waiters are served in order (FIFO): a small message
//   does not overtake a large one.
// - Every granted byte must be given back exactly once (give()), when its write completes or its
//   stream ends; StreamQueue does both.
// - One budget per connection (WriteBudgets): a client that stops reading stalls only its own
//   streams, never another client's.

export interface Waiter {
  readonly bytes: number;
  readonly ready: () => void;
}

export class WriteBudget {
  readonly #limit: number;
  #inFlight = 0;
  readonly #waiting: Waiter[] = [];

  constructor(limitBytes: number) {
    if (!(Number.isFinite(limitBytes) && limitBytes > 0)) {
      throw new RangeError(`WriteBudget: limit must be > 0, got ${limitBytes}`);
    }
    this.#limit = limitBytes;
  }

  /** Bytes granted and not given back yet. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Grants `bytes` now when they fit (or nothing is in flight) and nobody waits before them. */
  take(bytes: number): boolean {
    if (this.#waiting.length > 0 || !this.#fits(bytes)) return false;
    this.#inFlight += bytes;
    return true;
  }

  /** Calls `ready` once `bytes` have been granted to it, after every earlier waiter. Returns a cancel function. */
  wait(bytes: number, ready: () => void): () => void {
    const waiter: Waiter = { bytes, ready };
    this.#waiting.push(waiter);
    return () => {
      const i = this.#waiting.indexOf(waiter);
      if (i >= 0) this.#waiting.splice(i, 1);
      this.#wake();
    };
  }

  /** Gives back `bytes` granted earlier and wakes the waiters that now fit, in order. */
  give(bytes: number): void {
    this.#inFlight = Math.max(0, this.#inFlight - bytes);
    this.#wake();
  }

  #fits(bytes: number): boolean {
    return this.#inFlight === 0 || this.#inFlight + bytes <= this.#limit;
  }

  #wake(): void {
    for (let next = this.#waiting[0]; next !== undefined && this.#fits(next.bytes); next = this.#waiting[0]) {
      this.#waiting.shift();
      this.#inFlight += next.bytes;
      next.ready();
    }
  }
}

/** The budgets of the open connections, by a connection key (grpc-js's peer address). */
export class WriteBudgets {
  readonly #limit: number;
  readonly #byConnection = new Map<string, { readonly budget: WriteBudget; streams: number }>();

  constructor(limitBytesPerConnection: number) {
    this.#limit = limitBytesPerConnection;
  }

  /** The budget of `connection`, for one more stream; call the returned function when that stream ends. */
  acquire(connection: string): { readonly budget: WriteBudget; readonly release: () => void } {
    let entry = this.#byConnection.get(connection);
    if (entry === undefined) {
      entry = { budget: new WriteBudget(this.#limit), streams: 0 };
      this.#byConnection.set(connection, entry);
    }
    entry.streams += 1;
    const held = entry;
    let released = false;
    return {
      budget: held.budget,
      release: () => {
        if (released) return;
        released = true;
        held.streams -= 1;
        if (held.streams === 0 && this.#byConnection.get(connection) === held) this.#byConnection.delete(connection);
      },
    };
  }

  /** Connections with open streams (for tests). */
  get size(): number {
    return this.#byConnection.size;
  }
}
