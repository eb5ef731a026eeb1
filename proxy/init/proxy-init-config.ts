// proxy-init's settings: command-line flags (as Linkerd's proxy-init names them) and the same
// settings as NODEMESH_PROXY_INIT_* environment variables, parsed once and frozen.
//
// Contract: `parseProxyInitConfig(env, flags)` reads every setting — a flag wins over its variable —
// collects every problem, and throws one ConfigError naming each bad flag or variable (as the
// user wrote it), its value and what is allowed; otherwise it returns a deep-frozen config.
// The proxy's admin and control ports (4190, 4191) are always first in the inbound skip list.

import { SettingsReader, type EnvSource } from '../../src/config/index.ts';
import { parseCidr, type Cidr } from './cidr.ts';
import { parsePortRanges, type PortRange } from './port-ranges.ts';

export const ENV_INCOMING_PROXY_PORT = 'NODEMESH_PROXY_INIT_INCOMING_PROXY_PORT';
export const ENV_OUTGOING_PROXY_PORT = 'NODEMESH_PROXY_INIT_OUTGOING_PROXY_PORT';
export const ENV_PROXY_UID = 'NODEMESH_PROXY_INIT_PROXY_UID';
export const ENV_PROXY_GID = 'NODEMESH_PROXY_INIT_PROXY_GID';
export const ENV_INBOUND_PORTS_TO_IGNORE = 'NODEMESH_PROXY_INIT_INBOUND_PORTS_TO_IGNORE';
export const ENV_OUTBOUND_PORTS_TO_IGNORE = 'NODEMESH_PROXY_INIT_OUTBOUND_PORTS_TO_IGNORE';
export const ENV_PORTS_TO_REDIRECT = 'NODEMESH_PROXY_INIT_PORTS_TO_REDIRECT';
export const ENV_SUBNETS_TO_IGNORE = 'NODEMESH_PROXY_INIT_SUBNETS_TO_IGNORE';
export const ENV_IPV6 = 'NODEMESH_PROXY_INIT_IPV6';
export const ENV_IPTABLES_MODE = 'NODEMESH_PROXY_INIT_IPTABLES_MODE';
export const ENV_DRY_RUN = 'NODEMESH_PROXY_INIT_DRY_RUN';
export const ENV_NETNS = 'NODEMESH_PROXY_INIT_NETNS';

/** The proxy's control (tap) and admin ports: never redirected inbound. */
export const ALWAYS_IGNORED_INBOUND_PORTS: readonly number[] = [4190, 4191];

export const IPTABLES_MODES = ['auto', 'nft', 'legacy'] as const;
export type IptablesMode = (typeof IPTABLES_MODES)[number];

/** The flags `nodemesh proxy-init` takes (node:util parseArgs options). */
export const PROXY_INIT_FLAGS = {
  'incoming-proxy-port': { type: 'string' },
  'outgoing-proxy-port': { type: 'string' },
  'proxy-uid': { type: 'string' },
  'proxy-gid': { type: 'string' },
  'inbound-ports-to-ignore': { type: 'string' },
  'outbound-ports-to-ignore': { type: 'string' },
  'ports-to-redirect': { type: 'string' },
  'subnets-to-ignore': { type: 'string' },
  ipv6: { type: 'boolean' },
  'iptables-mode': { type: 'string' },
  'dry-run': { type: 'boolean' },
  netns: { type: 'string' },
} as const;

export type ProxyInitFlag = keyof typeof PROXY_INIT_FLAGS;

/** Flag values as parseArgs returns them (absent flags are undefined). */
export type ProxyInitFlags = Readonly<Partial<Record<ProxyInitFlag, string | boolean>>>;

/** Each flag and the environment variable that gives the same setting. */
export const PROXY_INIT_SETTINGS: Readonly<Record<ProxyInitFlag, string>> = {
  'incoming-proxy-port': ENV_INCOMING_PROXY_PORT,
  'outgoing-proxy-port': ENV_OUTGOING_PROXY_PORT,
  'proxy-uid': ENV_PROXY_UID,
  'proxy-gid': ENV_PROXY_GID,
  'inbound-ports-to-ignore': ENV_INBOUND_PORTS_TO_IGNORE,
  'outbound-ports-to-ignore': ENV_OUTBOUND_PORTS_TO_IGNORE,
  'ports-to-redirect': ENV_PORTS_TO_REDIRECT,
  'subnets-to-ignore': ENV_SUBNETS_TO_IGNORE,
  ipv6: ENV_IPV6,
  'iptables-mode': ENV_IPTABLES_MODE,
  'dry-run': ENV_DRY_RUN,
  netns: ENV_NETNS,
};

export interface ProxyInitConfig {
  /** Where inbound connections are redirected (the proxy's inbound listener). */
  readonly incomingProxyPort: number;
  /** Where outbound connections are redirected (the proxy's outbound listener). */
  readonly outgoingProxyPort: number;
  /** Connections made by this user are never redirected (the proxy's own). */
  readonly proxyUid: number;
  /** When set, connections made by this group are never redirected either. */
  readonly proxyGid: number | undefined;
  /** Destination ports not redirected inbound; starts with 4190, 4191. */
  readonly inboundPortsToIgnore: readonly PortRange[];
  /** Destination ports not redirected outbound. */
  readonly outboundPortsToIgnore: readonly PortRange[];
  /** When set, only these inbound ports are redirected ("redirect-listed"); else every port. */
  readonly portsToRedirect: readonly PortRange[] | undefined;
  /** Source subnets whose inbound connections are not redirected (each applies to its family). */
  readonly subnetsToIgnore: readonly Cidr[];
  /** Also write the rules with ip6tables. */
  readonly ipv6: boolean;
  readonly iptablesMode: IptablesMode;
  /** Print the rules and change nothing. */
  readonly dryRun: boolean;
  /** Run the firewall commands inside the network namespace at this path (nsenter --net). */
  readonly netns: string | undefined;
}

