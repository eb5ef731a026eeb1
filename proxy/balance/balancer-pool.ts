// PoolBalancer: the machinery every Balancer strategy shares (balancer.ts states the contract):
// the endpoint set with per-endpoint load and breaker, the list of endpoints available now, the
// bounded wait queue and the fail-fast state (linkerd.md §4.6; linkerd2-proxy
// `proxy/balance/queue`). A strategy only chooses among available endpoints (EndpointChooser).
//
// Fail-fast, as in Linkerd's queue worker: the timer starts when the first acquire() has to wait
// and runs until an endpoint becomes available, even if the waiters abort meanwhile. When it fires
// every waiter is answered 'fail-fast' and so is every acquire() until an endpoint becomes
// available (an update() or a breaker entering probation or opening). Waiters are served in FIFO
// order, synchronously, at the moment an endpoint becomes available.
//
// Hot path: pick() reads the clock once, chooses from a cached array of available slots (rebuilt
// only after an update or a breaker change) and allocates only the Lease it returns.

import { systemClock, type Clock, type TimerHandle } from '../../src/time/index.ts';
import {
  CLOSED,
  FAIL_FAST,
  QUEUE,
  SHED,
  type AcquireResult,
  type Balancer,
  type BalancerDependencies,
  type BalancerEvent,
  type BalancerOptions,
  type BalancerState,
  type BalancerStats,
  type PickResult,
} from './balancer.ts';
import { EndpointSlot } from './endpoint-slot.ts';
import {
  ConsecutiveFailures,
  resolveFailureAccrualOptions,
  type ResolvedFailureAccrualOptions,
} from './failure-accrual.ts';
import { PeakEwma, resolvePeakEwmaOptions, type ResolvedPeakEwmaOptions } from './peak-ewma.ts';
import { WaiterQueue } from './waiter-queue.ts';

export const DEFAULT_QUEUE_CAPACITY = 100;
export const DEFAULT_FAIL_FAST_TIMEOUT_MS = 3000;

/** A balancing strategy: chooses one of `ready` (always two or more available endpoints). */
export interface EndpointChooser {
  choose<E>(ready: readonly EndpointSlot<E>[], now: number): EndpointSlot<E>;
}

export class PoolBalancer<E> implements Balancer<E> {
  readonly #keyOf: (endpoint: E) => string;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #onEvent: ((event: BalancerEvent) => void) | undefined;
  readonly #chooser: EndpointChooser;
  readonly #ewma: ResolvedPeakEwmaOptions;
  readonly #accrual: ResolvedFailureAccrualOptions | undefined;
  readonly #capacity: number;
  readonly #failFastTimeoutMs: number;

  #slots: EndpointSlot<E>[] = [];
  #byKey = new Map<string, EndpointSlot<E>>();
  /** The available slots; equal to #slots when there is no failure accrual. */
  #ready: EndpointSlot<E>[] = [];
  #readyDirty = false;
  readonly #queue = new WaiterQueue<AcquireResult<E>>();
  #state: BalancerState = 'idle';
  #timer: TimerHandle | undefined;
  #draining = false;

