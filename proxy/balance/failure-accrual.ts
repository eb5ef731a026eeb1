// Failure accrual for one endpoint: Linkerd's consecutive-failures circuit breaker
// (linkerd.md §4.9, linkerd2-proxy `outbound/src/http/breaker/consecutive_failures.rs`).
//
// States and transitions:
// - open: the endpoint is available. Each failure counts, each success resets the count; the
//   `maxFailures`-th consecutive failure shuts the breaker.
// - shut: unavailable for a penalty, then probation. Penalty number i (0 for the first shut after
//   being open) is Linkerd's ExponentialBackoff: base = min(minPenalty · 2^i, maxPenalty), plus a
//   jitter drawn uniformly from [0, base · jitterRatio), the total capped at maxPenalty.
// - probation: admits exactly one request (the probe). Its success opens the breaker (and resets
//   the penalty to the first one); its failure shuts it again with the next, larger penalty.
// - closed: after close() (the endpoint left the balancer); nothing is admitted, results ignored.
//
// Contract:
// - Call available() before admit(); admit() when unavailable is a bug (InternalError). admit()
//   returns a ticket that must be handed back exactly once: to onResult(), or to onCancel() when
//   the request ended without an outcome (the client went away). A cancelled probe charges
//   nothing and lets probation admit another probe.
// - Results are attributed by ticket: results of requests admitted before the last state change
//   are ignored (stragglers that finish while shut, as in Linkerd, and also old ones finishing
//   after the breaker opened again); in probation only the probe's result counts.
// - onChange runs synchronously after every state change (including the probe being admitted); it
//   must not throw. The only timer is the shut penalty; close() cancels it.

import { InternalError } from '../../src/errors/index.ts';
import { systemClock, type Clock, type TimerHandle } from '../../src/time/index.ts';

export interface FailureAccrualOptions {
  /** Consecutive failures that shut the breaker (default 7). */
  readonly maxFailures?: number;
  /** The first penalty (default 1 s). */
  readonly minPenaltyMs?: number;
  /** The largest penalty, jitter included (default 60 s). */
  readonly maxPenaltyMs?: number;
  /** Up to this fraction of the base penalty is added at random (default 0.5; 0 to 100). */
  readonly jitterRatio?: number;
}

export type ResolvedFailureAccrualOptions = Readonly<Required<FailureAccrualOptions>>;

export const DEFAULT_FAILURE_ACCRUAL: ResolvedFailureAccrualOptions = Object.freeze({
  maxFailures: 7,
  minPenaltyMs: 1000,
  maxPenaltyMs: 60_000,
  jitterRatio: 0.5,
});

export type FailureAccrualState =
  | { readonly kind: 'open'; readonly failures: number }
  | { readonly kind: 'shut'; readonly until: number; readonly penaltyMs: number; readonly ejections: number }
  | { readonly kind: 'probation'; readonly probing: boolean; readonly ejections: number }
  | { readonly kind: 'closed' };

export interface FailureAccrualDependencies {
  readonly clock?: Clock;
  /** Random source in [0, 1) for the jitter (default Math.random). */
  readonly random?: () => number;
  /** Called after each state change with the new state. Must not throw. */
  readonly onChange?: (state: FailureAccrualState) => void;
}

/** Fills in defaults and checks the options; throws RangeError naming the bad one. */
export function resolveFailureAccrualOptions(options: FailureAccrualOptions = {}): ResolvedFailureAccrualOptions {
  const o = { ...DEFAULT_FAILURE_ACCRUAL, ...stripUndefined(options) };
  if (!Number.isInteger(o.maxFailures) || o.maxFailures < 1) {
    throw new RangeError(`failure accrual maxFailures must be an integer >= 1, got ${o.maxFailures}`);
  }
  if (!(o.minPenaltyMs >= 0) || !Number.isFinite(o.minPenaltyMs)) {
    throw new RangeError(`failure accrual minPenaltyMs must be >= 0, got ${o.minPenaltyMs}`);
  }
  if (!(o.maxPenaltyMs > 0) || !Number.isFinite(o.maxPenaltyMs) || o.maxPenaltyMs < o.minPenaltyMs) {
    throw new RangeError(
      `failure accrual maxPenaltyMs must be > 0 and >= minPenaltyMs (${o.minPenaltyMs}), got ${o.maxPenaltyMs}`,
    );
  }
  if (!(o.jitterRatio >= 0 && o.jitterRatio <= 100)) {
    throw new RangeError(`failure accrual jitterRatio must be from 0 to 100, got ${o.jitterRatio}`);
  }
  return Object.freeze(o);
}

