// The destination service's settings, parsed once at start and frozen (STYLE.md rule 4). Every
// variable has a default except the resource folder, which the `files` source requires. The gRPC
// server speaks TLS only when both NODEMESH_DESTINATION_TLS_CERT_FILE and _KEY_FILE are set;
// without them it is plaintext (until identity issues the controller's own certificate, ADR 0007).

import { hostname } from 'node:os';
import { SettingsReader, type EnvSource, type SocketAddress } from '../../src/config/index.ts';
import { readLogConfig, type LogConfig } from '../../src/log/index.ts';
import { DEFAULT_HEAP_GROWING_PERCENT } from './heap-growing.ts';
import { MEMORY_SAVING_MODES, type MemorySavingMode } from './memory-saving.ts';

export const ENV_LISTEN_ADDR = 'NODEMESH_DESTINATION_LISTEN_ADDR';
export const ENV_ADMIN_LISTEN_ADDR = 'NODEMESH_DESTINATION_ADMIN_LISTEN_ADDR';
export const ENV_SOURCE = 'NODEMESH_DESTINATION_SOURCE';
export const ENV_RESOURCES_DIR = 'NODEMESH_DESTINATION_RESOURCES_DIR';
export const ENV_CLUSTER_DOMAIN = 'NODEMESH_DESTINATION_CLUSTER_DOMAIN';
export const ENV_CONTROL_NAMESPACE = 'NODEMESH_DESTINATION_CONTROL_NAMESPACE';
export const ENV_TRUST_DOMAIN = 'NODEMESH_DESTINATION_TRUST_DOMAIN';
export const ENV_DEFAULT_OPAQUE_PORTS = 'NODEMESH_DESTINATION_DEFAULT_OPAQUE_PORTS';
export const ENV_STREAM_QUEUE_CAPACITY = 'NODEMESH_DESTINATION_STREAM_QUEUE_CAPACITY';
export const ENV_TLS_CERT_FILE = 'NODEMESH_DESTINATION_TLS_CERT_FILE';
export const ENV_TLS_KEY_FILE = 'NODEMESH_DESTINATION_TLS_KEY_FILE';
/** This replica's name (the chart sets it from the downward API): its identity in the route-status Lease. */
export const ENV_POD_NAME = 'NODEMESH_DESTINATION_POD_NAME';
export const ENV_MEMORY_SAVING = 'NODEMESH_DESTINATION_MEMORY_SAVING';
export const ENV_HEAP_GROWING_PERCENT = 'NODEMESH_DESTINATION_HEAP_GROWING_PERCENT';

export const RESOURCE_SOURCES = ['kubernetes', 'files'] as const;
export type ResourceSourceKind = (typeof RESOURCE_SOURCES)[number];

/** Linkerd's default opaque ports (Helm `proxy.opaquePorts`): SMTP, MySQL, Galera, Postgres, Redis, ES, memcached. */
export const DEFAULT_OPAQUE_PORTS: readonly number[] = Object.freeze([25, 587, 3306, 4444, 5432, 6379, 9300, 11211]);

export interface DestinationTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface DestinationConfig {
  readonly log: LogConfig;
  readonly listenAddr: SocketAddress;
  readonly adminListenAddr: SocketAddress;
  readonly source: ResourceSourceKind;
  /** The folder of YAML served when `source` is `files`. */
  readonly resourcesDir: string | undefined;
  readonly clusterDomain: string;
  readonly controlNamespace: string;
  readonly trustDomain: string;
  /** Ports treated as opaque when a Service has no `config.nodemesh.io/opaque-ports` annotation. */
  readonly defaultOpaquePorts: readonly number[];
  /** Messages a stream may have waiting before it is closed with RESOURCE_EXHAUSTED. */
  readonly streamQueueCapacity: number;
  /** PEM certificate and key for the gRPC server; undefined means plaintext. */
  readonly tls: DestinationTlsFiles | undefined;
  /** This replica's name, for leader election (default: the host name). */
  readonly podName: string;
  /** When V8's memory-saving mode is on (memory-saving.ts). */
  readonly memorySaving: MemorySavingMode;
  /** V8's old-generation growth between full GCs, in percent; 0 lets V8 choose (heap-growing.ts). */
  readonly heapGrowingPercent: number;
}

const DNS_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function parseDestinationConfig(env: EnvSource): DestinationConfig {
  const r = new SettingsReader('nodemesh destination', env);
  const dnsName = (name: string, fallback: string): string => {
    const value = r.string(name, { default: fallback });
    if (!DNS_NAME.test(value)) r.problem({ name, value, allowed: `a lower-case DNS name, e.g. ${fallback}` });
    return value;
  };
  const controlNamespace = r.string(ENV_CONTROL_NAMESPACE, { default: 'nodemesh' });
  if (!DNS_LABEL.test(controlNamespace)) {
    r.problem({
      name: ENV_CONTROL_NAMESPACE,
      value: controlNamespace,
      allowed: 'a lower-case DNS label, e.g. nodemesh',
    });
  }
  const source = r.oneOf(ENV_SOURCE, RESOURCE_SOURCES, { default: 'kubernetes' });
  const resourcesDir = r.optionalString(ENV_RESOURCES_DIR);
  if (source === 'files' && resourcesDir === undefined) {
    r.problem({
      name: ENV_RESOURCES_DIR,
      value: undefined,
      allowed: `a folder of Kubernetes YAML (required when ${ENV_SOURCE}=files)`,
    });
  }
  const certFile = r.optionalString(ENV_TLS_CERT_FILE);
  const keyFile = r.optionalString(ENV_TLS_KEY_FILE);
  if ((certFile === undefined) !== (keyFile === undefined)) {
    const missing = certFile === undefined ? ENV_TLS_CERT_FILE : ENV_TLS_KEY_FILE;
    r.problem({
      name: missing,
      value: undefined,
      allowed: `set both ${ENV_TLS_CERT_FILE} and ${ENV_TLS_KEY_FILE} (TLS), or neither (plaintext)`,
    });
  }
  const config: DestinationConfig = {
    log: readLogConfig(r),
    listenAddr: r.socketAddress(ENV_LISTEN_ADDR, { default: { host: '0.0.0.0', port: 8086 } }),
    adminListenAddr: r.socketAddress(ENV_ADMIN_LISTEN_ADDR, { default: { host: '0.0.0.0', port: 9996 } }),
    source,
    resourcesDir,
    clusterDomain: dnsName(ENV_CLUSTER_DOMAIN, 'cluster.local'),
    controlNamespace,
    trustDomain: dnsName(ENV_TRUST_DOMAIN, 'cluster.local'),
    defaultOpaquePorts: r.ports(ENV_DEFAULT_OPAQUE_PORTS, { default: DEFAULT_OPAQUE_PORTS }),
    streamQueueCapacity: r.int(ENV_STREAM_QUEUE_CAPACITY, { default: 100, min: 1, max: 100_000 }),
    tls: certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : undefined,
    podName: r.string(ENV_POD_NAME, { default: hostname() }),
    memorySaving: r.oneOf(ENV_MEMORY_SAVING, MEMORY_SAVING_MODES, { default: 'off' }),
    heapGrowingPercent: r.int(ENV_HEAP_GROWING_PERCENT, { default: DEFAULT_HEAP_GROWING_PERCENT, min: 0, max: 300 }),
  };
  return r.finish(config);
}
