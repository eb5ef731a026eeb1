// The `config.nodemesh.io/*` annotations of reference §7.5 that apply to nodemesh, parsed and
// checked. A namespace's annotations apply to its pods unless the pod sets the same key.
//
// Contract: parseConfigAnnotations checks every known annotation on the pod and on the
// namespace, and throws one AnnotationError listing each bad one (key, value, what is allowed,
// where). Unknown `config.nodemesh.io/*` keys are not errors: they come back as warnings (a typo
// should be visible, but must not block a pod).

import {
  checkCidrList,
  checkDuration,
  checkEnabled,
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
  PORT_LIST_ALLOWED,
  PULL_POLICIES,
  type Checked,
  type EnvVar,
  type InboundPolicy,
  type PullPolicy,
} from './value-rules.ts';
import type { LogFormat, LogLevel } from '../../src/log/index.ts';
import { AnnotationError, type AnnotationProblem } from './errors.ts';
import { CONFIG_PREFIX, INJECT_MODES, type InjectMode } from './names.ts';

/** What a pod's (or its namespace's) annotations change from the chart values. */
export interface AnnotationOverrides {
  readonly inboundPort?: number;
  readonly outboundPort?: number;
  readonly adminPort?: number;
  readonly controlPort?: number;
  readonly skipInboundPorts?: string;
  readonly skipOutboundPorts?: string;
  readonly skipSubnets?: string;
  /** As written: ports, ranges and container port names. */
  readonly opaquePorts?: string;
  readonly cpuRequest?: string;
  readonly cpuLimit?: string;
  readonly memoryRequest?: string;
  readonly memoryLimit?: string;
  readonly ephemeralStorageRequest?: string;
  readonly ephemeralStorageLimit?: string;
  readonly image?: string;
  readonly version?: string;
  readonly pullPolicy?: PullPolicy;
  readonly uid?: number;
  readonly gid?: number;
  readonly requireIdentityInboundPorts?: string;
  readonly defaultInboundPolicy?: InboundPolicy;
  readonly logLevel?: LogLevel;
  readonly logFormat?: LogFormat;
  readonly await?: boolean;
  readonly nativeSidecar?: boolean;
  readonly waitBeforeExitSeconds?: number;
  readonly shutdownGracePeriod?: string;
  readonly adminShutdown?: boolean;
  readonly inboundConnectTimeout?: string;
  readonly outboundConnectTimeout?: string;
  readonly additionalEnv?: readonly EnvVar[];
  readonly nodeOptions?: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface AnnotationSpec {
  /** The full annotation key. */
  readonly name: string;
  /** What is allowed, for docs/injector.md and messages. */
  readonly allowed: string;
  /** Also accepted under these keys (Linkerd's alpha prefix). */
  readonly aliases?: readonly string[];
  readonly apply: (text: string, out: Mutable<AnnotationOverrides>) => Checked<unknown>;
}

function spec<K extends keyof AnnotationOverrides>(
  suffix: string,
  key: K,
  rule: (text: string) => Checked<NonNullable<AnnotationOverrides[K]>>,
  allowed: string,
  aliases?: readonly string[],
): AnnotationSpec {
  return {
    name: `${CONFIG_PREFIX}${suffix}`,
    allowed,
    ...(aliases === undefined ? {} : { aliases }),
    apply: (text, out) => {
      const checked = rule(text);
      if (checked.ok) out[key] = checked.value;
      return checked;
    },
  };
}

const OPAQUE_ALLOWED =
  'ports (1-65535), ranges and container port names separated by commas, e.g. 3306,8000-8010,mysql';
const PORT_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Ports, ranges and IANA port names (resolved against the pod's container ports later). */
export function checkOpaquePorts(text: string): Checked<string> {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const item of items) {
    if (PORT_NAME.test(item)) continue;
    if (!checkPortList(item).ok)
      return { ok: false, allowed: OPAQUE_ALLOWED, detail: `${JSON.stringify(item)} is neither` };
  }
  return { ok: true, value: items.join(',') };
}

const QUANTITY_TEXT = 'a Kubernetes quantity, e.g. 100m, 0.5, 64Mi, 1Gi';
const policies = (t: string): Checked<InboundPolicy> => checkOneOf(t, INBOUND_POLICIES);
const pullPolicies = (t: string): Checked<PullPolicy> => checkOneOf(t, PULL_POLICIES);
const duration = (t: string): Checked<string> => checkDuration(t, { allowEmpty: false });
const quantity = (t: string): Checked<string> => {
  const q = checkQuantity(t);
  return q.ok && q.value !== '' ? q : { ok: false, allowed: QUANTITY_TEXT };
};
const envJson = (t: string): Checked<readonly EnvVar[]> => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(t);
  } catch {
    return { ok: false, allowed: 'a JSON list of EnvVar objects, e.g. [{"name":"X","value":"1"}]' };
  }
  return checkEnvList(parsed);
};

