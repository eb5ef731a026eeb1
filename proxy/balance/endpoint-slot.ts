// One endpoint as a balancer holds it: its peak-EWMA load and optional breaker, kept across
// updates while its key stays; and the Lease a pick hands out, whose done() reports back to it.
//
// Contract: a Lease is the only per-request allocation; done() is idempotent. A retired slot (its
// endpoint left the set) still accepts done() from requests in flight; its breaker is closed, so
// their outcomes change nothing and no timer stays behind.

import type { ConsecutiveFailures } from './failure-accrual.ts';
import type { PeakEwma } from './peak-ewma.ts';
import type { PickOutcome, ReadyPick } from './balancer.ts';

export class EndpointSlot<E> {
  readonly key: string;
  endpoint: E;
  readonly load: PeakEwma;
  readonly breaker: ConsecutiveFailures | undefined;

  constructor(key: string, endpoint: E, load: PeakEwma, breaker: ConsecutiveFailures | undefined) {
    this.key = key;
    this.endpoint = endpoint;
    this.load = load;
    this.breaker = breaker;
  }

  available(): boolean {
    return this.breaker === undefined || this.breaker.available();
  }

  /** Starts a request on this endpoint (only when available()). */
  lease(now: number): ReadyPick<E> {
    const ticket = this.breaker === undefined ? 0 : this.breaker.admit();
    return new Lease(this, this.load.start(now), ticket);
  }

  retire(): void {
    this.breaker?.close();
  }
}

class Lease<E> implements ReadyPick<E> {
  readonly kind = 'ready' as const;
  readonly endpoint: E;
  readonly #slot: EndpointSlot<E>;
  readonly #startedAt: number;
  readonly #ticket: number;
  #done = false;

  constructor(slot: EndpointSlot<E>, startedAt: number, ticket: number) {
    this.endpoint = slot.endpoint;
    this.#slot = slot;
    this.#startedAt = startedAt;
    this.#ticket = ticket;
  }

  done(outcome: PickOutcome): void {
    if (this.#done) return;
    this.#done = true;
    const slot = this.#slot;
    slot.load.finish(this.#startedAt);
    if (slot.breaker === undefined) return;
    if (outcome.cancelled === true) slot.breaker.onCancel(this.#ticket);
    else slot.breaker.onResult(this.#ticket, outcome.success);
  }
}
