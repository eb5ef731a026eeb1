// The identity service's settings, parsed once at start and frozen. Every variable has a default
// except the local token keys, which local token validation requires.

import { SettingsReader, type EnvSource, type SocketAddress } from '../src/config/index.ts';
import { readLogConfig, type LogConfig } from '../src/log/index.ts';

export const ENV_LISTEN_ADDR = 'NODEMESH_IDENTITY_LISTEN_ADDR';
export const ENV_ADMIN_LISTEN_ADDR = 'NODEMESH_IDENTITY_ADMIN_LISTEN_ADDR';
export const ENV_ISSUER_DIR = 'NODEMESH_IDENTITY_ISSUER_DIR';
export const ENV_TRUST_ANCHORS_FILE = 'NODEMESH_IDENTITY_TRUST_ANCHORS_FILE';
export const ENV_TRUST_DOMAIN = 'NODEMESH_IDENTITY_TRUST_DOMAIN';
export const ENV_CONTROL_NAMESPACE = 'NODEMESH_IDENTITY_CONTROL_NAMESPACE';
export const ENV_ISSUANCE_LIFETIME = 'NODEMESH_IDENTITY_ISSUANCE_LIFETIME';
export const ENV_CLOCK_SKEW_ALLOWANCE = 'NODEMESH_IDENTITY_CLOCK_SKEW_ALLOWANCE';
export const ENV_TOKEN_VALIDATOR = 'NODEMESH_IDENTITY_TOKEN_VALIDATOR';
export const ENV_TOKEN_AUDIENCE = 'NODEMESH_IDENTITY_TOKEN_AUDIENCE';
export const ENV_LOCAL_TOKEN_KEYS_FILE = 'NODEMESH_IDENTITY_LOCAL_TOKEN_KEYS_FILE';
export const ENV_ISSUER_POLL_INTERVAL = 'NODEMESH_IDENTITY_ISSUER_POLL_INTERVAL';

export const TOKEN_VALIDATORS = ['kubernetes', 'local'] as const;
export type TokenValidatorKind = (typeof TOKEN_VALIDATORS)[number];

export interface IdentityConfig {
  readonly log: LogConfig;
  readonly listenAddr: SocketAddress;
  readonly adminListenAddr: SocketAddress;
  /** A folder holding tls.crt + tls.key, or crt.pem + key.pem (a mounted Secret). */
  readonly issuerDir: string;
  readonly trustAnchorsFile: string;
  readonly trustDomain: string;
  readonly controlNamespace: string;
  readonly issuanceLifetimeMs: number;
  readonly clockSkewAllowanceMs: number;
  readonly tokenValidator: TokenValidatorKind;
  readonly tokenAudience: string;
  /** PEM public keys that sign local tokens; set when tokenValidator is local. */
  readonly localTokenKeysFile: string | undefined;
  readonly issuerPollIntervalMs: number;
}

const SECOND = 1000;
const DNS_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function parseIdentityConfig(env: EnvSource): IdentityConfig {
  const r = new SettingsReader('nodemesh identity', env);
  const trustDomain = r.string(ENV_TRUST_DOMAIN, { default: 'cluster.local' });
  if (!DNS_NAME.test(trustDomain)) {
    r.problem({ name: ENV_TRUST_DOMAIN, value: trustDomain, allowed: 'a lower-case DNS name, e.g. cluster.local' });
  }
  const controlNamespace = r.string(ENV_CONTROL_NAMESPACE, { default: 'nodemesh' });
  if (!DNS_LABEL.test(controlNamespace)) {
    r.problem({
      name: ENV_CONTROL_NAMESPACE,
      value: controlNamespace,
      allowed: 'a lower-case DNS label, e.g. nodemesh',
    });
  }
  const tokenValidator = r.oneOf(ENV_TOKEN_VALIDATOR, TOKEN_VALIDATORS, { default: 'kubernetes' });
  const localTokenKeysFile = r.optionalString(ENV_LOCAL_TOKEN_KEYS_FILE);
  if (tokenValidator === 'local' && localTokenKeysFile === undefined) {
    r.problem({
      name: ENV_LOCAL_TOKEN_KEYS_FILE,
      value: undefined,
      allowed: `a PEM file of token signing public keys (required when ${ENV_TOKEN_VALIDATOR}=local)`,
    });
  }
  const config: IdentityConfig = {
    log: readLogConfig(r),
    listenAddr: r.socketAddress(ENV_LISTEN_ADDR, { default: { host: '0.0.0.0', port: 8080 } }),
    adminListenAddr: r.socketAddress(ENV_ADMIN_LISTEN_ADDR, { default: { host: '0.0.0.0', port: 9990 } }),
    issuerDir: r.string(ENV_ISSUER_DIR, { default: '/var/run/nodemesh/identity/issuer' }),
    trustAnchorsFile: r.string(ENV_TRUST_ANCHORS_FILE, {
      default: '/var/run/nodemesh/identity/trust-roots/ca-bundle.crt',
    }),
    trustDomain,
    controlNamespace,
    issuanceLifetimeMs: r.durationMs(ENV_ISSUANCE_LIFETIME, {
      default: 24 * 3600 * SECOND,
      min: 60 * SECOND,
      max: 365 * 24 * 3600 * SECOND,
    }),
    clockSkewAllowanceMs: r.durationMs(ENV_CLOCK_SKEW_ALLOWANCE, { default: 20 * SECOND, min: 0, max: 3600 * SECOND }),
    tokenValidator,
    tokenAudience: r.string(ENV_TOKEN_AUDIENCE, { default: 'identity.nodemesh.io' }),
    localTokenKeysFile,
    issuerPollIntervalMs: r.durationMs(ENV_ISSUER_POLL_INTERVAL, { default: 5 * SECOND, min: 100, max: 3600 * SECOND }),
  };
  return r.finish(config);
}
