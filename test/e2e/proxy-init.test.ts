// proxy-init end to end: the real iptables rules written into private network namespaces, checked
// with iptables-save, applied twice for idempotency, and proven by real TCP connections.
//
// How: two namespaces A ("the pod") and B ("another pod") joined by a veth pair (10.255.R.0/30 and
// fd00:255:R::/64, addresses that exist only inside them). runProxyInit runs in this process with
// `--netns /run/netns/A`, so every iptables call enters A through nsenter. Probe processes
// (netns-probe.ts) run inside the namespaces with `ip netns exec`: in A, stand-in proxy listeners
// on 127.0.0.1:4140 / [::1]:4140 (outbound), :4143 (inbound) and :4191 (admin); in B, a server on
// port 80. Clients run as root or, through `setpriv --reuid=2102`, as the proxy's user, and print
// which listener answered. Needs root, iproute2, nsenter, setpriv and iptables; otherwise skipped
// with the reason.

import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { after, before, describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CommandContext } from '../../src/cli/command.ts';
import {
  buildFirewallPlans,
  parseProxyInitConfig,
  PROXY_INIT_FLAGS,
  renderRuleLine,
  runProxyInit,
  spawnExec,
  type ProxyInitDeps,
} from '../../proxy/init/index.ts';
import { parseFlags } from '../../src/cli/args.ts';
import { cleanupNetns, netnsUnavailable, Netns, run, vethPair, which, type BackgroundProcess } from './netns.ts';

const PROBE = fileURLToPath(new URL('./netns-probe.ts', import.meta.url));
const NODE = process.execPath;
const PROXY_UID = 2102;

type Mode = 'nft' | 'legacy';
const binaries = (mode: Mode): string[] =>
  ['iptables', 'ip6tables'].flatMap((base) => [`${base}-${mode}-save`, `${base}-${mode}-restore`]);

async function pickMode(): Promise<Mode | undefined> {
  for (const mode of ['nft', 'legacy'] as const) {
    const found = await Promise.all(binaries(mode).map(which));
    if (found.every((f) => f !== undefined)) return mode;
  }
  return undefined;
}

async function proxyInit(
  argv: string[],
  deps: Partial<ProxyInitDeps> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const ctx: CommandContext = {
    argv,
    env: { PATH: process.env.PATH },
    stdout,
    stderr,
    signal: AbortSignal.timeout(10_000),
    program: 'nodemesh',
    cwd: process.cwd(),
    self: [NODE],
  };
  const code = await runProxyInit(ctx, deps);
  return { code, stdout: out, stderr: err };
}

