import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { FakeIptables, fakeWhich } from '../init/firewall-fake.ts';
import { CNI_ERROR } from './cni-errors.ts';
import { runCniPlugin, type CniPluginDeps } from './cni-plugin.ts';
import type { PodShape } from './cni-pod.ts';

const PREV_RESULT = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'eth0', sandbox: '/var/run/netns/x' }],
  ips: [{ address: '10.1.2.3/24', interface: 0 }],
};

const MESHED: PodShape = {
  metadata: { annotations: { 'config.nodemesh.io/skip-inbound-ports': '9999' } },
  spec: { containers: [{ name: 'app' }], initContainers: [{ name: 'nodemesh-proxy' }] },
};

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly json: Record<string, unknown>;
}

describe('nodemesh cni (the plugin)', () => {
  let dir: string;
  let netns: string;
  let stateDir: string;
  let iptables: FakeIptables;
  let pods: Map<string, PodShape>;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-cni-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const setup = async (): Promise<void> => {
    const sub = await mkdtemp(path.join(dir, 'case-'));
    netns = path.join(sub, 'netns');
    await writeFile(netns, ''); // DEL looks whether the namespace still exists
    stateDir = path.join(sub, 'state');
    iptables = new FakeIptables();
    pods = new Map([['shop/web-1', MESHED]]);
  };

  const deps = (): CniPluginDeps => ({
    getPod: (_kubeconfig, namespace, name) => {
      const pod = pods.get(`${namespace}/${name}`);
      return pod === undefined ? Promise.reject(new Error('no such pod')) : Promise.resolve(pod);
    },
    exec: iptables.exec,
    which: fakeWhich(['iptables-nft-save', 'iptables-nft-restore', 'nsenter']),
  });

  const config = (extra: Record<string, unknown> = {}): string =>
    JSON.stringify({
      cniVersion: '1.0.0',
      name: 'k8s-pod-network',
      type: 'nodemesh-cni',
      state_dir: stateDir,
      log_level: 'silent',
      kubernetes: { kubeconfig: '/etc/cni/net.d/ZZZ-nodemesh-cni-kubeconfig' },
      nodemesh: {
        'incoming-proxy-port': 4143,
        'outgoing-proxy-port': 4140,
        'proxy-uid': 2102,
        'proxy-gid': -1,
        'inbound-ports-to-ignore': '4191,4190',
        'iptables-mode': 'nft',
        ipv6: false,
        simulate: false,
      },
      prevResult: PREV_RESULT,
      ...extra,
    });

  const run = async (command: string, stdin = config(), env: Record<string, string> = {}): Promise<Run> => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await runCniPlugin(
      {
        env: {
          CNI_COMMAND: command,
          CNI_CONTAINERID: 'c0ffee',
          CNI_NETNS: netns,
          CNI_IFNAME: 'eth0',
          CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1',
          ...env,
        },
        stdin,
        stdout,
        stderr,
      },
      deps(),
    );
    return { code, stdout: out, stderr: err, json: out === '' ? {} : (JSON.parse(out) as Record<string, unknown>) };
  };

  test('VERSION lists the supported versions', async () => {
    await setup();
    const r = await run('VERSION', '{"cniVersion":"0.4.0"}');
    assert.equal(r.code, 0);
    assert.deepEqual(r.json, { cniVersion: '0.4.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
  });

  test('ADD writes the rules in the pod namespace with its annotations and passes prevResult through', async () => {
    await setup();
    const r = await run('ADD');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(r.json, PREV_RESULT);
    const saved = iptables.save('iptables-nft');
    assert.match(
      saved,
      /-A PREROUTING -m comment --comment "proxy-init\/install-proxy-init-prerouting" -j PROXY_INIT_REDIRECT/,
    );
    assert.match(saved, /--dports 4190,4191,9999 .*-j RETURN/, 'plugin ports and the pod annotation skipped');
    const entered = iptables.calls.filter((c) => c.file === '/usr/sbin/nsenter');
    assert.ok(entered.length > 0 && entered.length * 2 === iptables.calls.length, 'every command went through nsenter');
    assert.ok(
      entered.every((c) => c.args[0] === `--net=${netns}`),
      'every command ran inside the pod network namespace',
    );
    assert.deepEqual(await readdir(stateDir), ['c0ffee.json']);
  });

  test('CHECK passes after ADD and fails with code 102 when the rules were changed', async () => {
    await setup();
    assert.equal((await run('ADD')).code, 0);
    assert.equal((await run('CHECK')).code, 0);
    iptables.seed('iptables-nft', '-A PROXY_INIT_OUTPUT -j ACCEPT');
    const r = await run('CHECK');
    assert.equal(r.code, 1);
    assert.equal(r.json.code, CNI_ERROR.rulesDiffer);
    assert.match(String(r.json.msg), /PROXY_INIT_OUTPUT has \d+ rules that differ/);
  });

  test('DEL removes the rules ADD wrote and leaves every other rule', async () => {
    await setup();
    assert.equal((await run('ADD')).code, 0);
    iptables.seed('iptables-nft', '-A OUTPUT -p tcp --dport 53 -j ACCEPT');
    const r = await run('DEL');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const saved = iptables.save('iptables-nft');
    assert.doesNotMatch(saved, /PROXY_INIT/);
    assert.match(saved, /-A OUTPUT -p tcp --dport 53 -j ACCEPT/);
    assert.deepEqual(await readdir(stateDir), []);
    const again = await run('DEL');
    assert.equal(again.code, 0, 'DEL twice is fine');
  });

  test('DEL removes nothing it did not add: rules written by proxy-init stay', async () => {
    await setup();
    pods.set('shop/web-1', {
      spec: { containers: [{ name: 'nodemesh-proxy' }], initContainers: [{ name: 'nodemesh-init' }] },
    });
    iptables.seed(
      'iptables-nft',
      '-A PREROUTING -m comment --comment "proxy-init/install-proxy-init-prerouting" -j PROXY_INIT_REDIRECT',
      'PROXY_INIT_REDIRECT',
    );
    const before = iptables.save('iptables-nft');
    assert.equal((await run('ADD')).code, 0);
    assert.equal((await run('DEL')).code, 0);
    assert.equal(iptables.save('iptables-nft'), before);
    assert.equal(iptables.calls.length, 0, 'no firewall command ran');
  });

  test('pods without the proxy, and runs without Kubernetes arguments, pass through untouched', async () => {
    await setup();
    pods.set('shop/web-1', { spec: { containers: [{ name: 'app' }] } });
    const plain = await run('ADD', config({ log_level: 'info' }));
    assert.equal(plain.code, 0);
    assert.deepEqual(plain.json, PREV_RESULT);
    assert.match(plain.stderr, /pod not set up; passing through/);
    const noK8s = await run('ADD', config({ log_level: 'info' }), { CNI_ARGS: '' });
    assert.equal(noK8s.code, 0);
    assert.match(noK8s.stderr, /not a Kubernetes pod/);
    assert.equal(iptables.calls.length, 0);
  });

  test('errors are the specification’s JSON objects with clear messages', async () => {
    await setup();
    const cases: [string, Promise<Run>, number, RegExp][] = [
      [
        'bad version',
        run('ADD', config({ cniVersion: '9.9.9' })),
        CNI_ERROR.incompatibleVersion,
        /cniVersion "9\.9\.9" is not supported; allowed: 0\.3\.0/,
      ],
      ['not JSON', run('ADD', '{nope'), CNI_ERROR.decode, /not JSON/],
      [
        'bad field',
        run('ADD', config({ nodemesh: { 'proxy-uid': true } })),
        CNI_ERROR.invalidConfig,
        /nodemesh\.proxy-uid is true; allowed: a number/,
      ],
      [
        'bad port',
        run('ADD', config({ nodemesh: { 'incoming-proxy-port': 70000 } })),
        CNI_ERROR.invalidConfig,
        /incoming-proxy-port/,
      ],
      [
        'unknown key',
        run('ADD', config({ nodemesh: { 'inbound-port': 1 } })),
        CNI_ERROR.invalidConfig,
        /nodemesh\.inbound-port/,
      ],
      ['missing env', run('ADD', config(), { CNI_NETNS: '' }), CNI_ERROR.invalidEnvironment, /ADD needs CNI_NETNS/],
      ['unknown command', run('FROB'), CNI_ERROR.invalidEnvironment, /CNI_COMMAND "FROB" is not supported/],
    ];
    for (const [what, pending, code, message] of cases) {
      const r = await pending;
      assert.equal(r.code, 1, what);
      assert.equal(r.json.code, code, `${what}: ${r.stdout}`);
      assert.match(String(r.json.msg), message, what);
    }
    assert.equal(iptables.calls.length, 0);
  });

  test('a bad pod annotation fails ADD with code 103 naming it; an unreadable pod with 100', async () => {
    await setup();
    pods.set('shop/web-1', {
      ...MESHED,
      metadata: { annotations: { 'config.nodemesh.io/skip-outbound-ports': '80,http' } },
    });
    const bad = await run('ADD');
    assert.equal(bad.json.code, CNI_ERROR.podAnnotation);
    assert.match(String(bad.json.msg), /config\.nodemesh\.io\/skip-outbound-ports="80,http" is not valid/);
    pods.clear();
    const missing = await run('ADD');
    assert.equal(missing.json.code, CNI_ERROR.podLookup);
    assert.equal(iptables.calls.length, 0, 'fails closed: nothing written, the runtime retries');
  });

  test('a firewall failure fails ADD with code 101 and the command’s error', async () => {
    await setup();
    iptables.failNext(/restore/, { code: 4, stderr: 'iptables-restore: Permission denied (you must be root)' });
    const r = await run('ADD');
    assert.equal(r.json.code, CNI_ERROR.firewall);
    assert.match(String(r.json.msg), /NET_ADMIN/);
    assert.deepEqual(await readdir(stateDir).catch(() => []), [], 'nothing recorded');
  });

  test('simulate logs the rules and writes nothing', async () => {
    await setup();
    const r = await run('ADD', config({ log_level: 'info', nodemesh: { simulate: true } }));
    assert.equal(r.code, 0);
    assert.match(r.stderr, /simulate/);
    assert.match(r.stderr, /PROXY_INIT_REDIRECT/);
    assert.equal(iptables.calls.length, 0);
  });

  test('GC forgets records of containers that are gone', async () => {
    await setup();
    assert.equal((await run('ADD')).code, 0);
    assert.equal((await run('ADD', config(), { CNI_CONTAINERID: 'keep' })).code, 0);
    const gc = await run('GC', config({ 'cni.dev/valid-attachments': [{ containerID: 'keep', ifname: 'eth0' }] }));
    assert.equal(gc.code, 0, gc.stdout);
    assert.deepEqual(await readdir(stateDir), ['keep.json']);
  });
});
