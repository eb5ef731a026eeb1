// P2cBalancer: power of two choices over peak-EWMA cost, Linkerd's HTTP balancer (linkerd.md §4.6,
// Tower `p2c`). Each pick draws two distinct available endpoints uniformly at random and takes the
// one with the lower cost (decayed RTT estimate × (in-flight + 1); the first drawn on a tie); with
// one available endpoint, that one. Endpoint weights are ignored, as Linkerd's are in practice.
// Everything else (updates, queue, fail-fast, breakers) is PoolBalancer's, see balancer.ts.

import type { BalancerDependencies, BalancerOptions } from './balancer.ts';
import { PoolBalancer, type EndpointChooser } from './balancer-pool.ts';
import type { EndpointSlot } from './endpoint-slot.ts';

export class P2cBalancer<E> extends PoolBalancer<E> {
  constructor(deps: BalancerDependencies<E>, options: BalancerOptions = {}) {
    super(deps, options, new PowerOfTwoChooser(deps.random ?? Math.random));
  }
}

class PowerOfTwoChooser implements EndpointChooser {
  readonly #random: () => number;

  constructor(random: () => number) {
    this.#random = random;
  }

  choose<E>(ready: readonly EndpointSlot<E>[], now: number): EndpointSlot<E> {
    const n = ready.length;
    const i = Math.min(n - 1, Math.floor(this.#random() * n));
    let j = Math.min(n - 2, Math.floor(this.#random() * (n - 1)));
    if (j >= i) j++;
    const a = ready[i] as EndpointSlot<E>;
    const b = ready[j] as EndpointSlot<E>;
    return a.load.cost(now) <= b.load.cost(now) ? a : b;
  }
}
