// The injector process's own settings (`nodemesh injector`), parsed once at start and frozen.
// What the injector injects is not here: that is the chart's values file (NODEMESH_INJECTOR_CONFIG,
// parsed by injector-config.ts), the one source of the injected proxy's defaults (ADR 0011).

import { SettingsReader, type EnvSource, type SocketAddress } from '../../src/config/index.ts';
import { readLogConfig, type LogConfig } from '../../src/log/index.ts';

export const ENV_LISTEN_ADDR = 'NODEMESH_INJECTOR_LISTEN_ADDR';
export const ENV_ADMIN_LISTEN_ADDR = 'NODEMESH_INJECTOR_ADMIN_LISTEN_ADDR';
export const ENV_TLS_CERT_FILE = 'NODEMESH_INJECTOR_TLS_CERT_FILE';
export const ENV_TLS_KEY_FILE = 'NODEMESH_INJECTOR_TLS_KEY_FILE';
export const ENV_CONFIG = 'NODEMESH_INJECTOR_CONFIG';
export const ENV_CERT_RELOAD_INTERVAL = 'NODEMESH_INJECTOR_CERT_RELOAD_INTERVAL';
export const ENV_NAMESPACE_CACHE_TTL = 'NODEMESH_INJECTOR_NAMESPACE_CACHE_TTL';

export interface InjectorServerConfig {
  readonly log: LogConfig;
  readonly listenAddr: SocketAddress;
  readonly adminListenAddr: SocketAddress;
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
  /** The chart values the injector injects with (the nodemesh-config ConfigMap, mounted). */
  readonly configFile: string;
  readonly certReloadIntervalMs: number;
  /** How long a namespace's labels and annotations are reused before it is read again. */
  readonly namespaceCacheTtlMs: number;
}

const SECOND = 1000;

export function parseInjectorServerConfig(env: EnvSource): InjectorServerConfig {
  const r = new SettingsReader('nodemesh injector', env);
  const config: InjectorServerConfig = {
    log: readLogConfig(r),
    listenAddr: r.socketAddress(ENV_LISTEN_ADDR, { default: { host: '0.0.0.0', port: 8443 } }),
    adminListenAddr: r.socketAddress(ENV_ADMIN_LISTEN_ADDR, { default: { host: '0.0.0.0', port: 9995 } }),
    tlsCertFile: r.string(ENV_TLS_CERT_FILE, { default: '/var/run/nodemesh/tls/tls.crt' }),
    tlsKeyFile: r.string(ENV_TLS_KEY_FILE, { default: '/var/run/nodemesh/tls/tls.key' }),
    configFile: r.string(ENV_CONFIG, { default: '/var/run/nodemesh/config/values' }),
    certReloadIntervalMs: r.durationMs(ENV_CERT_RELOAD_INTERVAL, {
      default: 10 * SECOND,
      min: 100,
      max: 3600 * SECOND,
    }),
    namespaceCacheTtlMs: r.durationMs(ENV_NAMESPACE_CACHE_TTL, { default: 5 * SECOND, min: 0, max: 3600 * SECOND }),
  };
  return r.finish(config);
}
