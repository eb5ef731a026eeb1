// The Kubernetes branch of createResourceSource, in its own module so that the destination service
// loads @kubernetes/client-node only in a cluster (local mode serves a folder and never needs it).
//
// Contract: Service, EndpointSlice, Pod and ServiceProfile are always watched. HTTPRoute and
// GRPCRoute (ADR 0012) are watched only when the API server serves them, asked once at start
// through discovery (each may be absent on its own: GRPCRoute came later than HTTPRoute), so a
// cluster without the Gateway API CRDs still syncs. The choice is logged; a CRD installed later is
// watched after a restart.

import type { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from '../../src/metrics/index.ts';
import type { EnvSource } from '../../src/config/index.ts';
import { createKubernetesResourceSource, type ResourceKind, type ResourceSource } from '../../src/k8s/index.ts';
import { loadKubeConfig } from '../../src/k8s/kube-config.ts';
import { discoverServedKinds, type DiscoveryOptions } from '../../src/k8s/resource-source-kubernetes-discovery.ts';
import type { Logger } from '../../src/log/index.ts';

/** What the destination service always watches. */
export const CORE_KINDS: readonly ResourceKind[] = Object.freeze(['Service', 'EndpointSlice', 'Pod', 'ServiceProfile']);
/** What it watches when the cluster serves it. */
export const ROUTE_KINDS: readonly ResourceKind[] = Object.freeze(['HTTPRoute', 'GRPCRoute']);

/** An informer-backed source on the API server of KUBECONFIG (its first file), else in-cluster. */
export async function createClusterResourceSource(deps: {
  readonly env: EnvSource;
  readonly log: Logger;
  readonly registry: Registry;
}): Promise<ResourceSource> {
  const kubeConfig = loadKubeConfig(deps.env, 'nodemesh destination');
  const kinds = await destinationKinds(kubeConfig, deps.log);
  return createKubernetesResourceSource({ kubeConfig, log: deps.log, registry: deps.registry }, { kinds });
}

/** The kinds to watch on this cluster: the core ones, and the route kinds it serves (logged). */
export async function destinationKinds(
  kubeConfig: KubeConfig,
  log: Logger,
  options: DiscoveryOptions = {},
): Promise<ResourceKind[]> {
  const routes = await discoverServedKinds(kubeConfig, ROUTE_KINDS, options);
  const absent = ROUTE_KINDS.filter((kind) => !routes.includes(kind));
  log.info(
    { routeKinds: routes, absentRouteKinds: absent },
    absent.length === 0
      ? 'the cluster serves HTTPRoute and GRPCRoute: watching them'
      : `the cluster does not serve ${absent.join(' or ')} (gateway.networking.k8s.io/v1): not watched, no such routes are served until a restart`,
  );
  return [...CORE_KINDS, ...routes];
}