/** Every `config.nodemesh.io/*` annotation nodemesh reads, in the order docs/injector.md lists them. */
export const CONFIG_ANNOTATIONS: readonly AnnotationSpec[] = [
  spec('inbound-port', 'inboundPort', checkPort, 'a port number 1-65535'),
  spec('outbound-port', 'outboundPort', checkPort, 'a port number 1-65535'),
  spec('admin-port', 'adminPort', checkPort, 'a port number 1-65535'),
  spec('control-port', 'controlPort', checkPort, 'a port number 1-65535'),
  spec('skip-inbound-ports', 'skipInboundPorts', checkPortList, PORT_LIST_ALLOWED),
  spec('skip-outbound-ports', 'skipOutboundPorts', checkPortList, PORT_LIST_ALLOWED),
  spec('skip-subnets', 'skipSubnets', checkCidrList, 'CIDRs separated by commas, e.g. 10.0.0.0/8,fd00::/8'),
  spec('opaque-ports', 'opaquePorts', checkOpaquePorts, OPAQUE_ALLOWED),
  spec('proxy-cpu-request', 'cpuRequest', quantity, QUANTITY_TEXT),
  spec('proxy-cpu-limit', 'cpuLimit', quantity, QUANTITY_TEXT),
  spec('proxy-memory-request', 'memoryRequest', quantity, QUANTITY_TEXT),
  spec('proxy-memory-limit', 'memoryLimit', quantity, QUANTITY_TEXT),
  spec('proxy-ephemeral-storage-request', 'ephemeralStorageRequest', quantity, QUANTITY_TEXT),
  spec('proxy-ephemeral-storage-limit', 'ephemeralStorageLimit', quantity, QUANTITY_TEXT),
  spec('proxy-image', 'image', checkImageName, 'an image name without tag, e.g. ghcr.io/nodemesh/nodemesh'),
  spec('proxy-version', 'version', checkImageTag, 'an image tag, e.g. 0.1.0'),
  spec('image-pull-policy', 'pullPolicy', pullPolicies, PULL_POLICIES.join(', ')),
  spec('proxy-uid', 'uid', (t) => checkInt(t, 0, 2_147_483_647), 'a user id 0-2147483647'),
  spec('proxy-gid', 'gid', (t) => checkInt(t, -1, 2_147_483_647), 'a group id 0-2147483647, or -1 for none'),
  spec('proxy-require-identity-inbound-ports', 'requireIdentityInboundPorts', checkPortList, PORT_LIST_ALLOWED),
  spec('default-inbound-policy', 'defaultInboundPolicy', policies, INBOUND_POLICIES.join(', ')),
  spec('proxy-log-level', 'logLevel', checkLogLevel, 'trace, debug, info, warn, error, fatal, silent'),
  spec('proxy-log-format', 'logFormat', checkLogFormat, 'auto, json, pretty'),
  spec('proxy-await', 'await', checkEnabled, 'enabled or disabled'),
  spec('proxy-enable-native-sidecar', 'nativeSidecar', checkEnabled, 'true or false (also enabled or disabled)'),
  spec(
    'proxy-wait-before-exit-seconds',
    'waitBeforeExitSeconds',
    (t) => checkInt(t, 0, 86_400),
    'whole seconds 0-86400',
    ['config.alpha.nodemesh.io/proxy-wait-before-exit-seconds'],
  ),
  spec('shutdown-grace-period', 'shutdownGracePeriod', duration, 'a duration, e.g. 30s, 2m'),
  spec('proxy-admin-shutdown', 'adminShutdown', checkEnabled, 'enabled or disabled'),
  spec('proxy-inbound-connect-timeout', 'inboundConnectTimeout', duration, 'a duration, e.g. 100ms, 1s'),
  spec('proxy-outbound-connect-timeout', 'outboundConnectTimeout', duration, 'a duration, e.g. 1000ms, 3s'),
  spec(
    'proxy-additional-env',
    'additionalEnv',
    envJson,
    'a JSON list of EnvVar objects, e.g. [{"name":"X","value":"1"}]',
  ),
  spec('proxy-node-options', 'nodeOptions', (t) => ({ ok: true, value: t }), 'NODE_OPTIONS text for the proxy'),
];