const MAX_ID = 4_294_967_294;
const PORTS_ALLOWED = 'ports (1-65535) and ranges lo-hi separated by commas, e.g. 25,443,8000-8010';

/** Parses proxy-init's settings from `flags` (which win) and `env`; see the file header. */
export function parseProxyInitConfig(env: EnvSource, flags: ProxyInitFlags = {}): ProxyInitConfig {
  // Each setting is read under the name the user gave it (`--proxy-uid` or the variable), so a
  // problem names what to fix.
  const source: Record<string, string | undefined> = {};
  const names = {} as Record<ProxyInitFlag, string>;
  for (const flag of Object.keys(PROXY_INIT_SETTINGS) as ProxyInitFlag[]) {
    const value = flags[flag];
    const name = value === undefined ? PROXY_INIT_SETTINGS[flag] : `--${flag}`;
    names[flag] = name;
    source[name] = value === undefined ? env[name] : String(value);
  }
  const reader = new SettingsReader('nodemesh proxy-init', source);

  const incomingProxyPort = reader.int(names['incoming-proxy-port'], { default: 4143, min: 1, max: 65_535 });
  const outgoingProxyPort = reader.int(names['outgoing-proxy-port'], { default: 4140, min: 1, max: 65_535 });
  const proxyUid = reader.int(names['proxy-uid'], { default: 2102, min: 0, max: MAX_ID });
  const proxyGid =
    reader.raw(names['proxy-gid']) === undefined
      ? undefined
      : reader.int(names['proxy-gid'], { default: 0, min: 0, max: MAX_ID });

  const extraInbound = portRanges(reader, names['inbound-ports-to-ignore']) ?? [];
  const inboundPortsToIgnore = dedupe([
    ...ALWAYS_IGNORED_INBOUND_PORTS.map((port) => ({ lo: port, hi: port })),
    ...extraInbound,
  ]);
  const outboundPortsToIgnore = portRanges(reader, names['outbound-ports-to-ignore']) ?? [];
  const portsToRedirect = portRanges(reader, names['ports-to-redirect']);
  if (portsToRedirect !== undefined && portsToRedirect.length === 0) {
    reader.problem({
      name: names['ports-to-redirect'],
      value: reader.raw(names['ports-to-redirect']),
      allowed: `at least one port: ${PORTS_ALLOWED}`,
    });
  }
  const subnetsToIgnore = subnets(reader, names['subnets-to-ignore']);
  const ipv6 = reader.bool(names.ipv6, { default: false });
  const iptablesMode = reader.oneOf(names['iptables-mode'], IPTABLES_MODES, { default: 'auto' });
  const dryRun = reader.bool(names['dry-run'], { default: false });
  const netns = reader.optionalString(names.netns);
  if (netns !== undefined && !netns.startsWith('/')) {
    reader.problem({
      name: names.netns,
      value: netns,
      allowed: 'an absolute path to a network namespace, e.g. /run/netns/NAME or /proc/PID/ns/net',
    });
  }

  return reader.finish({
    incomingProxyPort,
    outgoingProxyPort,
    proxyUid,
    proxyGid,
    inboundPortsToIgnore,
    outboundPortsToIgnore,
    portsToRedirect: portsToRedirect !== undefined && portsToRedirect.length > 0 ? portsToRedirect : undefined,
    subnetsToIgnore,
    ipv6,
    iptablesMode,
    dryRun,
    netns,
  });
}

function portRanges(reader: SettingsReader, name: string): PortRange[] | undefined {
  const value = reader.raw(name);
  if (value === undefined) return undefined;
  const parsed = parsePortRanges(value);
  if ('problem' in parsed) {
    reader.problem({ name, value, allowed: PORTS_ALLOWED, detail: parsed.problem });
    return [];
  }
  return parsed.ranges;
}

function subnets(reader: SettingsReader, name: string): Cidr[] {
  const value = reader.raw(name);
  if (value === undefined) return [];
  const out: Cidr[] = [];
  const seen = new Set<string>();
  for (const item of value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const cidr = parseCidr(item);
    if (cidr === undefined) {
      reader.problem({
        name,
        value,
        allowed: 'IPv4 or IPv6 subnets in CIDR notation separated by commas, e.g. 10.0.0.0/8,fd00::/8',
        detail: `${JSON.stringify(item)} is not a subnet`,
      });
      return [];
    }
    const text = `${cidr.address}/${cidr.prefix}`;
    if (seen.has(text)) continue;
    seen.add(text);
    out.push(cidr);
  }
  return out;
}

function dedupe(ranges: readonly PortRange[]): PortRange[] {
  const seen = new Set<string>();
  return ranges.filter((r) => {
    const k = `${r.lo}-${r.hi}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
