import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildFirewallPlan, buildFirewallPlans, ruleArgs, type FirewallRule } from './firewall-rules.ts';
import { renderRuleLine } from './firewall-text.ts';
import { parseProxyInitConfig, type ProxyInitFlags } from './proxy-init-config.ts';

const config = (flags: ProxyInitFlags = {}) => parseProxyInitConfig({}, flags);
const lines = (rules: readonly FirewallRule[]): string[] => rules.map(renderRuleLine);

// The lines every default plan has, in order (reference/linkerd.md §4.2).
const IGNORE_ADMIN =
  '-A PROXY_INIT_REDIRECT -p tcp -m multiport --dports 4190,4191 -m comment --comment "proxy-init/ignore-port-4190,4191" -j RETURN';
const REDIRECT_ALL_IN =
  '-A PROXY_INIT_REDIRECT -p tcp -m comment --comment "proxy-init/redirect-all-incoming-to-proxy-port" -j REDIRECT --to-ports 4143';
const IGNORE_UID =
  '-A PROXY_INIT_OUTPUT -m owner --uid-owner 2102 -m comment --comment "proxy-init/ignore-proxy-user-id" -j RETURN';
const IGNORE_LO = '-A PROXY_INIT_OUTPUT -o lo -m comment --comment "proxy-init/ignore-loopback" -j RETURN';
const REDIRECT_ALL_OUT =
  '-A PROXY_INIT_OUTPUT -p tcp -m comment --comment "proxy-init/redirect-all-outgoing-to-proxy-port" -j REDIRECT --to-ports 4140';
const JUMPS = [
  '-A PREROUTING -m comment --comment "proxy-init/install-proxy-init-prerouting" -j PROXY_INIT_REDIRECT',
  '-A OUTPUT -m comment --comment "proxy-init/install-proxy-init-output" -j PROXY_INIT_OUTPUT',
];

