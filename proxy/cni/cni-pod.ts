// Which pods the plugin sets up, and the rules their annotations ask for: a pod gets the rules
// when it has the nodemesh proxy (a container or a native-sidecar init container named
// `nodemesh-proxy`) and no `nodemesh-init` init container (the injector leaves it out when the
// control plane is installed with cniEnabled). The pod's `config.nodemesh.io/skip-inbound-ports`,
// `skip-outbound-ports`, `skip-subnets`, `proxy-uid` and `proxy-gid` annotations are added to the
// plugin's own settings, as the injector would have passed them to proxy-init.
//
// Contract: pure. `podRules` returns proxy-init flags or throws a CniError (103) naming the
// annotation, its value and what is allowed.

import { parseCidr, parsePortRanges, type ProxyInitFlags } from '../init/index.ts';
import { CNI_ERROR, CniError } from './cni-errors.ts';

export const PROXY_CONTAINER = 'nodemesh-proxy';
export const INIT_CONTAINER = 'nodemesh-init';
const PREFIX = 'config.nodemesh.io/';

export interface PodShape {
  readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> | null } | null;
  readonly spec?: {
    readonly containers?: readonly { readonly name?: string }[] | null;
    readonly initContainers?: readonly { readonly name?: string }[] | null;
  } | null;
}

export type PodDecision = { readonly intercept: true } | { readonly intercept: false; readonly reason: string };

export function podDecision(pod: PodShape): PodDecision {
  const names = (list: readonly { readonly name?: string }[] | null | undefined): string[] =>
    (list ?? []).map((c) => c.name ?? '');
  const containers = names(pod.spec?.containers);
  const inits = names(pod.spec?.initContainers);
  if (!containers.includes(PROXY_CONTAINER) && !inits.includes(PROXY_CONTAINER)) {
    return { intercept: false, reason: `the pod has no ${PROXY_CONTAINER} container` };
  }
  if (inits.includes(INIT_CONTAINER)) {
    return {
      intercept: false,
      reason: `the pod has a ${INIT_CONTAINER} init container, which writes the rules itself`,
    };
  }
  return { intercept: true };
}

/** The plugin's flags with the pod's annotations merged in (lists appended, ids replaced). */
export function podRules(base: ProxyInitFlags, pod: PodShape): ProxyInitFlags {
  const annotations = pod.metadata?.annotations ?? {};
  const flags: Record<string, string | boolean> = { ...base };
  const list = (annotation: string, flag: 'inbound-ports-to-ignore' | 'outbound-ports-to-ignore'): void => {
    const value = annotations[PREFIX + annotation];
    if (value === undefined || value.trim() === '') return;
    const parsed = parsePortRanges(value);
    if ('problem' in parsed) {
      throw bad(
        annotation,
        value,
        'ports (1-65535) and ranges lo-hi separated by commas, e.g. 25,8000-8010',
        parsed.problem,
      );
    }
    const existing = flags[flag];
    flags[flag] = typeof existing === 'string' && existing !== '' ? `${existing},${value}` : value;
  };
  list('skip-inbound-ports', 'inbound-ports-to-ignore');
  list('skip-outbound-ports', 'outbound-ports-to-ignore');
  const subnets = annotations[`${PREFIX}skip-subnets`];
  if (subnets !== undefined && subnets.trim() !== '') {
    const wrong = subnets
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '' && parseCidr(s) === undefined);
    if (wrong.length > 0) {
      throw bad(
        'skip-subnets',
        subnets,
        'subnets in CIDR notation separated by commas, e.g. 10.0.0.0/8,fd00::/8',
        `${wrong.join(', ')} not a subnet`,
      );
    }
    const existing = flags['subnets-to-ignore'];
    flags['subnets-to-ignore'] = typeof existing === 'string' && existing !== '' ? `${existing},${subnets}` : subnets;
  }
  for (const [annotation, flag] of [
    ['proxy-uid', 'proxy-uid'],
    ['proxy-gid', 'proxy-gid'],
  ] as const) {
    const value = annotations[PREFIX + annotation];
    if (value === undefined) continue;
    if (!/^\d{1,10}$/.test(value.trim())) throw bad(annotation, value, 'a user or group id, e.g. 2102');
    flags[flag] = value.trim();
  }
  return flags;
}

function bad(annotation: string, value: string, allowed: string, detail?: string): CniError {
  return new CniError(
    CNI_ERROR.podAnnotation,
    `pod annotation ${PREFIX}${annotation}=${JSON.stringify(value)} is not valid; allowed: ${allowed}`,
    detail ?? '',
  );
}
