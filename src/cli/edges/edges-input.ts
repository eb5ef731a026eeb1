// Turning proxies and their scrapes into the inputs of computeEdges: each proxy's name in edges
// (the local workload, or `namespace/pod` on Kubernetes), own identity and IP. The local mesh's
// proxies come from state.json (MeshComponent), a cluster's from its pods (ProxyTarget); both give
// the same inputs for the same proxy.

import type { MeshComponent } from '../stat/mesh-state.ts';
import { componentHost, localTarget } from '../stat/proxy-source-local.ts';
import type { ProxyTarget } from '../stat/proxy-target.ts';
import type { ScrapePair } from '../stat/scrape.ts';
import type { EdgeProxy } from './edges-math.ts';

/** The host of a proxy's inbound (or else admin) address, to match other proxies' `target_ip`. */
export function proxyHost(proxy: MeshComponent): string | undefined {
  return componentHost(proxy);
}

/** A target's name in edges: its workload locally, `namespace/pod` on Kubernetes. */
export function edgeNameOf(target: ProxyTarget): string {
  return target.namespace === undefined ? target.workload : `${target.namespace}/${target.name}`;
}

/** The targets whose two scrapes succeeded, as computeEdges inputs (same order). */
export function edgeTargetsOf(targets: readonly ProxyTarget[], pairs: readonly ScrapePair[]): EdgeProxy[] {
  const inputs: EdgeProxy[] = [];
  targets.forEach((target, i) => {
    const pair = pairs[i];
    if (pair === undefined || 'error' in pair) return;
    inputs.push({
      workload: edgeNameOf(target),
      identity: target.identity,
      host: target.host,
      before: pair.before,
      after: pair.after,
      windowMs: pair.windowMs,
    });
  });
  return inputs;
}

/** The local proxies whose two scrapes succeeded, as computeEdges inputs (same order). */
export function edgeProxiesOf(proxies: readonly MeshComponent[], pairs: readonly ScrapePair[]): EdgeProxy[] {
  return edgeTargetsOf(proxies.map(localTarget), pairs);
}
