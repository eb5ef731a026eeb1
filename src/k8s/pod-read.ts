// Reading one pod from the Kubernetes API with a kubeconfig file, for short-lived processes such
// as the CNI plugin. Loads @kubernetes/client-node, so callers import this file lazily.
//
// Contract: resolves with the pod, or throws a PodReadError saying what failed: the kubeconfig,
// the API being unreachable, the pod not existing, or RBAC (`get pods` is needed). Transient
// failures are retried up to 3 times, 500 ms apart; each try is bounded by 5 s.

import { setTimeout as sleep } from 'node:timers/promises';
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';

export type PodReadFailure = 'kubeconfig' | 'forbidden' | 'not-found' | 'unreachable';

export class PodReadError extends Error {
  override readonly name = 'PodReadError';
  readonly reason: PodReadFailure;

  constructor(reason: PodReadFailure, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

const ATTEMPTS = 3;
const RETRY_DELAY_MS = 500;
const ATTEMPT_TIMEOUT_MS = 5_000;

export async function readPod(kubeconfig: string, namespace: string, name: string): Promise<V1Pod> {
  const config = new KubeConfig();
  try {
    config.loadFromFile(kubeconfig);
  } catch (err) {
    throw new PodReadError('kubeconfig', `cannot load the kubeconfig ${kubeconfig}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const api = config.makeApiClient(CoreV1Api);
  let last: unknown;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      return await withTimeout(api.readNamespacedPod({ namespace, name }));
    } catch (err) {
      last = err;
      const status = err instanceof ApiException ? err.code : undefined;
      if (status === 401 || status === 403) {
        throw new PodReadError(
          'forbidden',
          `the Kubernetes API refused to show pod ${namespace}/${name} (HTTP ${status}); the service account needs get on pods`,
          { cause: err },
        );
      }
      if (status === 404) {
        throw new PodReadError('not-found', `pod ${namespace}/${name} does not exist in the Kubernetes API`, {
          cause: err,
        });
      }
      if (attempt < ATTEMPTS) await sleep(RETRY_DELAY_MS);
    }
  }
  throw new PodReadError(
    'unreachable',
    `cannot read pod ${namespace}/${name} from the Kubernetes API at ${config.getCurrentCluster()?.server ?? '?'} after ${ATTEMPTS} tries: ${(last as Error).message}`,
    { cause: last },
  );
}

async function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ATTEMPT_TIMEOUT_MS} ms`)), ATTEMPT_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
