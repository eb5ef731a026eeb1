// Logical targets from a function that names one endpoint per request (tests, and simple static
// setups): each distinct endpoint gets its own target and balancer, created on first use and kept.
//
// Contract: resolve() answers undefined when the function has no opinion, and otherwise the same
// LogicalTarget for the same endpoint (host, port, identity, inbound port) every time.

import { createBalancer } from '../balance/index.ts';
import type { Endpoint } from '../http/stack.ts';
import type { LogicalTarget, TargetRequest } from './targets.ts';

export class FunctionTargets {
  readonly #fn: (request: TargetRequest) => Endpoint | undefined;
  readonly #targets = new Map<string, LogicalTarget>();

  constructor(fn: (request: TargetRequest) => Endpoint | undefined) {
    this.#fn = fn;
  }

  resolve(request: TargetRequest): LogicalTarget | undefined {
    const endpoint = this.#fn(request);
    if (endpoint === undefined) return undefined;
    const name = `${endpoint.host}:${endpoint.port}`;
    const key = `${name}|${endpoint.mesh?.identity ?? ''}|${endpoint.mesh?.inboundPort ?? ''}`;
    let target = this.#targets.get(key);
    if (target === undefined) {
      const balancer = createBalancer<Endpoint>('p2c', { keyOf: (e) => `${e.host}:${e.port}` });
      balancer.update([endpoint]);
      target = {
        name,
        balancer,
        profile: () => undefined,
        retryBudget: () => undefined,
        gatewayRouting: () => undefined,
      };
      this.#targets.set(key, target);
    }
    return target;
  }

  close(): void {
    for (const t of this.#targets.values()) t.balancer.close();
    this.#targets.clear();
  }
}
