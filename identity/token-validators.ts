// createTokenValidator: builds the identity service's TokenValidator from its settings.
//
//   local       LocalTokenValidator over the public keys in NODEMESH_IDENTITY_LOCAL_TOKEN_KEYS_FILE
//   kubernetes  KubernetesTokenValidator on the API server of KUBECONFIG, or the in-cluster
//               service account; first checks (SelfSubjectAccessReview) that it may create
//               TokenReviews, as Linkerd's identity service does at start
//
// Contract: called once at start. Throws ConfigError for settings it cannot use (an unreadable
// keys file, no way to reach a Kubernetes API), TlsKeyError / CertificateError for a keys file
// without usable P-256 public keys, and TokenReviewError when the access check fails.

import { readFile } from 'node:fs/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import type { EnvSource } from '../src/config/index.ts';
import { ConfigError } from '../src/errors/index.ts';
import type { Logger } from '../src/log/index.ts';
import { localTokenKeysFromPem } from '../src/tokens/index.ts';
import { ENV_LOCAL_TOKEN_KEYS_FILE, type IdentityConfig } from './config.ts';
import { LocalTokenValidator } from './token-validator-local.ts';
import type { TokenValidator } from './token-validator.ts';

export type TokenValidatorSettings = Pick<IdentityConfig, 'tokenValidator' | 'tokenAudience' | 'localTokenKeysFile'>;

export interface CreateTokenValidatorDependencies {
  readonly env: EnvSource;
  readonly log: Logger;
  /** How to reach the Kubernetes API; default from KUBECONFIG or the in-cluster service account. */
  readonly kubeConfig?: KubeConfig;
  /** The clock of local token checks. */
  readonly now?: () => Date;
}

const COMPONENT = 'nodemesh identity';

export async function createTokenValidator(
  settings: TokenValidatorSettings,
  deps: CreateTokenValidatorDependencies,
): Promise<TokenValidator> {
  switch (settings.tokenValidator) {
    case 'local': {
      const file = settings.localTokenKeysFile;
      if (file === undefined) {
        throw new ConfigError(COMPONENT, [
          { name: ENV_LOCAL_TOKEN_KEYS_FILE, value: undefined, allowed: 'a PEM file of token signing public keys' },
        ]);
      }
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        throw new ConfigError(COMPONENT, [
          {
            name: ENV_LOCAL_TOKEN_KEYS_FILE,
            value: file,
            allowed: 'a readable PEM file of token signing public keys',
            detail: (err as { code?: string }).code ?? String(err),
          },
        ]);
      }
      const keys = localTokenKeysFromPem(text, file);
      const validator = new LocalTokenValidator(deps.now === undefined ? {} : { now: deps.now }, {
        publicKeys: keys.values(),
        audience: settings.tokenAudience,
      });
      deps.log.info(
        { validator: 'local', audience: settings.tokenAudience, keys: validator.keyIds },
        'token validator ready',
      );
      return validator;
    }
    case 'kubernetes': {
      // Loaded only here: @kubernetes/client-node costs ~55 MB, and local mode never needs it.
      const { createKubernetesTokenValidator } = await import('./token-validators-kubernetes.ts');
      return createKubernetesTokenValidator(settings, deps);
    }
  }
}
