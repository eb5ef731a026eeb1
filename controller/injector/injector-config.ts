// The injector's settings: the chart values keys of ADR 0011, parsed once into a frozen
// InjectorConfig. The chart's values.yaml is the one source of defaults: this parser holds none
// and names every missing key. `nodemesh inject` loads the chart's values.yaml (loadChartValues)
// and merges --values files over it the way Helm does (values-merge.ts).
//
// Contract: parseInjectorConfig checks every key, collects every problem, then throws one
// ConfigError (each problem names the key, its value and what is allowed) or returns a deep-frozen
// InjectorConfig. Two values are derived, as ADR 0011 says: identityTrustDomain "" means
// clusterDomain, and image.version "" means this build's version.

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ConfigError, type ConfigProblem } from '../../src/errors/index.ts';
import type { LogFormat, LogLevel } from '../../src/log/index.ts';
import { VERSION } from '../../src/version.ts';
import { mergeValues } from './values-merge.ts';
import {
  checkCidrList,
  checkDuration,
  checkEnvList,
  checkImageName,
  checkImageTag,
  checkInt,
  checkLogFormat,
  checkLogLevel,
  checkOneOf,
  checkPort,
  checkPortList,
  checkQuantity,
  INBOUND_POLICIES,
  IPTABLES_MODES,
  PULL_POLICIES,
  type Checked,
  type EnvVar,
  type InboundPolicy,
  type IptablesMode,
  type PullPolicy,
} from './value-rules.ts';

/** The chart values file inside the package (and the image), relative to this file. */
export const CHART_VALUES_URL = new URL('../../charts/nodemesh-control-plane/values.yaml', import.meta.url);

export interface ResourceRange {
  /** A Kubernetes quantity, or "" for none. */
  readonly request: string;
  readonly limit: string;
}

export interface ProxyPorts {
  readonly admin: number;
  readonly control: number;
  readonly inbound: number;
  readonly outbound: number;
}

export interface ProxyValues {
  readonly uid: number;
  /** -1: not set. */
  readonly gid: number;
  readonly ports: ProxyPorts;
  /** Port list text, e.g. "25,587,3306". */
  readonly opaquePorts: string;
  readonly inboundConnectTimeout: string;
  readonly outboundConnectTimeout: string;
  readonly defaultInboundPolicy: InboundPolicy;
  readonly requireIdentityOnInboundPorts: string;
  readonly nativeSidecar: boolean;
  readonly await: boolean;
  readonly waitBeforeExitSeconds: number;
  readonly enableShutdownEndpoint: boolean;
  /** A duration, or "" to leave the proxy's own default. */
  readonly shutdownGracePeriod: string;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly nodeOptions: string;
  readonly resources: {
    readonly cpu: ResourceRange;
    readonly memory: ResourceRange;
    readonly 'ephemeral-storage': ResourceRange;
  };
  readonly livenessProbe: { readonly initialDelaySeconds: number; readonly timeoutSeconds: number };
  readonly readinessProbe: { readonly initialDelaySeconds: number; readonly timeoutSeconds: number };
  readonly startupProbe: {
    readonly initialDelaySeconds: number;
    readonly periodSeconds: number;
    readonly failureThreshold: number;
  };
  readonly additionalEnv: readonly EnvVar[];
}

export interface ProxyInitValues {
  readonly iptablesMode: IptablesMode;
  readonly ignoreInboundPorts: string;
  readonly ignoreOutboundPorts: string;
  readonly skipSubnets: string;
  readonly kubeAPIServerPorts: string;
  readonly runAsUser: number;
  readonly runAsGroup: number;
  readonly resources: { readonly cpu: ResourceRange; readonly memory: ResourceRange };
}

export interface InjectorConfig {
  readonly controlPlaneNamespace: string;
  readonly clusterDomain: string;
  /** CIDR list text. */
  readonly clusterNetworks: string;
  /** Resolved: clusterDomain when the value is "". */
  readonly identityTrustDomain: string;
  readonly identityTrustAnchorsPEM: string;
  readonly cniEnabled: boolean;
  /** version resolved: this build's version when the value is "". */
  readonly image: { readonly name: string; readonly version: string; readonly pullPolicy: PullPolicy };
  readonly proxy: ProxyValues;
  readonly proxyInit: ProxyInitValues;
}

const COMPONENT = 'nodemesh injector values';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

/**
 * Parses the values document (YAML text, or the object a YAML parser made) into a frozen
 * InjectorConfig; throws ConfigError listing every missing or bad key. `source` names the
 * document in messages (a file path, `ConfigMap nodemesh-config`).
 */
