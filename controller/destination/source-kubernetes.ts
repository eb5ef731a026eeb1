// The Kubernetes branch of createResourceSource, in its own module so that the destination service
// loads @kubernetes/client-node only in a cluster (local mode serves a folder and never needs it).

import { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { EnvSource } from '../../src/config/index.ts';
import { ConfigError } from '../../src/errors/index.ts';
import { createKubernetesResourceSource, type ResourceSource } from '../../src/k8s/index.ts';
import type { Logger } from '../../src/log/index.ts';

/** An informer-backed source on the API server of KUBECONFIG (its first file), else in-cluster. */
export async function createClusterResourceSource(deps: {
  readonly env: EnvSource;
  readonly log: Logger;
  readonly registry: Registry;
}): Promise<ResourceSource> {
  const kubeConfig = new KubeConfig();
  const path = deps.env['KUBECONFIG']?.split(':').find((p) => p.length > 0);
  try {
    if (path !== undefined) kubeConfig.loadFromFile(path);
    else kubeConfig.loadFromCluster();
  } catch (err) {
    throw new ConfigError('nodemesh destination', [
      {
        name: 'KUBECONFIG',
        value: path,
        allowed: 'a readable kubeconfig file, or in-cluster service-account credentials',
        detail: err instanceof Error ? err.message : String(err),
      },
    ]);
  }
  // HTTPRoute and GRPCRoute are not served yet (ADR 0007): not watching them spares clusters
  // without the Gateway API CRDs a failed sync.
  return createKubernetesResourceSource(
    { kubeConfig, log: deps.log, registry: deps.registry },
    { kinds: ['Service', 'EndpointSlice', 'Pod', 'ServiceProfile'] },
  );
}
