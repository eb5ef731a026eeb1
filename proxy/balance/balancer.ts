// The per-request balancer interface (linkerd.md §4.6) and its result types. Implementations:
// P2cBalancer (power of two choices over peak-EWMA cost, what Linkerd does) and
// RoundRobinBalancer (for comparison), both built on PoolBalancer.
//
// Contract for every Balancer:
// - update(endpoints) replaces the endpoint set at once. Endpoints kept (same keyOf) keep their
//   load estimate, breaker and in-flight count; removed ones are no longer picked, and requests
//   already sent to them finish normally (their done() still works).
// - pick() is the synchronous fast path: 'ready' with an endpoint, or 'queue' when none is
//   available now (the caller then awaits acquire()).
// - acquire(signal) waits in a bounded FIFO queue while no endpoint is available. It answers:
//   'ready' as soon as one is; 'fail-fast' when none became available within failFastTimeoutMs of
//   the balancer starting to wait, and at once for every acquire while the balancer stays in
//   fail-fast (until an endpoint becomes available); 'shed' at once when the queue is full;
//   'closed' after close(). It never rejects, except with `signal.reason` when `signal` aborts
//   before an endpoint was handed out.
// - Every 'ready' result must be finished with done(outcome) exactly once, when the attempt ends
//   (response classified, or failed, or cancelled: PICK_SUCCESS / PICK_FAILURE / PICK_CANCELLED);
//   done() records the latency into the endpoint's load and the outcome into its breaker. Later
//   calls are ignored. A lease never finished keeps counting as in flight (and a probation probe
//   never finished keeps its endpoint out), so finish it on every path.
// - The HTTP edge maps 'fail-fast' to 504 / gRPC UNAVAILABLE and 'shed' to 503 (the
//   `l5d-proxy-error` reason says which); nothing here throws for them.

import type { Clock } from '../../src/time/index.ts';
import type { FailureAccrualOptions, FailureAccrualState } from './failure-accrual.ts';
import type { PeakEwmaOptions } from './peak-ewma.ts';

export interface PickOutcome {
  /** false when the response was classified as a failure (or the attempt failed). */
  readonly success: boolean;
  /** The request ended with no outcome (the client cancelled): the latency still counts, the
   * breaker is not charged (success is ignored), and a cancelled probation probe frees the slot. */
  readonly cancelled?: boolean;
}

/** Shared outcomes for done(), so callers need not allocate one per request. */
export const PICK_SUCCESS: PickOutcome = Object.freeze({ success: true });
export const PICK_FAILURE: PickOutcome = Object.freeze({ success: false });
export const PICK_CANCELLED: PickOutcome = Object.freeze({ success: false, cancelled: true });

export interface ReadyPick<E> {
  readonly kind: 'ready';
  readonly endpoint: E;
  /** Ends the request: call exactly once (later calls are ignored). */
  done(outcome: PickOutcome): void;
}

export interface QueuePick {
  readonly kind: 'queue';
}

export type PickResult<E> = ReadyPick<E> | QueuePick;

/** Nothing became available within the fail-fast timeout; or the balancer is in fail-fast. */
export interface FailFastResult {
  readonly kind: 'fail-fast';
}

/** The queue is full (load shed). */
export interface ShedResult {
  readonly kind: 'shed';
}

/** The balancer was closed. */
export interface ClosedResult {
  readonly kind: 'closed';
}

export type AcquireResult<E> = ReadyPick<E> | FailFastResult | ShedResult | ClosedResult;

export type BalancerState =
  /** Serving, or nothing is waiting. */
  | 'idle'
  /** Requests waited for an endpoint; fail-fast follows unless one becomes available in time. */
  | 'waiting'
  /** No endpoint became available in time: acquire() fails fast until one does. */
  | 'fail-fast'
  | 'closed';

export interface BalancerStats {
  /** Endpoints that can be picked now. */
  readonly ready: number;
  /** Endpoints that cannot (breaker shut, or probation probe in flight). */
  readonly pending: number;
  /** acquire() calls waiting in the queue. */
  readonly queued: number;
  readonly state: BalancerState;
}

export interface BalancerDependencies<E> {
  /** The identity of an endpoint across updates (e.g. `host:port`). */
  readonly keyOf: (endpoint: E) => string;
  /** Default systemClock. */
  readonly clock?: Clock;
  /** Random source in [0, 1) for P2C and breaker jitter (default Math.random). */
  readonly random?: () => number;
  /** Told about fail-fast and breaker changes (for logs and metrics); runs synchronously, must not
   * throw or call back into the balancer. */
  readonly onEvent?: (event: BalancerEvent) => void;
}

export interface BalancerOptions {
  /** Peak-EWMA settings of each endpoint's load (defaults: 30 ms, 10 s). */
  readonly ewma?: PeakEwmaOptions;
  /** Consecutive-failures accrual per endpoint; undefined (the default) turns it off. */
  readonly accrual?: FailureAccrualOptions;
  /** Most acquire() calls that may wait at once (default 100, what Linkerd's policy sends). */
  readonly queueCapacity?: number;
  /** How long requests may wait for an endpoint before fail-fast (default 3 s, Linkerd outbound). */
  readonly failFastTimeoutMs?: number;
}

export type BalancerEvent =
  /** Entered (active) or left fail-fast. */
  | { readonly kind: 'fail-fast'; readonly active: boolean }
  /** An endpoint's breaker changed state. */
  | { readonly kind: 'endpoint'; readonly key: string; readonly state: FailureAccrualState };

export interface Balancer<E> {
  update(endpoints: readonly E[]): void;
  pick(): PickResult<E>;
  acquire(signal?: AbortSignal): Promise<AcquireResult<E>>;
  stats(): BalancerStats;
  /** Answers every waiter 'closed', cancels all timers; later calls answer 'closed'. Idempotent. */
  close(): void;
}

export const QUEUE: QueuePick = Object.freeze({ kind: 'queue' });
export const FAIL_FAST: FailFastResult = Object.freeze({ kind: 'fail-fast' });
export const SHED: ShedResult = Object.freeze({ kind: 'shed' });
export const CLOSED: ClosedResult = Object.freeze({ kind: 'closed' });
