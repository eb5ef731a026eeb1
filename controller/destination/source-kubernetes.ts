// The Kubernetes branch of createResourceSource, in its own module so that the destination service
// loads @kubernetes/client-node only in a cluster (local mode serves a folder and never needs it).

import type { Registry } from 'prom-client';
import type { EnvSource } from '../../src/config/index.ts';
import { createKubernetesResourceSource, type ResourceSource } from '../../src/k8s/index.ts';
import { loadKubeConfig } from '../../src/k8s/kube-config.ts';
import type { Logger } from '../../src/log/index.ts';

/** An informer-backed source on the API server of KUBECONFIG (its first file), else in-cluster. */
export async function createClusterResourceSource(deps: {
  readonly env: EnvSource;
  readonly log: Logger;
  readonly registry: Registry;
}): Promise<ResourceSource> {
  const kubeConfig = loadKubeConfig(deps.env, 'nodemesh destination');
  // HTTPRoute and GRPCRoute are not served yet (ADR 0007): not watching them spares clusters
  // without the Gateway API CRDs a failed sync.
  return createKubernetesResourceSource(
    { kubeConfig, log: deps.log, registry: deps.registry },
    { kinds: ['Service', 'EndpointSlice', 'Pod', 'ServiceProfile'] },
  );
}