const BY_NAME: ReadonlyMap<string, AnnotationSpec> = new Map(
  CONFIG_ANNOTATIONS.flatMap((s) => [s.name, ...(s.aliases ?? [])].map((name) => [name, s] as const)),
);

/** Whether `key` is a configuration annotation (namespace values for it apply to pods). */
export function isConfigAnnotation(key: string): boolean {
  return key.startsWith(CONFIG_PREFIX) || key.startsWith('config.alpha.nodemesh.io/');
}

export interface ParsedAnnotations {
  readonly overrides: AnnotationOverrides;
  /** Namespace config annotations the pod does not set: the injector copies them onto the pod. */
  readonly inherited: Readonly<Record<string, string>>;
  /** Unknown `config.nodemesh.io/*` keys, one message each. */
  readonly warnings: readonly string[];
}

/** Reads the pod's config annotations over its namespace's; throws AnnotationError on bad values. */
export function parseConfigAnnotations(input: {
  readonly pod: Readonly<Record<string, string>>;
  readonly namespace: Readonly<Record<string, string>>;
  readonly namespaceName: string;
}): ParsedAnnotations {
  const inherited: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.namespace)) {
    if (key === 'config.nodemesh.io/admission-webhooks') continue;
    if (isConfigAnnotation(key) && !Object.hasOwn(input.pod, key)) inherited[key] = value;
  }
  const problems: AnnotationProblem[] = [];
  const warnings: string[] = [];
  const out: Mutable<AnnotationOverrides> = {};
  const sources: [Readonly<Record<string, string>>, string][] = [
    [inherited, `namespace ${input.namespaceName}`],
    [input.pod, 'pod'],
  ];
  for (const [annotations, on] of sources) {
    for (const [key, value] of Object.entries(annotations)) {
      if (!isConfigAnnotation(key)) continue;
      const found = BY_NAME.get(key);
      if (found === undefined) {
        warnings.push(`annotation ${key} on the ${on} is not one nodemesh reads; it has no effect`);
        continue;
      }
      const checked = found.apply(typeof value === 'string' ? value : String(value), out);
      if (!checked.ok) {
        const detail = checked.detail === undefined ? '' : ` (${checked.detail})`;
        problems.push({ annotation: key, value: String(value), allowed: `${checked.allowed}${detail}`, on });
      }
    }
  }
  if (problems.length > 0) throw new AnnotationError(problems);
  return { overrides: out, inherited, warnings };
}

/** The `nodemesh.io/inject` value, undefined when absent; throws AnnotationError when not allowed. */
export function readInjectMode(value: string | undefined, on: string): InjectMode | undefined {
  if (value === undefined) return undefined;
  const checked = checkOneOf(value, INJECT_MODES);
  if (checked.ok) return checked.value;
  throw new AnnotationError([{ annotation: 'nodemesh.io/inject', value, allowed: INJECT_MODES.join(', '), on }]);
}
