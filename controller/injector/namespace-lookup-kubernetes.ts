// The namespaces' labels and annotations, read from the Kubernetes API for the injector's decision
// (`nodemesh.io/inject` and `config.nodemesh.io/*` on the namespace apply to its pods).
//
// Contract: one GET per namespace per `ttlMs` however many pods are admitted at once (concurrent
// lookups share the call); a namespace that does not exist reads as no labels and no annotations;
// any other failure throws KubernetesApiError and is not cached, so the next review asks again.

import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { httpStatusOf, kubernetesApiError } from '../../src/k8s/errors.ts';
import { systemClock, type Clock } from '../../src/time/index.ts';

export interface NamespaceMetadata {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export type NamespaceMetadataLookup = (namespace: string) => Promise<NamespaceMetadata>;

const EMPTY: NamespaceMetadata = Object.freeze({ labels: Object.freeze({}), annotations: Object.freeze({}) });

export function kubernetesNamespaceLookup(
  kubeConfig: KubeConfig,
  options: { readonly ttlMs: number; readonly clock?: Clock },
): NamespaceMetadataLookup {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  const clock = options.clock ?? systemClock;
  const cache = new Map<string, { readonly at: number; readonly value: Promise<NamespaceMetadata> }>();
  const read = async (name: string): Promise<NamespaceMetadata> => {
    try {
      const ns = await api.readNamespace({ name });
      return Object.freeze({
        labels: Object.freeze({ ...ns.metadata?.labels }),
        annotations: Object.freeze({ ...ns.metadata?.annotations }),
      });
    } catch (err) {
      if (httpStatusOf(err) === 404) return EMPTY;
      throw kubernetesApiError(`get Namespace ${name}`, err);
    }
  };
  return (name) => {
    const now = clock.now();
    const hit = cache.get(name);
    if (hit !== undefined && now - hit.at < options.ttlMs) return hit.value;
    const value = read(name);
    cache.set(name, { at: now, value });
    value.catch(() => {
      if (cache.get(name)?.value === value) cache.delete(name);
    });
    if (cache.size > 10_000) cache.delete(cache.keys().next().value as string);
    return value;
  };
}
