// Builds a Balancer by strategy name, so configuration and benchmarks can choose one without
// knowing the classes. Strategies: `p2c` (peak-EWMA power of two choices, Linkerd's) and
// `round-robin`.

import type { Balancer, BalancerDependencies, BalancerOptions } from './balancer.ts';
import { P2cBalancer } from './balancer-p2c.ts';
import { RoundRobinBalancer } from './balancer-round-robin.ts';

export const BALANCER_STRATEGIES = Object.freeze(['p2c', 'round-robin'] as const);

export type BalancerStrategy = (typeof BALANCER_STRATEGIES)[number];

export function createBalancer<E>(
  strategy: BalancerStrategy,
  deps: BalancerDependencies<E>,
  options: BalancerOptions = {},
): Balancer<E> {
  switch (strategy) {
    case 'p2c':
      return new P2cBalancer(deps, options);
    case 'round-robin':
      return new RoundRobinBalancer(deps, options);
    default: {
      const unknown: never = strategy;
      throw new RangeError(`unknown balancer strategy ${String(unknown)}`);
    }
  }
}