export function parseInjectorConfig(values: unknown, opts: { readonly source?: string } = {}): InjectorConfig {
  const component = opts.source === undefined ? COMPONENT : `${COMPONENT} (${opts.source})`;
  let root = values;
  if (typeof values === 'string') {
    try {
      root = parseYaml(values, { version: '1.1' }) as unknown;
    } catch (err) {
      throw new ConfigError(component, [
        { name: '(document)', value: undefined, allowed: 'a YAML mapping', detail: (err as Error).message },
      ]);
    }
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    throw new ConfigError(component, [
      { name: '(document)', value: typeof root, allowed: 'a YAML mapping of values keys' },
    ]);
  }
  const r = new ValuesReader(root as Record<string, unknown>);

  const clusterDomain = r.string('clusterDomain', (s) =>
    DNS_NAME.test(s) ? ok(s) : no('a DNS name, e.g. cluster.local'),
  );
  const trustDomain = r.string('identityTrustDomain', (s) =>
    s === '' || DNS_NAME.test(s) ? ok(s) : no('a DNS name, or "" for the cluster domain'),
  );
  const imageVersion = r.string('image.version', (s) => (s === '' ? ok(s) : checkImageTag(s)));
  const config: InjectorConfig = {
    controlPlaneNamespace: r.string('controlPlaneNamespace', (s) =>
      DNS_LABEL.test(s) ? ok(s) : no('a namespace name (a DNS label), e.g. nodemesh'),
    ),
    clusterDomain,
    clusterNetworks: r.string('clusterNetworks', checkCidrList),
    identityTrustDomain: trustDomain === '' ? clusterDomain : trustDomain,
    identityTrustAnchorsPEM: r.string('identityTrustAnchorsPEM', (s) =>
      s.includes('-----BEGIN CERTIFICATE-----')
        ? ok(s)
        : no('one or more PEM certificates (set it with --set-file, --values or nodemesh inject --trust-anchors)'),
    ),
    cniEnabled: r.bool('cniEnabled'),
    image: {
      name: r.string('image.name', checkImageName),
      version: imageVersion === '' ? VERSION : imageVersion,
      pullPolicy: r.string('image.pullPolicy', (s) => checkOneOf(s, PULL_POLICIES)),
    },
    proxy: {
      uid: r.int('proxy.uid', 0, 2_147_483_647),
      gid: r.int('proxy.gid', -1, 2_147_483_647),
      ports: {
        admin: r.port('proxy.ports.admin'),
        control: r.port('proxy.ports.control'),
        inbound: r.port('proxy.ports.inbound'),
        outbound: r.port('proxy.ports.outbound'),
      },
      opaquePorts: r.string('proxy.opaquePorts', checkPortList),
      inboundConnectTimeout: r.string('proxy.inboundConnectTimeout', (s) => checkDuration(s, { allowEmpty: false })),
      outboundConnectTimeout: r.string('proxy.outboundConnectTimeout', (s) => checkDuration(s, { allowEmpty: false })),
      defaultInboundPolicy: r.string('proxy.defaultInboundPolicy', (s) => checkOneOf(s, INBOUND_POLICIES)),
      requireIdentityOnInboundPorts: r.string('proxy.requireIdentityOnInboundPorts', checkPortList),
      nativeSidecar: r.bool('proxy.nativeSidecar'),
      await: r.bool('proxy.await'),
      waitBeforeExitSeconds: r.int('proxy.waitBeforeExitSeconds', 0, 86_400),
      enableShutdownEndpoint: r.bool('proxy.enableShutdownEndpoint'),
      shutdownGracePeriod: r.string('proxy.shutdownGracePeriod', (s) => checkDuration(s, { allowEmpty: true })),
      logLevel: r.string('proxy.logLevel', checkLogLevel),
      logFormat: r.string('proxy.logFormat', checkLogFormat),
      nodeOptions: r.string('proxy.nodeOptions', ok),
      resources: {
        cpu: r.resources('proxy.resources.cpu'),
        memory: r.resources('proxy.resources.memory'),
        'ephemeral-storage': r.resources('proxy.resources.ephemeral-storage'),
      },
      livenessProbe: {
        initialDelaySeconds: r.int('proxy.livenessProbe.initialDelaySeconds', 0, 3600),
        timeoutSeconds: r.int('proxy.livenessProbe.timeoutSeconds', 1, 3600),
      },
      readinessProbe: {
        initialDelaySeconds: r.int('proxy.readinessProbe.initialDelaySeconds', 0, 3600),
        timeoutSeconds: r.int('proxy.readinessProbe.timeoutSeconds', 1, 3600),
      },
      startupProbe: {
        initialDelaySeconds: r.int('proxy.startupProbe.initialDelaySeconds', 0, 3600),
        periodSeconds: r.int('proxy.startupProbe.periodSeconds', 1, 3600),
        failureThreshold: r.int('proxy.startupProbe.failureThreshold', 1, 100_000),
      },
      additionalEnv: r.check('proxy.additionalEnv', checkEnvList) ?? [],
    },
    proxyInit: {
      iptablesMode: r.string('proxyInit.iptablesMode', (s) => checkOneOf(s, IPTABLES_MODES)),
      ignoreInboundPorts: r.string('proxyInit.ignoreInboundPorts', checkPortList),
      ignoreOutboundPorts: r.string('proxyInit.ignoreOutboundPorts', checkPortList),
      skipSubnets: r.string('proxyInit.skipSubnets', checkCidrList),
      kubeAPIServerPorts: r.string('proxyInit.kubeAPIServerPorts', checkPortList),
      runAsUser: r.int('proxyInit.runAsUser', 0, 2_147_483_647),
      runAsGroup: r.int('proxyInit.runAsGroup', 0, 2_147_483_647),
      resources: { cpu: r.resources('proxyInit.resources.cpu'), memory: r.resources('proxyInit.resources.memory') },
    },
  };
  if (r.problems.length > 0) throw new ConfigError(component, r.problems);
  return deepFreeze(config);
}

