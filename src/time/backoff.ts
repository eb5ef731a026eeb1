// Exponential backoff with jitter, as a small state machine: next() gives the next delay, reset()
// starts over after a success. Jitter spreads retries of many clients apart.

export interface BackoffOptions {
  readonly minMs: number;
  readonly maxMs: number;
  /** 0..1: each delay is scaled by a random factor in [1 - jitter, 1 + jitter] (default 0.1). */
  readonly jitter?: number;
  /** Random source in [0, 1) (tests pass a fixed one). */
  readonly random?: () => number;
}

export class Backoff {
  readonly #opts: Required<BackoffOptions>;
  #attempt = 0;

  constructor(opts: BackoffOptions) {
    if (!(opts.minMs > 0) || !(opts.maxMs >= opts.minMs)) {
      throw new RangeError(`backoff needs 0 < minMs <= maxMs, got ${opts.minMs} and ${opts.maxMs}`);
    }
    this.#opts = { jitter: 0.1, random: Math.random, ...opts };
  }

  get attempts(): number {
    return this.#attempt;
  }

  next(): number {
    const base = Math.min(this.#opts.maxMs, this.#opts.minMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 52);
    const factor = 1 + this.#opts.jitter * (2 * this.#opts.random() - 1);
    return Math.min(this.#opts.maxMs, Math.max(0, base * factor));
  }

  reset(): void {
    this.#attempt = 0;
  }
}