/** Penalty number `ejection` (0-based): the jittered exponential backoff described above. */
export function penaltyMs(options: ResolvedFailureAccrualOptions, ejection: number, random: () => number): number {
  const { minPenaltyMs: min, maxPenaltyMs: max, jitterRatio } = options;
  const base = Math.min(max, min * 2 ** Math.min(ejection, 64));
  const jitter = jitterRatio === 0 ? 0 : random() * jitterRatio * base;
  return base + Math.min(jitter, max - base);
}

type Kind = FailureAccrualState['kind'];

export class ConsecutiveFailures {
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #onChange: ((state: FailureAccrualState) => void) | undefined;
  readonly #options: ResolvedFailureAccrualOptions;
  #kind: Kind = 'open';
  /** Bumped on every state change; tickets from older epochs are ignored. */
  #epoch = 0;
  #failures = 0;
  /** Shut periods since the breaker was last open (selects the penalty). */
  #ejections = 0;
  #probing = false;
  #until = 0;
  #penaltyMs = 0;
  #timer: TimerHandle | undefined;

  constructor(deps: FailureAccrualDependencies = {}, options: FailureAccrualOptions = {}) {
    this.#clock = deps.clock ?? systemClock;
    this.#random = deps.random ?? Math.random;
    this.#onChange = deps.onChange;
    this.#options = resolveFailureAccrualOptions(options);
  }

  get options(): ResolvedFailureAccrualOptions {
    return this.#options;
  }

  /** A snapshot of the state (allocates; for logs, metrics and tests). */
  get state(): FailureAccrualState {
    switch (this.#kind) {
      case 'open':
        return { kind: 'open', failures: this.#failures };
      case 'shut':
        return { kind: 'shut', until: this.#until, penaltyMs: this.#penaltyMs, ejections: this.#ejections };
      case 'probation':
        return { kind: 'probation', probing: this.#probing, ejections: this.#ejections };
      case 'closed':
        return { kind: 'closed' };
    }
  }

  /** True when open, or in probation with no probe admitted yet. */
  available(): boolean {
    return this.#kind === 'open' || (this.#kind === 'probation' && !this.#probing);
  }

  /** Admits one request and returns its ticket for onResult(). Only when available(). */
  admit(): number {
    if (this.#kind === 'open') return this.#epoch;
    if (this.#kind === 'probation' && !this.#probing) {
      this.#probing = true;
      this.#changed();
      return this.#epoch;
    }
    throw new InternalError(`failure accrual admit() called while ${this.#kind}`);
  }

  /** Records the outcome of the request admitted with `ticket`. */
  onResult(ticket: number, success: boolean): void {
    if (ticket !== this.#epoch) return;
    switch (this.#kind) {
      case 'open':
        if (success) this.#failures = 0;
        else if (++this.#failures >= this.#options.maxFailures) this.#shut();
        return;
      case 'probation':
        if (!this.#probing) return;
        this.#probing = false;
        if (success) {
          this.#ejections = 0;
          this.#open();
        } else {
          this.#ejections++;
          this.#shut();
        }
        return;
      case 'shut':
      case 'closed':
        return;
    }
  }

  /** Ends the request admitted with `ticket` without an outcome: nothing is counted. */
  onCancel(ticket: number): void {
    if (ticket !== this.#epoch || this.#kind !== 'probation' || !this.#probing) return;
    this.#probing = false;
    this.#changed();
  }

  /** Stops the breaker: cancels the penalty timer; nothing is admitted afterwards. Idempotent. */
  close(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#kind = 'closed';
    this.#probing = false;
    this.#epoch++;
  }

  #open(): void {
    this.#epoch++;
    this.#kind = 'open';
    this.#failures = 0;
    this.#changed();
  }

  #shut(): void {
    this.#epoch++;
    this.#kind = 'shut';
    this.#failures = 0;
    this.#penaltyMs = penaltyMs(this.#options, this.#ejections, this.#random);
    this.#until = this.#clock.now() + this.#penaltyMs;
    this.#timer = this.#clock.setTimer(() => this.#probation(), this.#penaltyMs);
    this.#changed();
  }

  #probation(): void {
    this.#timer = undefined;
    if (this.#kind !== 'shut') return;
    this.#epoch++;
    this.#kind = 'probation';
    this.#probing = false;
    this.#changed();
  }

  #changed(): void {
    if (this.#onChange !== undefined) this.#onChange(this.state);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
