// The Kubernetes branch of createTokenValidator, in its own module so that the identity service
// loads @kubernetes/client-node only when it validates tokens with TokenReview.

import { AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { EnvSource } from '../src/config/index.ts';
import { loadKubeConfig } from '../src/k8s/kube-config.ts';
import { KubernetesTokenValidator, checkTokenReviewAccess } from './token-validator-kubernetes.ts';
import type { TokenValidator } from './token-validator.ts';
import type { CreateTokenValidatorDependencies, TokenValidatorSettings } from './token-validators.ts';

const COMPONENT = 'nodemesh identity';

export async function createKubernetesTokenValidator(
  settings: TokenValidatorSettings,
  deps: CreateTokenValidatorDependencies,
): Promise<TokenValidator> {
  const kubeConfig = deps.kubeConfig ?? kubeConfigFromEnv(deps.env);
  await checkTokenReviewAccess({ authorization: kubeConfig.makeApiClient(AuthorizationV1Api) });
  const server = kubeConfig.getCurrentCluster()?.server;
  deps.log.info({ validator: 'kubernetes', audience: settings.tokenAudience, server }, 'token validator ready');
  return KubernetesTokenValidator.fromKubeConfig(kubeConfig, { audiences: [settings.tokenAudience] });
}

/** KUBECONFIG (its first file) when set, else the in-cluster service account. */
export function kubeConfigFromEnv(env: EnvSource): KubeConfig {
  return loadKubeConfig(env, COMPONENT, 'set NODEMESH_IDENTITY_TOKEN_VALIDATOR=local');
}
