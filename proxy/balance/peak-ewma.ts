// Peak-EWMA load of one endpoint: the cost the P2C balancer compares (linkerd.md §4.6). A port of
// Tower's `load::PeakEwma` (itself from Finagle's PeakEwma), on an injected clock.
//
// State: the RTT estimate `est` (ms), the time `t` it was last changed, and `inFlight`.
// The formulas, with `decay` = decayMs and every time read from the clock:
// - Reading at time `now` (cost(), estimate()) decays the stored estimate toward zero and stores
//   the result:  est ← est · exp(−(now − t) / decay);  t ← now.
//   This is Tower's `decay()` (an update with rtt = 0). Reads compose: reading at a and again at b
//   gives the same estimate as one read at b, so how often the balancer looks changes nothing.
// - finish(startedAt) at time `now` observes rtt = now − startedAt (never below 0):
//     rtt > est:  est ← rtt                                  (a peak: jump to it at once)
//     otherwise:  w = exp(−(now − t) / decay);  est ← est·w + rtt·(1 − w)
//   then t ← now. `est` is the stored value, not decayed first, exactly as in Tower.
// - cost(now) = decayed est × (inFlight + 1).
// A new endpoint starts with est = defaultRttMs (Linkerd: 30 ms) and t = construction time.
// With decay = 10 s an idle estimate falls to 1/e (36.8%) of its value in 10 s.
//
// Contract: every start() is paired with exactly one finish(startedAt) (the caller passes back the
// value start() returned). Not hot-path allocating: numbers only.

import { systemClock, type Clock } from '../../src/time/index.ts';

export interface PeakEwmaOptions {
  /** The estimate of an endpoint with no measurement yet (default 30 ms, Linkerd's `default_rtt`). */
  readonly defaultRttMs?: number;
  /** The time constant of the exponential decay (default 10 s, Linkerd's `decay`). */
  readonly decayMs?: number;
}

export type ResolvedPeakEwmaOptions = Readonly<Required<PeakEwmaOptions>>;

export const DEFAULT_PEAK_EWMA: ResolvedPeakEwmaOptions = Object.freeze({
  defaultRttMs: 30,
  decayMs: 10_000,
});

/** Fills in defaults and checks the options; throws RangeError naming the bad one. */
export function resolvePeakEwmaOptions(options: PeakEwmaOptions = {}): ResolvedPeakEwmaOptions {
  const defaultRttMs = options.defaultRttMs ?? DEFAULT_PEAK_EWMA.defaultRttMs;
  const decayMs = options.decayMs ?? DEFAULT_PEAK_EWMA.decayMs;
  if (!(defaultRttMs > 0) || !Number.isFinite(defaultRttMs)) {
    throw new RangeError(`peak-EWMA defaultRttMs must be > 0, got ${defaultRttMs}`);
  }
  if (!(decayMs > 0) || !Number.isFinite(decayMs)) {
    throw new RangeError(`peak-EWMA decayMs must be > 0, got ${decayMs}`);
  }
  return Object.freeze({ defaultRttMs, decayMs });
}

export class PeakEwma {
  readonly #clock: Clock;
  readonly #decayMs: number;
  #estimateMs: number;
  #updatedAt: number;
  #inFlight = 0;

  constructor(clock: Clock = systemClock, options: PeakEwmaOptions = {}) {
    const { defaultRttMs, decayMs } = resolvePeakEwmaOptions(options);
    this.#clock = clock;
    this.#decayMs = decayMs;
    this.#estimateMs = defaultRttMs;
    this.#updatedAt = clock.now();
  }

  /** Requests started and not yet finished. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Counts a request as in flight; returns its start time, to hand back to finish(). */
  start(now: number = this.#clock.now()): number {
    this.#inFlight++;
    return now;
  }

  /** Ends a request started at `startedAt` (from start()) and folds its RTT into the estimate. */
  finish(startedAt: number, now: number = this.#clock.now()): void {
    if (this.#inFlight > 0) this.#inFlight--;
    const rtt = now > startedAt ? now - startedAt : 0;
    if (rtt > this.#estimateMs) {
      this.#estimateMs = rtt;
    } else {
      const w = Math.exp(-this.#elapsed(now) / this.#decayMs);
      this.#estimateMs = this.#estimateMs * w + rtt * (1 - w);
    }
    if (now > this.#updatedAt) this.#updatedAt = now;
  }

  /** The RTT estimate in ms, decayed to `now` (this stores the decay, as Tower does). */
  estimate(now: number = this.#clock.now()): number {
    const elapsed = this.#elapsed(now);
    if (elapsed > 0) {
      this.#estimateMs *= Math.exp(-elapsed / this.#decayMs);
      this.#updatedAt = now;
    }
    return this.#estimateMs;
  }

  /** The load: estimate(now) × (inFlight + 1). Lower is better. */
  cost(now: number = this.#clock.now()): number {
    return this.estimate(now) * (this.#inFlight + 1);
  }

  #elapsed(now: number): number {
    return now > this.#updatedAt ? now - this.#updatedAt : 0;
  }
}