describe('proxy-init in a network namespace', { timeout: 30_000 }, () => {
  let skip: string | undefined;
  let mode: Mode = 'nft';
  let pod: Netns;
  let peer: Netns;
  const r = randomInt(0, 256);
  const v4 = { pod: `10.255.${r}.1`, peer: `10.255.${r}.2` };
  const v6 = { pod: `fd00:255:${r.toString(16)}::1`, peer: `fd00:255:${r.toString(16)}::2` };
  let argv: string[];
  const listeners: BackgroundProcess[] = [];

  before(async () => {
    skip = await netnsUnavailable(['nsenter', 'setpriv']);
    const chosen = await pickMode();
    if (skip === undefined && chosen === undefined) {
      skip = `not on PATH: ${binaries('nft').join(', ')} (or the -legacy- ones)`;
    }
    if (skip !== undefined || chosen === undefined) return;
    mode = chosen;
    pod = await Netns.create('nm-test');
    peer = await Netns.create('nm-test');
    await vethPair(pod, peer, {
      addresses: [
        [`${v4.pod}/30`, `${v4.peer}/30`],
        [`${v6.pod}/64`, `${v6.peer}/64`],
      ],
    });
    argv = ['--netns', pod.path, '--iptables-mode', mode, '--ipv6', '--outbound-ports-to-ignore', '25,6000-6010'];
  });

  after(cleanupNetns);

  const needs = (t: TestContext): boolean => {
    if (skip === undefined) return true;
    t.skip(`needs root and iptables: ${skip}`);
    return false;
  };

  const save = async (ns: Netns, family: 'iptables' | 'ip6tables'): Promise<string> => {
    const result = await ns.exec(`${family}-${mode}-save`, ['-t', 'nat']);
    assert.equal(result.code, 0, result.stderr);
    // The only lines that differ between two identical tables are the timestamped comments.
    return result.stdout
      .split('\n')
      .filter((line) => !line.startsWith('#'))
      .join('\n');
  };

  const hostRuleCount = async (): Promise<number> => {
    const { stdout } = await run(`iptables-${mode}-save`, ['-t', 'nat']);
    return stdout.split('\n').filter((line) => line.includes('proxy-init/')).length;
  };

  test('writes the chains and every rule into the namespace only', async (t) => {
    if (!needs(t)) return;
    const hostBefore = await hostRuleCount();
    const result = await proxyInit(argv);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, new RegExp(`iptables backend ${mode} \\(mode ${mode}\\)`));
    assert.match(result.stdout, /ipv4: created PROXY_INIT_REDIRECT, PROXY_INIT_OUTPUT; 6 rules; added jumps/);
    assert.match(result.stdout, /ipv6: created PROXY_INIT_REDIRECT, PROXY_INIT_OUTPUT; 6 rules; added jumps/);

    const { values } = parseFlags('proxy-init', argv, PROXY_INIT_FLAGS);
    const [plan4, plan6] = buildFirewallPlans(parseProxyInitConfig({}, values));
    assert.ok(plan4 !== undefined && plan6 !== undefined);
    const saved4 = await save(pod, 'iptables');
    const saved6 = await save(pod, 'ip6tables');
    for (const [plan, saved] of [
      [plan4, saved4],
      [plan6, saved6],
    ] as const) {
      assert.ok(saved.includes(':PROXY_INIT_REDIRECT - [0:0]\n') && saved.includes(':PROXY_INIT_OUTPUT - [0:0]\n'));
      // Our rendering is exactly what iptables-save prints: this is what makes jump detection work.
      for (const rule of [...plan.rules, ...plan.jumps]) {
        assert.ok(
          saved.includes(`${renderRuleLine(rule)}\n`),
          `missing from ${plan.family}:\n${renderRuleLine(rule)}\n${saved}`,
        );
      }
    }
    assert.match(saved4, /--dports 25,6000:6010 /);
    assert.equal((await save(peer, 'iptables')).includes('PROXY_INIT'), false, 'the peer namespace is untouched');
    assert.equal(await hostRuleCount(), hostBefore, 'the host namespace is untouched');
  });

  test('running it again leaves byte-identical iptables-save output', async (t) => {
    if (!needs(t)) return;
    const before4 = await save(pod, 'iptables');
    const before6 = await save(pod, 'ip6tables');
    const result = await proxyInit(argv);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(
      result.stdout,
      /ipv4: flushed and rewrote PROXY_INIT_REDIRECT, PROXY_INIT_OUTPUT; 6 rules; jumps already present/,
    );
    assert.equal(await save(pod, 'iptables'), before4);
    assert.equal(await save(pod, 'ip6tables'), before6);
  });

  test('connections land where the rules say', async (t) => {
    if (!needs(t)) return;
    const inPod = pod.spawn(NODE, [
      PROBE,
      'listen',
      'outbound-proxy@127.0.0.1:4140',
      'outbound-proxy@[::1]:4140',
      'inbound-proxy@0.0.0.0:4143',
      'inbound-proxy@[::]:4143',
      'admin@0.0.0.0:4191',
      'admin@[::]:4191',
    ]);
    const inPeer = peer.spawn(NODE, [PROBE, 'listen', `server@${v4.peer}:80`, `server@[${v6.peer}]:80`]);
    listeners.push(inPod, inPeer);
    await Promise.all([inPod.waitFor(/^ready$/), inPeer.waitFor(/^ready$/)]);

    const connect = async (
      ns: Netns,
      target: string,
      uid?: number,
    ): Promise<{ reply?: string; uid?: number; error?: string }> => {
      const drop = uid === undefined ? [] : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
      const [file, ...args] = [...drop, NODE, PROBE, 'connect', target, '3000'];
      const result = await ns.exec(file ?? NODE, args, { timeoutMs: 8_000 });
      const line = result.stdout.trim().split('\n').at(-1) ?? '';
      assert.ok(line.startsWith('{'), `no answer from the probe: ${result.stdout}${result.stderr}`);
      return JSON.parse(line) as { reply?: string; uid?: number; error?: string };
    };

    const cases: { name: string; from: Netns; target: string; uid?: number; want: string }[] = [
      {
        name: 'the app connecting out is redirected to the outbound port',
        from: pod,
        target: `${v4.peer}:80`,
        want: 'outbound-proxy',
      },
      {
        name: 'the proxy user connecting out is not redirected',
        from: pod,
        target: `${v4.peer}:80`,
        uid: PROXY_UID,
        want: 'server',
      },
      { name: 'an ignored outbound port is not redirected', from: pod, target: `${v4.peer}:25`, want: 'ECONNREFUSED' },
      {
        name: 'the pod connecting to its own address goes over loopback, not redirected',
        from: pod,
        target: `${v4.pod}:4191`,
        want: 'admin',
      },
      {
        name: 'inbound connections are redirected to the inbound port',
        from: peer,
        target: `${v4.pod}:8080`,
        want: 'inbound-proxy',
      },
      {
        name: 'inbound connections to the admin port are not redirected',
        from: peer,
        target: `${v4.pod}:4191`,
        want: 'admin',
      },
      {
        name: 'IPv6: the app connecting out is redirected',
        from: pod,
        target: `[${v6.peer}]:80`,
        want: 'outbound-proxy',
      },
      {
        name: 'IPv6: the proxy user is not redirected',
        from: pod,
        target: `[${v6.peer}]:80`,
        uid: PROXY_UID,
        want: 'server',
      },
      {
        name: 'IPv6: inbound connections are redirected',
        from: peer,
        target: `[${v6.pod}]:8080`,
        want: 'inbound-proxy',
      },
    ];
    const results = await Promise.all(cases.map((c) => connect(c.from, c.target, c.uid)));
    const got = cases.map((c, i) => `${c.name}: ${results[i]?.reply ?? results[i]?.error ?? '?'}`);
    assert.deepEqual(
      got,
      cases.map((c) => `${c.name}: ${c.want}`),
    );
    for (const [i, c] of cases.entries()) assert.equal(results[i]?.uid, c.uid ?? 0, `${c.name}: ran as the wrong user`);
    await Promise.all(listeners.map((l) => l.stop()));
  });

  test('the other backend (legacy) writes the same rules, idempotently', async (t) => {
    if (!needs(t)) return;
    const other: Mode = mode === 'nft' ? 'legacy' : 'nft';
    const found = await Promise.all(binaries(other).map(which));
    if (found.some((f) => f === undefined)) return t.skip(`needs ${binaries(other).join(', ')}`);
    const ns = await Netns.create('nm-test');
    const args = ['--netns', ns.path, '--iptables-mode', other];
    const saveOther = async (): Promise<string> => {
      const result = await ns.exec(`iptables-${other}-save`, ['-t', 'nat']);
      assert.equal(result.code, 0, result.stderr);
      return result.stdout.replace(/^#.*\n/gm, '');
    };
    assert.equal((await proxyInit(args)).code, 0);
    const first = await saveOther();
    assert.equal((await proxyInit(args)).code, 0);
    assert.equal(await saveOther(), first);
    const [plan] = buildFirewallPlans(parseProxyInitConfig({}));
    for (const rule of [...(plan?.rules ?? []), ...(plan?.jumps ?? [])]) {
      assert.ok(first.includes(`${renderRuleLine(rule)}\n`), `${other} lacks ${renderRuleLine(rule)}`);
    }
  });

  test('without NET_ADMIN it fails with the command, its stderr and the capabilities needed', async (t) => {
    if (!needs(t)) return;
    // Each iptables command runs inside the pod namespace as nobody (no capabilities).
    const exec: ProxyInitDeps['exec'] = (req) =>
      spawnExec({
        ...req,
        file: 'ip',
        args: [
          'netns',
          'exec',
          pod.name,
          'setpriv',
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          req.file,
          ...req.args,
        ],
      });
    const result = await proxyInit(['--iptables-mode', mode], { exec });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      new RegExp(
        `^error \\[MESH_ERR_FIREWALL_PERMISSION\\]: \\S*iptables-${mode}-save -t nat was not permitted \\(exited \\d+\\): .*Permission denied`,
      ),
    );
    assert.match(result.stderr, /needs the NET_ADMIN and NET_RAW capabilities/);
  });
});
