// RetryQueue: the work queue of the route status controller (STYLE.md rule 9). Handlers add keys
// (never blocking); one worker reconciles them one at a time, asynchronously (a reconcile may
// write to the API server). A key added many times before the worker takes it runs once; a key
// added while it runs runs again after.
//
// Contract: `reconcile(key)` answers `done`, `retry` (a failure: requeued after a per-key
// exponential backoff, dropped after `maxRetries` with `onDrop`) or `defer` (not ready yet, e.g.
// caches not synced: requeued after `deferMs`, no retry spent). A reconcile that throws counts as
// `retry`. An add() of a key waiting for its backoff runs it now (its attempts are kept until a
// `done`). close() drops every key and timer; a reconcile in flight finishes and its answer is
// ignored.

import type { Logger } from '../../src/log/index.ts';
import { Backoff, systemClock, type Clock, type TimerHandle } from '../../src/time/index.ts';

export type ReconcileOutcome = 'done' | 'retry' | 'defer';

export interface RetryQueueDependencies {
  readonly reconcile: (key: string) => Promise<ReconcileOutcome>;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Called when a key has failed `maxRetries` times in a row and is dropped. */
  readonly onDrop?: (key: string, attempts: number) => void;
}

export interface RetryQueueOptions {
  /** The first and the longest backoff (default 500 ms to 30 s). */
  readonly backoff?: { readonly minMs: number; readonly maxMs: number };
  /** Retries before a key is dropped (default 10). */
  readonly maxRetries?: number;
  /** The wait after `defer` (default 1 s). */
  readonly deferMs?: number;
}

export class RetryQueue {
  readonly #deps: RetryQueueDependencies;
  readonly #clock: Clock;
  readonly #backoffOptions: { readonly minMs: number; readonly maxMs: number };
  readonly #maxRetries: number;
  readonly #deferMs: number;
  readonly #pending = new Set<string>();
  readonly #timers = new Map<string, TimerHandle>();
  readonly #backoffs = new Map<string, Backoff>();
  #running = false;
  #closed = false;
  #idle: PromiseWithResolvers<void> | undefined;

  constructor(deps: RetryQueueDependencies, options: RetryQueueOptions = {}) {
    this.#deps = deps;
    this.#clock = deps.clock ?? systemClock;
    this.#backoffOptions = options.backoff ?? { minMs: 500, maxMs: 30_000 };
    this.#maxRetries = options.maxRetries ?? 10;
    this.#deferMs = options.deferMs ?? 1000;
  }

  add(key: string): void {
    if (this.#closed) return;
    this.#timers.get(key)?.cancel();
    this.#timers.delete(key);
    this.#pending.add(key);
    this.#kick();
  }

  /** Keys waiting for the worker or for their backoff. */
  get size(): number {
    return new Set([...this.#pending, ...this.#timers.keys()]).size;
  }

  /** Resolves once no key is waiting for the worker and none is running (backoff timers may remain). */
  whenIdle(): Promise<void> {
    if (!this.#running && this.#pending.size === 0) return Promise.resolve();
    this.#idle ??= Promise.withResolvers<void>();
    return this.#idle.promise;
  }

  close(): void {
    this.#closed = true;
    this.#pending.clear();
    for (const timer of this.#timers.values()) timer.cancel();
    this.#timers.clear();
    this.#backoffs.clear();
    this.#resolveIdle();
  }

  #kick(): void {
    if (this.#running || this.#closed) return;
    this.#running = true;
    void this.#drain();
  }

  async #drain(): Promise<void> {
    while (!this.#closed) {
      const key = this.#pending.values().next().value;
      if (key === undefined) break;
      this.#pending.delete(key);
      let outcome: ReconcileOutcome;
      try {
        outcome = await this.#deps.reconcile(key);
      } catch (err) {
        this.#deps.log.error({ err, key }, 'route status reconcile threw');
        outcome = 'retry';
      }
      if (this.#closed) break;
      this.#settle(key, outcome);
    }
    this.#running = false;
    this.#resolveIdle();
  }

  #settle(key: string, outcome: ReconcileOutcome): void {
    switch (outcome) {
      case 'done':
        this.#backoffs.delete(key);
        return;
      case 'defer':
        this.#after(key, this.#deferMs);
        return;
      case 'retry': {
        let backoff = this.#backoffs.get(key);
        if (backoff === undefined) {
          backoff = new Backoff({
            ...this.#backoffOptions,
            ...(this.#deps.random === undefined ? {} : { random: this.#deps.random }),
          });
          this.#backoffs.set(key, backoff);
        }
        if (backoff.attempts >= this.#maxRetries) {
          this.#backoffs.delete(key);
          this.#deps.onDrop?.(key, backoff.attempts);
          return;
        }
        if (!this.#pending.has(key)) this.#after(key, backoff.next());
        return;
      }
      default: {
        const never: never = outcome;
        throw new Error(`unknown reconcile outcome ${String(never)}`);
      }
    }
  }

  #after(key: string, ms: number): void {
    if (this.#pending.has(key)) return;
    this.#timers.get(key)?.cancel();
    this.#timers.set(
      key,
      this.#clock.setTimer(() => {
        this.#timers.delete(key);
        if (this.#closed) return;
        this.#pending.add(key);
        this.#kick();
      }, ms),
    );
  }

  #resolveIdle(): void {
    if (this.#running || (this.#pending.size > 0 && !this.#closed)) return;
    this.#idle?.resolve();
    this.#idle = undefined;
  }
}
