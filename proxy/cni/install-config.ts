// `nodemesh cni install` settings, from the environment the nodemesh-cni DaemonSet gives it
// (charts/nodemesh-cni; docs/cni.md has the table). Parsed once, every problem named, frozen.

import { SettingsReader, type EnvSource } from '../../src/config/index.ts';
import { readLogConfig, type LogConfig } from '../../src/log/index.ts';

export const ENV_NET_DIR = 'NODEMESH_CNI_NET_DIR';
export const ENV_BIN_DIR = 'NODEMESH_CNI_BIN_DIR';
export const ENV_CONFIG_FILE = 'NODEMESH_CNI_CONFIG_FILE';
export const ENV_HOST_NET_DIR = 'NODEMESH_CNI_HOST_NET_DIR';
export const ENV_HOST_BIN_DIR = 'NODEMESH_CNI_HOST_BIN_DIR';
export const ENV_RUNTIME = 'NODEMESH_CNI_RUNTIME';
export const ENV_KUBECONFIG = 'NODEMESH_CNI_KUBECONFIG';
export const ENV_RESYNC_INTERVAL = 'NODEMESH_CNI_RESYNC_INTERVAL';

export const RUNTIMES = ['copy', 'in-place'] as const;
export type Runtime = (typeof RUNTIMES)[number];

export interface InstallConfig {
  /** The node's CNI configuration folder, as mounted in this container. */
  readonly netDir: string;
  /** The node's CNI plugin folder, as mounted in this container. */
  readonly binDir: string;
  /** The plugin's entry (JSON) to append to the chain. */
  readonly configFile: string;
  /** The same folders as the node sees them (paths written into files the runtime reads). */
  readonly hostNetDir: string;
  readonly hostBinDir: string;
  /**
   * copy: copy Node.js and nodemesh into the plugin folder (a node need not have either);
   * in-place: the plugin runs this very Node.js and nodemesh (the node is this machine).
   */
  readonly runtime: Runtime;
  /** A kubeconfig to give the plugin as is; else one is written from the pod's service account. */
  readonly kubeconfig: string | undefined;
  /** How often the configuration is checked besides on folder events. */
  readonly resyncIntervalMs: number;
  readonly log: LogConfig;
}

export function parseInstallConfig(env: EnvSource): InstallConfig {
  const r = new SettingsReader('nodemesh cni install', env);
  const absolute = (name: string, fallback?: string): string => {
    const value =
      fallback === undefined ? r.requiredString(name, 'an absolute path') : r.string(name, { default: fallback });
    if (value !== '' && !value.startsWith('/')) r.problem({ name, value, allowed: 'an absolute path' });
    return value;
  };
  const netDir = absolute(ENV_NET_DIR);
  const binDir = absolute(ENV_BIN_DIR);
  const configFile = absolute(ENV_CONFIG_FILE);
  const hostNetDir = absolute(ENV_HOST_NET_DIR, netDir);
  const hostBinDir = absolute(ENV_HOST_BIN_DIR, binDir);
  const runtime = r.oneOf(ENV_RUNTIME, RUNTIMES, { default: 'copy' });
  const kubeconfig = r.optionalString(ENV_KUBECONFIG);
  const resyncIntervalMs = r.durationMs(ENV_RESYNC_INTERVAL, { default: 30_000, min: 100, max: 3_600_000 });
  const log = readLogConfig(r);
  return r.finish({ netDir, binDir, configFile, hostNetDir, hostBinDir, runtime, kubeconfig, resyncIntervalMs, log });
}
