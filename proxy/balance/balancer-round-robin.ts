// RoundRobinBalancer: takes the available endpoints in turn, ignoring load. It is the baseline the
// P2C balancer is compared with (tests, bench); queue, fail-fast and breakers are PoolBalancer's,
// see balancer.ts. The turn is kept across updates (modulo the new count of available endpoints).

import type { BalancerDependencies, BalancerOptions } from './balancer.ts';
import { PoolBalancer, type EndpointChooser } from './balancer-pool.ts';
import type { EndpointSlot } from './endpoint-slot.ts';

export class RoundRobinBalancer<E> extends PoolBalancer<E> {
  constructor(deps: BalancerDependencies<E>, options: BalancerOptions = {}) {
    super(deps, options, new RoundRobinChooser());
  }
}

class RoundRobinChooser implements EndpointChooser {
  #next = 0;

  choose<E>(ready: readonly EndpointSlot<E>[]): EndpointSlot<E> {
    const i = this.#next % ready.length;
    this.#next = i + 1;
    return ready[i] as EndpointSlot<E>;
  }
}
