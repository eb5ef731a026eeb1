// The way product code gets a KubernetesResourceSource: `createKubernetesResourceSource` loads
// @kubernetes/client-node (~55 MB) only when called, so importing src/k8s (the file source, the
// types, the errors) never does. Only the destination controller in a cluster calls it.

import type {
  KubernetesResourceSource,
  KubernetesResourceSourceDependencies,
  KubernetesResourceSourceOptions,
} from './resource-source-kubernetes.ts';

/** Loads the informer-backed source and builds it (not started). */
export async function createKubernetesResourceSource(
  deps: KubernetesResourceSourceDependencies,
  options: KubernetesResourceSourceOptions = {},
): Promise<KubernetesResourceSource> {
  const { KubernetesResourceSource } = await import('./resource-source-kubernetes.ts');
  return new KubernetesResourceSource(deps, options);
}
