// Turning the local mesh's proxies (state.json) and their scrapes into the inputs of computeEdges:
// each proxy's workload, own identity and IP.

import { workloadOf, type MeshComponent } from '../stat/mesh-state.ts';
import type { ScrapePair } from '../stat/scrape.ts';
import type { EdgeProxy } from './edges-math.ts';

/** The host of a proxy's inbound (or else admin) address, to match other proxies' `target_ip`. */
export function proxyHost(proxy: MeshComponent): string | undefined {
  const inbound = proxy.addresses.inbound;
  if (inbound !== undefined) {
    const at = inbound.lastIndexOf(':');
    return (at > 0 ? inbound.slice(0, at) : inbound).replace(/^\[|\]$/g, '');
  }
  const admin = proxy.addresses.admin;
  if (admin === undefined) return undefined;
  try {
    return new URL(admin).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

/** The proxies whose two scrapes succeeded, as computeEdges inputs (same order). */
export function edgeProxiesOf(proxies: readonly MeshComponent[], pairs: readonly ScrapePair[]): EdgeProxy[] {
  const inputs: EdgeProxy[] = [];
  proxies.forEach((proxy, i) => {
    const pair = pairs[i];
    if (pair === undefined || 'error' in pair) return;
    const identity = proxy.addresses.identity;
    inputs.push({
      workload: workloadOf(proxy),
      identity: identity === undefined || identity === '' ? undefined : identity,
      host: proxyHost(proxy),
      before: pair.before,
      after: pair.after,
      windowMs: pair.windowMs,
    });
  });
  return inputs;
}