describe('buildFirewallPlan', () => {
  const cases: { name: string; flags: ProxyInitFlags; family?: 'ipv4' | 'ipv6'; want: string[] }[] = [
    {
      name: 'defaults: skip admin ports, redirect all in; skip proxy user and loopback, redirect all out',
      flags: {},
      want: [IGNORE_ADMIN, REDIRECT_ALL_IN, IGNORE_UID, IGNORE_LO, REDIRECT_ALL_OUT],
    },
    {
      name: 'other proxy ports and user',
      flags: { 'incoming-proxy-port': '5143', 'outgoing-proxy-port': '5140', 'proxy-uid': '0' },
      want: [
        IGNORE_ADMIN,
        REDIRECT_ALL_IN.replace('4143', '5143'),
        IGNORE_UID.replace('2102', '0'),
        IGNORE_LO,
        REDIRECT_ALL_OUT.replace('4140', '5140'),
      ],
    },
    {
      name: 'a proxy group adds its rule after the user rule',
      flags: { 'proxy-gid': '2103' },
      want: [
        IGNORE_ADMIN,
        REDIRECT_ALL_IN,
        IGNORE_UID,
        '-A PROXY_INIT_OUTPUT -m owner --gid-owner 2103 -m comment --comment "proxy-init/ignore-proxy-group-id" -j RETURN',
        IGNORE_LO,
        REDIRECT_ALL_OUT,
      ],
    },
    {
      name: 'inbound ports to ignore join the admin ports; outbound ones come after loopback',
      flags: { 'inbound-ports-to-ignore': '4567,4568', 'outbound-ports-to-ignore': '443,6443,10000-10100' },
      want: [
        '-A PROXY_INIT_REDIRECT -p tcp -m multiport --dports 4190,4191,4567,4568 -m comment --comment "proxy-init/ignore-port-4190,4191,4567,4568" -j RETURN',
        REDIRECT_ALL_IN,
        IGNORE_UID,
        IGNORE_LO,
        '-A PROXY_INIT_OUTPUT -p tcp -m multiport --dports 443,6443,10000:10100 -m comment --comment "proxy-init/ignore-port-443,6443,10000:10100" -j RETURN',
        REDIRECT_ALL_OUT,
      ],
    },
    {
      name: 'a long inbound list is split at 15 port references, a range counting two',
      flags: { 'inbound-ports-to-ignore': '1-2,3,4,5,6,7,8,9,10,11,12,13,14,15,16' },
      want: [
        '-A PROXY_INIT_REDIRECT -p tcp -m multiport --dports 4190,4191,1:2,3,4,5,6,7,8,9,10,11,12,13 -m comment --comment "proxy-init/ignore-port-4190,4191,1:2,3,4,5,6,7,8,9,10,11,12,13" -j RETURN',
        '-A PROXY_INIT_REDIRECT -p tcp -m multiport --dports 14,15,16 -m comment --comment "proxy-init/ignore-port-14,15,16" -j RETURN',
        REDIRECT_ALL_IN,
        IGNORE_UID,
        IGNORE_LO,
        REDIRECT_ALL_OUT,
      ],
    },
    {
      name: 'subnets to ignore come after the ignored ports, IPv4 ones in the IPv4 plan',
      flags: { 'subnets-to-ignore': '10.0.0.0/8,fd00::/8,192.168.1.7' },
      want: [
        IGNORE_ADMIN,
        '-A PROXY_INIT_REDIRECT -s 10.0.0.0/8 -m comment --comment "proxy-init/ignore-subnet-10.0.0.0/8" -j RETURN',
        '-A PROXY_INIT_REDIRECT -s 192.168.1.7/32 -m comment --comment "proxy-init/ignore-subnet-192.168.1.7/32" -j RETURN',
        REDIRECT_ALL_IN,
        IGNORE_UID,
        IGNORE_LO,
        REDIRECT_ALL_OUT,
      ],
    },
    {
      name: 'and IPv6 ones in the IPv6 plan',
      flags: { 'subnets-to-ignore': '10.0.0.0/8,fd00::/8', ipv6: true },
      family: 'ipv6',
      want: [
        IGNORE_ADMIN,
        '-A PROXY_INIT_REDIRECT -s fd00::/8 -m comment --comment "proxy-init/ignore-subnet-fd00::/8" -j RETURN',
        REDIRECT_ALL_IN,
        IGNORE_UID,
        IGNORE_LO,
        REDIRECT_ALL_OUT,
      ],
    },
    {
      name: 'redirect-listed mode: one rule per listed port or range instead of redirect-all',
      flags: { 'ports-to-redirect': '80,8080-8090' },
      want: [
        IGNORE_ADMIN,
        '-A PROXY_INIT_REDIRECT -p tcp -m tcp --dport 80 -m comment --comment "proxy-init/redirect-port-80-to-proxy-port" -j REDIRECT --to-ports 4143',
        '-A PROXY_INIT_REDIRECT -p tcp -m tcp --dport 8080:8090 -m comment --comment "proxy-init/redirect-port-8080:8090-to-proxy-port" -j REDIRECT --to-ports 4143',
        IGNORE_UID,
        IGNORE_LO,
        REDIRECT_ALL_OUT,
      ],
    },
  ];
  for (const { name, flags, family = 'ipv4', want } of cases) {
    test(name, () => {
      const plan = buildFirewallPlan(config(flags), family);
      assert.deepEqual(lines(plan.rules), want);
      assert.deepEqual(lines(plan.jumps), JUMPS);
      assert.deepEqual(plan.chains, ['PROXY_INIT_REDIRECT', 'PROXY_INIT_OUTPUT']);
      assert.equal(plan.family, family);
    });
  }

  test('every rule is in table nat, in one of our chains, with a proxy-init/ comment', () => {
    const plan = buildFirewallPlan(
      config({ 'proxy-gid': '1', 'outbound-ports-to-ignore': '1-100', 'subnets-to-ignore': '10.0.0.0/8' }),
      'ipv4',
    );
    for (const r of plan.rules) {
      assert.equal(r.table, 'nat');
      assert.ok(['PROXY_INIT_REDIRECT', 'PROXY_INIT_OUTPUT'].includes(r.chain), r.chain);
      assert.match(r.comment, /^proxy-init\/[a-z0-9:.,/-]+$/);
    }
    assert.deepEqual(
      plan.jumps.map((j) => [j.table, j.chain, j.jump]),
      [
        ['nat', 'PREROUTING', ['PROXY_INIT_REDIRECT']],
        ['nat', 'OUTPUT', ['PROXY_INIT_OUTPUT']],
      ],
    );
  });

  test('gives the argument array of an iptables -A command', () => {
    const [first] = buildFirewallPlan(config(), 'ipv4').rules;
    assert.ok(first !== undefined);
    assert.deepEqual(ruleArgs(first), [
      '-p',
      'tcp',
      '-m',
      'multiport',
      '--dports',
      '4190,4191',
      '-m',
      'comment',
      '--comment',
      'proxy-init/ignore-port-4190,4191',
      '-j',
      'RETURN',
    ]);
  });

  test('is the same every time (no run id in comments)', () => {
    const flags = { 'inbound-ports-to-ignore': '1-5,7', ipv6: true } as const;
    assert.deepEqual(buildFirewallPlans(config(flags)), buildFirewallPlans(config(flags)));
  });
});

describe('buildFirewallPlans', () => {
  test('IPv4 only by default; IPv4 then IPv6 with --ipv6', () => {
    assert.deepEqual(
      buildFirewallPlans(config()).map((p) => p.family),
      ['ipv4'],
    );
    assert.deepEqual(
      buildFirewallPlans(config({ ipv6: true })).map((p) => p.family),
      ['ipv4', 'ipv6'],
    );
  });
});
