import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/errors/index.ts';
import { catchError } from '../../src/testing/index.ts';
import { formatCidr } from './cidr.ts';
import { formatPortRange } from './port-ranges.ts';
import {
  ENV_INBOUND_PORTS_TO_IGNORE,
  ENV_INCOMING_PROXY_PORT,
  ENV_IPTABLES_MODE,
  ENV_IPV6,
  ENV_PROXY_UID,
  ENV_SUBNETS_TO_IGNORE,
  PROXY_INIT_FLAGS,
  PROXY_INIT_SETTINGS,
  parseProxyInitConfig,
} from './proxy-init-config.ts';
import { PROXY_INIT_HELP } from './proxy-init-help.ts';

const ports = (ranges: readonly { lo: number; hi: number }[]): string => ranges.map(formatPortRange).join(',');

describe('parseProxyInitConfig', () => {
  test("gives Linkerd's defaults with nothing set", () => {
    const config = parseProxyInitConfig({});
    assert.deepEqual(
      { ...config, inboundPortsToIgnore: ports(config.inboundPortsToIgnore) },
      {
        incomingProxyPort: 4143,
        outgoingProxyPort: 4140,
        proxyUid: 2102,
        proxyGid: undefined,
        inboundPortsToIgnore: '4190,4191',
        outboundPortsToIgnore: [],
        portsToRedirect: undefined,
        subnetsToIgnore: [],
        ipv6: false,
        iptablesMode: 'auto',
        dryRun: false,
        netns: undefined,
      },
    );
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.inboundPortsToIgnore));
  });

  test('reads every flag', () => {
    const config = parseProxyInitConfig(
      {},
      {
        'incoming-proxy-port': '5143',
        'outgoing-proxy-port': '5140',
        'proxy-uid': '1000',
        'proxy-gid': '3000',
        'inbound-ports-to-ignore': '25,4191,8000-8010',
        'outbound-ports-to-ignore': '443,6443',
        'ports-to-redirect': '80,8080-8081',
        'subnets-to-ignore': '10.0.0.0/8, fd00::/8',
        ipv6: true,
        'iptables-mode': 'legacy',
        'dry-run': true,
        netns: '/run/netns/pod',
      },
    );
    assert.equal(config.incomingProxyPort, 5143);
    assert.equal(config.outgoingProxyPort, 5140);
    assert.equal(config.proxyUid, 1000);
    assert.equal(config.proxyGid, 3000);
    assert.equal(ports(config.inboundPortsToIgnore), '4190,4191,25,8000:8010', '4190,4191 first, 4191 once');
    assert.equal(ports(config.outboundPortsToIgnore), '443,6443');
    assert.equal(ports(config.portsToRedirect ?? []), '80,8080:8081');
    assert.deepEqual(config.subnetsToIgnore.map(formatCidr), ['10.0.0.0/8', 'fd00::/8']);
    assert.equal(config.ipv6, true);
    assert.equal(config.iptablesMode, 'legacy');
    assert.equal(config.dryRun, true);
    assert.equal(config.netns, '/run/netns/pod');
  });

  test('reads the environment, and a flag wins over its variable', () => {
    const env = {
      [ENV_INCOMING_PROXY_PORT]: '6143',
      [ENV_PROXY_UID]: '7',
      [ENV_IPV6]: 'true',
      [ENV_IPTABLES_MODE]: 'nft',
      [ENV_INBOUND_PORTS_TO_IGNORE]: '22',
    };
    const config = parseProxyInitConfig(env, { 'proxy-uid': '8' });
    assert.equal(config.incomingProxyPort, 6143);
    assert.equal(config.proxyUid, 8);
    assert.equal(config.ipv6, true);
    assert.equal(config.iptablesMode, 'nft');
    assert.equal(ports(config.inboundPortsToIgnore), '4190,4191,22');
  });

  test('three bad values make one error naming all three, as the user wrote them', () => {
    const err = catchError(
      () =>
        parseProxyInitConfig(
          { [ENV_SUBNETS_TO_IGNORE]: '10.0.0.0/8,not-a-subnet', [ENV_PROXY_UID]: '2102' },
          { 'incoming-proxy-port': '70000', 'outbound-ports-to-ignore': '443,http' },
        ),
      ConfigError,
    );
    assert.equal(err.code, 'MESH_ERR_CONFIG');
    assert.deepEqual(
      err.problems.map((p) => p.name),
      ['--incoming-proxy-port', '--outbound-ports-to-ignore', ENV_SUBNETS_TO_IGNORE],
    );
    assert.match(err.message, /3 invalid settings/);
    assert.match(err.message, /--incoming-proxy-port has value "70000"; allowed: an integer from 1 to 65535/);
    assert.match(err.message, /--outbound-ports-to-ignore has value "443,http" \("http" is not a port/);
    assert.match(err.message, /NODEMESH_PROXY_INIT_SUBNETS_TO_IGNORE .*"not-a-subnet" is not a subnet/);
  });

  const bad: { name: string; env?: Record<string, string>; flags?: Record<string, string>; setting: string }[] = [
    {
      name: 'a port range that ends before it starts',
      flags: { 'inbound-ports-to-ignore': '9-1' },
      setting: '--inbound-ports-to-ignore',
    },
    { name: 'a negative uid', flags: { 'proxy-uid': '-1' }, setting: '--proxy-uid' },
    { name: 'a gid that is not a number', flags: { 'proxy-gid': 'proxy' }, setting: '--proxy-gid' },
    { name: 'an unknown iptables mode', env: { [ENV_IPTABLES_MODE]: 'ebpf' }, setting: ENV_IPTABLES_MODE },
    { name: 'ipv6 that is not a boolean', env: { [ENV_IPV6]: 'maybe' }, setting: ENV_IPV6 },
    { name: 'a redirect list with no port', flags: { 'ports-to-redirect': ',' }, setting: '--ports-to-redirect' },
    { name: 'a relative netns path', flags: { netns: 'pod' }, setting: '--netns' },
    { name: 'an IPv4 prefix over 32', flags: { 'subnets-to-ignore': '10.0.0.0/33' }, setting: '--subnets-to-ignore' },
  ];
  for (const { name, env = {}, flags = {}, setting } of bad) {
    test(`refuses ${name}`, () => {
      const err = catchError(() => parseProxyInitConfig(env, flags), ConfigError);
      assert.deepEqual(
        err.problems.map((p) => p.name),
        [setting],
      );
    });
  }

  test('every flag has a variable, and the help names both', () => {
    assert.deepEqual(Object.keys(PROXY_INIT_SETTINGS).sort(), Object.keys(PROXY_INIT_FLAGS).sort());
    for (const [flag, env] of Object.entries(PROXY_INIT_SETTINGS)) {
      assert.ok(PROXY_INIT_HELP.includes(`--${flag}`), `help lacks --${flag}`);
      assert.ok(PROXY_INIT_HELP.includes(env), `help lacks ${env}`);
      assert.match(env, /^NODEMESH_PROXY_INIT_[A-Z0-9_]+$/);
    }
  });
});
