// LocalTokenValidator: the TokenValidator of local mode. It verifies the ES256 JWTs that
// `nodemesh identity token` mints (src/tokens/local-token.ts) against the public key(s) it is
// given, for the audience `identity.nodemesh.io`.
//
// Contract: keys are loaded once, in the constructor (TlsKeyError for a key that is not a P-256
// public key); more than one key allows rotation. `validate` does no I/O and honours an already
// aborted signal. See token-validator.ts for the errors.

import type { KeyObject } from 'node:crypto';
import {
  DEFAULT_TOKEN_LEEWAY_SECONDS,
  IDENTITY_TOKEN_AUDIENCE,
  localTokenKeys,
  verifyLocalToken,
  type LocalTokenKeys,
} from '../src/tokens/index.ts';
import type { TokenValidator, ValidatedToken } from './token-validator.ts';

export interface LocalTokenValidatorDependencies {
  /** The clock (default the system's). */
  readonly now?: () => Date;
}

export interface LocalTokenValidatorOptions {
  /** Trusted public keys: SPKI PEM or KeyObjects. */
  readonly publicKeys: Iterable<string | KeyObject>;
  /** Default `identity.nodemesh.io`. */
  readonly audience?: string;
  /** Clock skew allowed on nbf and exp (default 60). */
  readonly leewaySeconds?: number;
}

export class LocalTokenValidator implements TokenValidator {
  readonly #keys: LocalTokenKeys;
  readonly #audience: string;
  readonly #leewaySeconds: number;
  readonly #now: () => Date;

  constructor(deps: LocalTokenValidatorDependencies, options: LocalTokenValidatorOptions) {
    this.#keys = localTokenKeys(options.publicKeys);
    this.#audience = options.audience ?? IDENTITY_TOKEN_AUDIENCE;
    this.#leewaySeconds = options.leewaySeconds ?? DEFAULT_TOKEN_LEEWAY_SECONDS;
    this.#now = deps.now ?? (() => new Date());
  }

  /** The kids of the trusted keys. */
  get keyIds(): readonly string[] {
    return [...this.#keys.keys()];
  }

  validate(token: Uint8Array | string, signal?: AbortSignal): Promise<ValidatedToken> {
    // The executor turns what verification throws into the rejection.
    return new Promise((resolve) => {
      signal?.throwIfAborted();
      const { namespace, serviceAccount } = verifyLocalToken(token, {
        publicKeys: this.#keys,
        audience: this.#audience,
        leewaySeconds: this.#leewaySeconds,
        now: this.#now(),
      });
      resolve(Object.freeze({ namespace, serviceAccount }));
    });
  }
}
