// The Kubernetes client configuration of a controller or CLI verb: the first file of KUBECONFIG
// when set, else the in-cluster service account when running in a pod (KUBERNETES_SERVICE_HOST is
// set there). Anything else is a ConfigError naming KUBECONFIG and what would do, with `otherwise`
// added when the component has another way to run. Loads @kubernetes/client-node: callers import
// it lazily.

import { KubeConfig } from '@kubernetes/client-node';
import type { EnvSource } from '../config/index.ts';
import { ConfigError } from '../errors/index.ts';

export function loadKubeConfig(env: EnvSource, component: string, otherwise?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  const path = env['KUBECONFIG']?.split(':').find((p) => p.length > 0);
  if (path === undefined && env['KUBERNETES_SERVICE_HOST'] === undefined) {
    throw new ConfigError(component, [
      {
        name: 'KUBECONFIG',
        value: undefined,
        allowed: `a kubeconfig file path; or run in a pod (KUBERNETES_SERVICE_HOST is set there)${otherwise === undefined ? '' : `; or ${otherwise}`}`,
      },
    ]);
  }
  try {
    if (path !== undefined) kubeConfig.loadFromFile(path);
    else kubeConfig.loadFromCluster();
  } catch (err) {
    throw new ConfigError(component, [
      {
        name: 'KUBECONFIG',
        value: path,
        allowed: 'a readable kubeconfig file, or in-cluster service-account credentials',
        detail: err instanceof Error ? err.message : String(err),
      },
    ]);
  }
  return kubeConfig;
}
