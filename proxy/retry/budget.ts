// The retry budget: Finagle's / Tower's TpsBudget (linkerd.md §4.7). Every original request
// deposits, every retry withdraws; a retry is allowed while
//     withdrawals ≤ retryRatio × deposits + minRetriesPerSecond × ttl-seconds
// counting only what happened in the last `ttl` (defaults 0.2, 10/s, 10 s: 100 retries in any
// 10 s, plus one per 5 requests).
//
// How, as in Tower: amounts go into a ring of buckets (ttl / 10 each, 10 full buckets plus the
// current one) and a running total; the reserve (minRetriesPerSecond × ttl) is added when checking.
// So an entry counts for more than ttl and at most ttl + ttl/10 after it was made, memory is 11
// numbers, and deposit()/withdraw() do at most 11 steps. Unlike Tower (which withdraws
// trunc(1/ratio) tokens and so turns 0.3 into 1/3) amounts are in milli-retries, as Finagle does:
// a deposit adds round(retryRatio × 1000), a retry takes 1000; for 0.2 both give the same answers.
// Buckets start when the budget is made and follow each other every ttl/10 on the clock.
//
// Contract: no timers, nothing to close; not thread-safe (Node has one thread).

import { systemClock, type Clock } from '../../src/time/index.ts';

export interface RetryBudgetOptions {
  /** Retries allowed per original request, 0 to 1000 (default 0.2). */
  readonly retryRatio?: number;
  /** Retries allowed per second of ttl regardless of traffic (default 10). */
  readonly minRetriesPerSecond?: number;
  /** How long deposits and withdrawals count, 1 s to 60 s (default 10 s). */
  readonly ttlMs?: number;
}

export const DEFAULT_RETRY_BUDGET: Readonly<Required<RetryBudgetOptions>> = Object.freeze({
  retryRatio: 0.2,
  minRetriesPerSecond: 10,
  ttlMs: 10_000,
});

/** Milli-retries per retry. */
const SCALE = 1000;
/** Full buckets per ttl. */
const WINDOWS = 10;
/** The ring: WINDOWS full buckets plus the current one. */
const SLOTS = WINDOWS + 1;

export class RetryBudget {
  readonly #clock: Clock;
  readonly #depositAmount: number;
  readonly #reserve: number;
  readonly #windowMs: number;
  readonly #buckets: number[] = new Array<number>(SLOTS).fill(0);
  #index = 0;
  #bucketStart: number;
  #total = 0;

  constructor(clock: Clock = systemClock, options: RetryBudgetOptions = {}) {
    const { retryRatio, minRetriesPerSecond, ttlMs } = { ...DEFAULT_RETRY_BUDGET, ...definedOnly(options) };
    // The bounds are Finagle's (and Tower's).
    if (!(retryRatio >= 0 && retryRatio <= 1000)) {
      throw new RangeError(`retry budget retryRatio must be from 0 to 1000, got ${retryRatio}`);
    }
    if (!(minRetriesPerSecond >= 0) || !Number.isFinite(minRetriesPerSecond)) {
      throw new RangeError(`retry budget minRetriesPerSecond must be >= 0, got ${minRetriesPerSecond}`);
    }
    if (!(ttlMs >= 1000 && ttlMs <= 60_000)) {
      throw new RangeError(`retry budget ttlMs must be from 1000 to 60000, got ${ttlMs}`);
    }
    this.#clock = clock;
    this.#depositAmount = Math.round(retryRatio * SCALE);
    // minRetriesPerSecond × ttl seconds × SCALE.
    this.#reserve = Math.floor(minRetriesPerSecond * ttlMs);
    this.#windowMs = ttlMs / WINDOWS;
    this.#bucketStart = clock.now();
  }

  /** Records an original request (not a retry). */
  deposit(): void {
    this.#advance(this.#clock.now());
    this.#add(this.#depositAmount);
  }

  /** Asks for one retry: true (and counted) when the budget allows it, false otherwise. */
  withdraw(): boolean {
    this.#advance(this.#clock.now());
    if (this.#reserve + this.#total < SCALE) return false;
    this.#add(-SCALE);
    return true;
  }

  /** How many retries withdraw() would allow now (for metrics and tests). */
  available(): number {
    this.#advance(this.#clock.now());
    return Math.max(0, Math.floor((this.#reserve + this.#total) / SCALE));
  }

  #add(amount: number): void {
    this.#buckets[this.#index] = (this.#buckets[this.#index] ?? 0) + amount;
    this.#total += amount;
  }

  /** Moves the current bucket to `now`, forgetting the buckets that fell out of the ring. */
  #advance(now: number): void {
    const elapsed = now - this.#bucketStart;
    if (elapsed < this.#windowMs) return;
    const steps = Math.floor(elapsed / this.#windowMs);
    for (let k = Math.min(steps, SLOTS); k > 0; k--) {
      this.#index = (this.#index + 1) % SLOTS;
      this.#total -= this.#buckets[this.#index] ?? 0;
      this.#buckets[this.#index] = 0;
    }
    this.#bucketStart += steps * this.#windowMs;
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
