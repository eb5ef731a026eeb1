// The RouteStatusWriter on the Kubernetes API: replaces the status subresource of an HTTPRoute or
// GRPCRoute (PUT .../httproutes/NAME/status) with the resourceVersion the controller read, so a
// concurrent change answers 409 instead of being overwritten. Controllers only: this loads
// @kubernetes/client-node.

import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { RESOURCE_KINDS, kubernetesApiError } from '../../src/k8s/index.ts';
import type { RouteStatusWriter } from './route-status.ts';

export function kubernetesRouteStatusWriter(kubeConfig: KubeConfig): RouteStatusWriter {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  return {
    async write(kind, namespace, name, resourceVersion, status) {
      const { group, version, plural, apiVersion } = RESOURCE_KINDS[kind];
      const body = { apiVersion, kind, metadata: { name, namespace, resourceVersion }, status };
      try {
        await api.replaceNamespacedCustomObjectStatus({ group, version, namespace, plural, name, body });
      } catch (err) {
        throw kubernetesApiError(`replace ${kind} ${namespace}/${name} status`, err);
      }
    },
  };
}
