// ReconcileQueue: where resource event handlers put keys and a worker takes them (STYLE.md rule 9).
// add() only records the key and schedules the worker (setImmediate), so handlers never block; a
// key added many times before the worker runs is reconciled once.
//
// Contract: `reconcile(key)` is synchronous and idempotent and reads only the caches. It does not
// fail on missing objects (that is a state, not an error); if it throws anyway (a bug), the error is
// logged and counted and the key is dropped: the next event for it reconciles again, and a retry
// from the same caches would throw the same way. close() drops pending keys; nothing runs after it.

import type { Logger } from '../../src/log/index.ts';

export interface ReconcileQueueDependencies {
  readonly log: Logger;
  readonly reconcile: (key: string) => void;
  /** Called when reconcile throws (for a metric). */
  readonly onError?: (key: string, err: unknown) => void;
}

export class ReconcileQueue {
  readonly #deps: ReconcileQueueDependencies;
  #keys = new Set<string>();
  #scheduled: NodeJS.Immediate | undefined;
  #idle: PromiseWithResolvers<void> | undefined;
  #closed = false;

  constructor(deps: ReconcileQueueDependencies) {
    this.#deps = deps;
  }

  add(key: string): void {
    if (this.#closed) return;
    this.#keys.add(key);
    this.#scheduled ??= setImmediate(() => this.#run());
  }

  /** Resolves once every key added so far has been reconciled (for tests and shutdown). */
  flush(): Promise<void> {
    if (this.#scheduled === undefined) return Promise.resolve();
    this.#idle ??= Promise.withResolvers<void>();
    return this.#idle.promise;
  }

  close(): void {
    this.#closed = true;
    this.#keys.clear();
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    this.#idle?.resolve();
    this.#idle = undefined;
  }

  #run(): void {
    this.#scheduled = undefined;
    const keys = [...this.#keys];
    this.#keys.clear();
    for (const key of keys) {
      if (this.#closed) return;
      try {
        this.#deps.reconcile(key);
      } catch (err) {
        this.#deps.log.error({ err, key }, 'reconcile failed');
        this.#deps.onError?.(key, err);
      }
    }
    if (this.#scheduled === undefined) {
      this.#idle?.resolve();
      this.#idle = undefined;
    }
  }
}