/**
 * The chart's values.yaml with each of `files` merged over it in order, the way Helm merges
 * `--values` files (maps deep-merged, everything else replaced, null deletes a key). Throws
 * ConfigError naming a file that cannot be read or is not a YAML mapping.
 */
export async function loadChartValues(
  files: readonly string[],
  opts: { readonly chartValues?: string | URL; readonly read?: (file: string | URL) => Promise<string> } = {},
): Promise<Record<string, unknown>> {
  const read = opts.read ?? ((file: string | URL) => readFile(file, 'utf8'));
  const chart = opts.chartValues ?? CHART_VALUES_URL;
  let merged = await readValuesFile(chart, read);
  for (const file of files) merged = mergeValues(merged, await readValuesFile(file, read));
  return merged;
}

async function readValuesFile(
  file: string | URL,
  read: (file: string | URL) => Promise<string>,
): Promise<Record<string, unknown>> {
  const name = file instanceof URL ? fileURLToPath(file) : file;
  let text: string;
  try {
    text = await read(file);
  } catch (err) {
    throw new ConfigError(COMPONENT, [
      { name: name, value: undefined, allowed: 'a readable values file', detail: (err as Error).message },
    ]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { version: '1.1' }) as unknown;
  } catch (err) {
    throw new ConfigError(COMPONENT, [
      { name, value: undefined, allowed: 'a YAML mapping', detail: (err as Error).message },
    ]);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(COMPONENT, [{ name, value: typeof doc, allowed: 'a YAML mapping of values keys' }]);
  }
  return doc as Record<string, unknown>;
}

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const no = (allowed: string): Checked<never> => ({ ok: false, allowed });

/** Reads dotted keys from the values tree, recording a problem for each missing or bad one. */
class ValuesReader {
  readonly problems: ConfigProblem[] = [];
  readonly #root: Record<string, unknown>;

  constructor(root: Record<string, unknown>) {
    this.#root = root;
  }

  #lookup(key: string): { found: boolean; value: unknown } {
    let current: unknown = this.#root;
    for (const part of splitKey(key)) {
      if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.hasOwn(current, part)) {
        return { found: false, value: undefined };
      }
      current = (current as Record<string, unknown>)[part];
    }
    return { found: true, value: current };
  }

  /** The checked value, or undefined after recording the problem. */
  check<T>(key: string, rule: (value: unknown) => Checked<T>, allowedType?: string): T | undefined {
    const { found, value } = this.#lookup(key);
    if (!found || value === null) {
      this.problems.push({
        name: key,
        value: undefined,
        allowed: allowedType ?? 'a value (the chart values.yaml sets every key)',
      });
      return undefined;
    }
    const checked = rule(value);
    if (checked.ok) return checked.value;
    this.problems.push({
      name: key,
      value: typeof value === 'string' ? value : JSON.stringify(value),
      allowed: checked.allowed,
      ...(checked.detail === undefined ? {} : { detail: checked.detail }),
    });
    return undefined;
  }

  string<T>(key: string, rule: (text: string) => Checked<T>): T {
    const value = this.check(key, (v) => (typeof v === 'string' ? rule(v) : asString(rule('\u0000'))));
    return value as T;
  }

  bool(key: string): boolean {
    return this.check(key, (v) => (typeof v === 'boolean' ? ok(v) : no('true or false'))) ?? false;
  }

  int(key: string, min: number, max: number): number {
    return (
      this.check(key, (v) =>
        typeof v === 'number' && Number.isInteger(v) ? checkInt(String(v), min, max) : checkInt('x', min, max),
      ) ?? 0
    );
  }

  port(key: string): number {
    return this.check(key, (v) => (typeof v === 'number' ? checkPort(String(v)) : checkPort('x'))) ?? 0;
  }

  resources(key: string): ResourceRange {
    return {
      request: this.string(`${key}.request`, checkQuantity),
      limit: this.string(`${key}.limit`, checkQuantity),
    };
  }
}

/** The problem for a non-string value: a string, and what the rule allows in it. */
function asString<T>(probe: Checked<T>): Checked<T> {
  return { ok: false, allowed: probe.ok ? 'a string' : `a string: ${probe.allowed}` };
}

/** `proxy.resources.ephemeral-storage.request` → its parts (keys hold no dots of their own). */
function splitKey(key: string): string[] {
  return key.split('.');
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
