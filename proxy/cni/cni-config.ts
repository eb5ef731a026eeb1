// The plugin's network configuration, read from stdin (CNI 1.0 "Network configuration"): the
// runtime's fields (cniVersion, name, type, prevResult) and ours, as `nodemesh cni install` writes
// them from the chart (charts/nodemesh-cni, ConfigMap nodemesh-cni-config):
//
//   { "type": "nodemesh-cni", "log_level": "info", "state_dir": "/var/run/nodemesh-cni",
//     "kubernetes": { "kubeconfig": "/etc/cni/net.d/ZZZ-nodemesh-cni-kubeconfig" },
//     "nodemesh": { "incoming-proxy-port": 4143, "outgoing-proxy-port": 4140, "proxy-uid": 2102,
//                   "proxy-gid": -1, "ports-to-redirect": "", "inbound-ports-to-ignore": "4191,4190",
//                   "outbound-ports-to-ignore": "", "iptables-mode": "nft", "ipv6": false,
//                   "simulate": false } }
//
// The `nodemesh` keys are proxy-init's flag names, and they are checked by proxy-init's own
// parser when the rules are built. Contract: `parseCniConfig` returns a frozen config or throws a
// CniError (6 for text that is not JSON, 1 for an unsupported cniVersion, 7 for a bad field)
// naming the field and what is allowed.

import { LOG_LEVELS, type LogLevel } from '../../src/log/index.ts';
import type { ProxyInitFlags } from '../init/index.ts';
import { CNI_ERROR, CniError } from './cni-errors.ts';

export const PLUGIN_TYPE = 'nodemesh-cni';
export const SUPPORTED_VERSIONS: readonly string[] = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];
export const DEFAULT_STATE_DIR = '/var/run/nodemesh-cni';

export interface CniConfig {
  readonly cniVersion: string;
  readonly name: string;
  readonly prevResult: unknown;
  readonly kubeconfig: string | undefined;
  readonly stateDir: string;
  readonly logLevel: LogLevel;
  /** proxy-init flags from the `nodemesh` block, as strings and booleans. */
  readonly rules: ProxyInitFlags;
  /** Log the rules instead of writing them. */
  readonly simulate: boolean;
}

const PORT_KEYS = ['incoming-proxy-port', 'outgoing-proxy-port', 'proxy-uid', 'proxy-gid'] as const;
const LIST_KEYS = [
  'ports-to-redirect',
  'inbound-ports-to-ignore',
  'outbound-ports-to-ignore',
  'subnets-to-ignore',
] as const;
const KNOWN_KEYS = new Set<string>([...PORT_KEYS, ...LIST_KEYS, 'iptables-mode', 'ipv6', 'simulate']);

export function parseCniConfig(text: string): CniConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CniError(CNI_ERROR.decode, `the network configuration on stdin is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(raw)) throw new CniError(CNI_ERROR.decode, 'the network configuration on stdin is not a JSON object');
  const cniVersion = raw['cniVersion'];
  if (typeof cniVersion !== 'string' || !SUPPORTED_VERSIONS.includes(cniVersion)) {
    throw new CniError(
      CNI_ERROR.incompatibleVersion,
      `cniVersion ${JSON.stringify(cniVersion)} is not supported; allowed: ${SUPPORTED_VERSIONS.join(', ')}`,
    );
  }
  const type = raw['type'];
  if (type !== PLUGIN_TYPE) {
    throw invalid('type', type, `"${PLUGIN_TYPE}"`);
  }
  const kube = raw['kubernetes'];
  if (kube !== undefined && !isObject(kube)) throw invalid('kubernetes', kube, 'an object with "kubeconfig"');
  const kubeconfig = kube?.['kubeconfig'];
  if (kubeconfig !== undefined && (typeof kubeconfig !== 'string' || !kubeconfig.startsWith('/'))) {
    throw invalid('kubernetes.kubeconfig', kubeconfig, 'an absolute path to a kubeconfig file');
  }
  const stateDir = raw['state_dir'] ?? DEFAULT_STATE_DIR;
  if (typeof stateDir !== 'string' || !stateDir.startsWith('/')) {
    throw invalid('state_dir', stateDir, 'an absolute path of a folder');
  }
  const logLevel = raw['log_level'] ?? 'info';
  if (typeof logLevel !== 'string' || !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw invalid('log_level', logLevel, LOG_LEVELS.join(', '));
  }
  const block = raw['nodemesh'] ?? {};
  if (!isObject(block)) throw invalid('nodemesh', block, 'an object of proxy-init settings');
  const rules = readRules(block);
  return Object.freeze({
    cniVersion,
    name: typeof raw['name'] === 'string' ? raw['name'] : '',
    prevResult: raw['prevResult'],
    kubeconfig,
    stateDir,
    logLevel: logLevel as LogLevel,
    rules: Object.freeze(rules.flags),
    simulate: rules.simulate,
  });
}

function readRules(block: Record<string, unknown>): { flags: Record<string, string | boolean>; simulate: boolean } {
  for (const key of Object.keys(block)) {
    if (!KNOWN_KEYS.has(key))
      throw invalid(`nodemesh.${key}`, block[key], `one of the keys ${[...KNOWN_KEYS].join(', ')}`);
  }
  const flags: Record<string, string | boolean> = {};
  for (const key of PORT_KEYS) {
    const value = block[key];
    if (value === undefined || value === '') continue;
    if (typeof value !== 'number' && typeof value !== 'string') throw invalid(`nodemesh.${key}`, value, 'a number');
    if (key === 'proxy-gid' && Number(value) === -1) continue; // -1: not set
    flags[key] = String(value);
  }
  for (const key of LIST_KEYS) {
    const value = block[key];
    if (value === undefined || value === '') continue;
    if (Array.isArray(value)) flags[key] = value.map(String).join(',');
    else if (typeof value === 'string' || typeof value === 'number') flags[key] = String(value);
    else throw invalid(`nodemesh.${key}`, value, 'a comma-separated string or a list');
  }
  const mode = block['iptables-mode'];
  if (mode !== undefined && mode !== '') {
    if (typeof mode !== 'string') throw invalid('nodemesh.iptables-mode', mode, 'auto, nft or legacy');
    flags['iptables-mode'] = mode;
  }
  for (const key of ['ipv6', 'simulate'] as const) {
    const value = block[key];
    if (value !== undefined && typeof value !== 'boolean') throw invalid(`nodemesh.${key}`, value, 'true or false');
  }
  if (block['ipv6'] === true) flags['ipv6'] = true;
  return { flags, simulate: block['simulate'] === true };
}

function invalid(field: string, value: unknown, allowed: string): CniError {
  return new CniError(
    CNI_ERROR.invalidConfig,
    `network configuration field ${field} is ${JSON.stringify(value) ?? 'missing'}; allowed: ${allowed}`,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
