// The Kubernetes client configuration of a controller: the first file of KUBECONFIG when set,
// else the in-cluster service account. Controllers only (loads @kubernetes/client-node).

import { KubeConfig } from '@kubernetes/client-node';
import type { EnvSource } from '../config/index.ts';
import { ConfigError } from '../errors/index.ts';

export function loadKubeConfig(env: EnvSource, component: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  const path = env['KUBECONFIG']?.split(':').find((p) => p.length > 0);
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
