// The iptables rules of proxy-init as data: a pure function from the config to the ordered rules
// for each IP family (shared/reference/linkerd.md §4.2, linkerd2-proxy-init pkg/iptables).
//
// Contract: `buildFirewallPlans` does no I/O and is deterministic. Rule comments carry no run id
// (Linkerd appends a timestamp), so applying the same config twice writes identical rules. Each
// rule's `match` and `jump` are in the order iptables-save prints them (matches, then the comment,
// then `-j`), so a rendered rule can be compared with iptables-save output line for line.

import { formatCidr, type IpFamily } from './cidr.ts';
import { chunkPortRanges, formatPortRange, type PortRange } from './port-ranges.ts';
import type { ProxyInitConfig } from './proxy-init-config.ts';

export const NAT_TABLE = 'nat';
/** Inbound: reached from PREROUTING. */
export const REDIRECT_CHAIN = 'PROXY_INIT_REDIRECT';
/** Outbound: reached from OUTPUT. */
export const OUTPUT_CHAIN = 'PROXY_INIT_OUTPUT';
export const COMMENT_PREFIX = 'proxy-init/';

export interface FirewallRule {
  readonly table: typeof NAT_TABLE;
  readonly chain: string;
  /** Match arguments, e.g. `['-p', 'tcp', '-m', 'multiport', '--dports', '4190,4191']`. */
  readonly match: readonly string[];
  /** The target and its options, e.g. `['REDIRECT', '--to-ports', '4143']` (`-j` not included). */
  readonly jump: readonly string[];
  /** The full comment, `proxy-init/<name>`. */
  readonly comment: string;
}

export interface FirewallPlan {
  readonly family: IpFamily;
  readonly table: typeof NAT_TABLE;
  /** Chains to create, or flush when they exist. */
  readonly chains: readonly string[];
  /** The rules of those chains, in order. */
  readonly rules: readonly FirewallRule[];
  /** Jumps from the built-in chains into ours, each added only when missing. */
  readonly jumps: readonly FirewallRule[];
}

/** The plans to apply: IPv4 always, IPv6 when the config asks for it. */
export function buildFirewallPlans(config: ProxyInitConfig): FirewallPlan[] {
  const families: IpFamily[] = config.ipv6 ? ['ipv4', 'ipv6'] : ['ipv4'];
  return families.map((family) => buildFirewallPlan(config, family));
}

/** The chains, rules and jumps for one family. */
export function buildFirewallPlan(config: ProxyInitConfig, family: IpFamily): FirewallPlan {
  const inbound: FirewallRule[] = [
    ...ignorePorts(REDIRECT_CHAIN, config.inboundPortsToIgnore),
    ...config.subnetsToIgnore
      .filter((subnet) => subnet.family === family)
      .map((subnet) =>
        rule(REDIRECT_CHAIN, ['-s', formatCidr(subnet)], ['RETURN'], `ignore-subnet-${formatCidr(subnet)}`),
      ),
    ...redirectInbound(config),
  ];

  const outbound: FirewallRule[] = [
    rule(OUTPUT_CHAIN, ['-m', 'owner', '--uid-owner', String(config.proxyUid)], ['RETURN'], 'ignore-proxy-user-id'),
    ...(config.proxyGid === undefined
      ? []
      : [
          rule(
            OUTPUT_CHAIN,
            ['-m', 'owner', '--gid-owner', String(config.proxyGid)],
            ['RETURN'],
            'ignore-proxy-group-id',
          ),
        ]),
    rule(OUTPUT_CHAIN, ['-o', 'lo'], ['RETURN'], 'ignore-loopback'),
    ...ignorePorts(OUTPUT_CHAIN, config.outboundPortsToIgnore),
    rule(
      OUTPUT_CHAIN,
      ['-p', 'tcp'],
      ['REDIRECT', '--to-ports', String(config.outgoingProxyPort)],
      'redirect-all-outgoing-to-proxy-port',
    ),
  ];

  return {
    family,
    table: NAT_TABLE,
    chains: [REDIRECT_CHAIN, OUTPUT_CHAIN],
    rules: [...inbound, ...outbound],
    jumps: [
      rule('PREROUTING', [], [REDIRECT_CHAIN], 'install-proxy-init-prerouting'),
      rule('OUTPUT', [], [OUTPUT_CHAIN], 'install-proxy-init-output'),
    ],
  };
}

/** The arguments after `iptables -t nat -A <chain>` that add `r`. */
export function ruleArgs(r: FirewallRule): string[] {
  return [...r.match, '-m', 'comment', '--comment', r.comment, '-j', ...r.jump];
}

function redirectInbound(config: ProxyInitConfig): FirewallRule[] {
  const to = ['REDIRECT', '--to-ports', String(config.incomingProxyPort)];
  if (config.portsToRedirect === undefined) {
    return [rule(REDIRECT_CHAIN, ['-p', 'tcp'], to, 'redirect-all-incoming-to-proxy-port')];
  }
  return config.portsToRedirect.map((range) =>
    rule(
      REDIRECT_CHAIN,
      ['-p', 'tcp', '-m', 'tcp', '--dport', formatPortRange(range)],
      to,
      `redirect-port-${formatPortRange(range)}-to-proxy-port`,
    ),
  );
}

function ignorePorts(chain: string, ranges: readonly PortRange[]): FirewallRule[] {
  return chunkPortRanges(ranges).map((chunk) => {
    const ports = chunk.map(formatPortRange).join(',');
    return rule(chain, ['-p', 'tcp', '-m', 'multiport', '--dports', ports], ['RETURN'], `ignore-port-${ports}`);
  });
}

function rule(chain: string, match: string[], jump: string[], name: string): FirewallRule {
  return { table: NAT_TABLE, chain, match, jump, comment: `${COMMENT_PREFIX}${name}` };
}