  constructor(deps: BalancerDependencies<E>, options: BalancerOptions, chooser: EndpointChooser) {
    const capacity = options.queueCapacity ?? DEFAULT_QUEUE_CAPACITY;
    const failFastTimeoutMs = options.failFastTimeoutMs ?? DEFAULT_FAIL_FAST_TIMEOUT_MS;
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new RangeError(`balancer queueCapacity must be an integer >= 0, got ${capacity}`);
    }
    if (!(failFastTimeoutMs >= 0) || !Number.isFinite(failFastTimeoutMs)) {
      throw new RangeError(`balancer failFastTimeoutMs must be >= 0, got ${failFastTimeoutMs}`);
    }
    this.#keyOf = deps.keyOf;
    this.#clock = deps.clock ?? systemClock;
    this.#random = deps.random ?? Math.random;
    this.#onEvent = deps.onEvent;
    this.#chooser = chooser;
    this.#ewma = resolvePeakEwmaOptions(options.ewma);
    this.#accrual = options.accrual === undefined ? undefined : resolveFailureAccrualOptions(options.accrual);
    this.#capacity = capacity;
    this.#failFastTimeoutMs = failFastTimeoutMs;
  }

  update(endpoints: readonly E[]): void {
    if (this.#state === 'closed') return;
    const slots: EndpointSlot<E>[] = [];
    const byKey = new Map<string, EndpointSlot<E>>();
    for (const endpoint of endpoints) {
      const key = this.#keyOf(endpoint);
      let slot = byKey.get(key);
      if (slot === undefined) {
        slot = this.#byKey.get(key) ?? this.#newSlot(key, endpoint);
        byKey.set(key, slot);
        slots.push(slot);
      }
      slot.endpoint = endpoint;
    }
    for (const [key, slot] of this.#byKey) if (!byKey.has(key)) slot.retire();
    this.#slots = slots;
    this.#byKey = byKey;
    this.#availabilityChanged();
  }

  pick(): PickResult<E> {
    const ready = this.#readyDirty ? this.#rebuildReady() : this.#ready;
    const n = ready.length;
    if (n === 0) return QUEUE;
    const now = this.#clock.now();
    const slot = n === 1 ? (ready[0] as EndpointSlot<E>) : this.#chooser.choose(ready, now);
    return slot.lease(now);
  }

  acquire(signal?: AbortSignal): Promise<AcquireResult<E>> {
    if (this.#state === 'closed') return Promise.resolve(CLOSED);
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
    const picked = this.pick();
    if (picked.kind === 'ready') return Promise.resolve(picked);
    if (this.#state === 'fail-fast') return Promise.resolve(FAIL_FAST);
    if (this.#queue.size >= this.#capacity) return Promise.resolve(SHED);
    return new Promise<AcquireResult<E>>((resolve, reject) => {
      this.#queue.push(resolve, reject, signal);
      if (this.#state === 'idle') this.#startWaiting();
    });
  }

  stats(): BalancerStats {
    const ready = (this.#readyDirty ? this.#rebuildReady() : this.#ready).length;
    return { ready, pending: this.#slots.length - ready, queued: this.#queue.size, state: this.#state };
  }

  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#cancelTimer();
    for (const slot of this.#slots) slot.retire();
    this.#slots = [];
    this.#byKey = new Map();
    this.#ready = [];
    this.#readyDirty = false;
    this.#queue.resolveAll(CLOSED);
  }

  #newSlot(key: string, endpoint: E): EndpointSlot<E> {
    const load = new PeakEwma(this.#clock, this.#ewma);
    const breaker =
      this.#accrual === undefined
        ? undefined
        : new ConsecutiveFailures(
            {
              clock: this.#clock,
              random: this.#random,
              onChange: (state) => {
                this.#onEvent?.({ kind: 'endpoint', key, state });
                this.#availabilityChanged();
              },
            },
            this.#accrual,
          );
    return new EndpointSlot(key, endpoint, load, breaker);
  }

  #rebuildReady(): EndpointSlot<E>[] {
    this.#readyDirty = false;
    this.#ready = this.#accrual === undefined ? this.#slots : this.#slots.filter((s) => s.available());
    return this.#ready;
  }

  /** After an update or a breaker change: serve waiters and leave fail-fast if one is available. */
  #availabilityChanged(): void {
    this.#readyDirty = true;
    if (this.#draining || this.#state === 'closed') return;
    if (this.#state === 'idle' && this.#queue.size === 0) return;
    if (this.#rebuildReady().length === 0) return;
    this.#becameReady();
  }

  #becameReady(): void {
    const wasFailFast = this.#state === 'fail-fast';
    this.#cancelTimer();
    this.#state = 'idle';
    if (wasFailFast) this.#onEvent?.({ kind: 'fail-fast', active: false });
    // Picking may admit a probation probe, which reports a change; #draining keeps that from
    // re-entering this loop (the next pick sees the change anyway).
    this.#draining = true;
    try {
      while (this.#queue.size > 0) {
        const picked = this.pick();
        if (picked.kind !== 'ready') break;
        this.#queue.resolveNext(picked);
      }
    } finally {
      this.#draining = false;
    }
    if (this.#queue.size > 0) this.#startWaiting();
  }

  #startWaiting(): void {
    this.#state = 'waiting';
    this.#timer = this.#clock.setTimer(() => this.#failFastTimeout(), this.#failFastTimeoutMs);
  }

  #failFastTimeout(): void {
    this.#timer = undefined;
    if (this.#state !== 'waiting') return;
    if ((this.#readyDirty ? this.#rebuildReady() : this.#ready).length > 0) {
      this.#becameReady();
      return;
    }
    this.#state = 'fail-fast';
    this.#onEvent?.({ kind: 'fail-fast', active: true });
    this.#queue.resolveAll(FAIL_FAST);
  }

  #cancelTimer(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }
}
