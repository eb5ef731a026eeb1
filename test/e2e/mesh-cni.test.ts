// The whole mesh in network namespaces with the rules written by the CNI plugin instead of
// proxy-init (test/e2e/mesh-scenario.ts has the scenario). `nodemesh cni install` runs as the
// DaemonSet would (in-place runtime, a temporary CNI folder, a kubeconfig of a fake API server
// holding the pods); this test then plays the container runtime: it reads the chain the installer
// appended to, and runs our entry's executable with the network configuration and prevResult on
// stdin and the CNI_* variables, as containerd and CRI-O do for a chained plugin.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { FakeApiServer } from '../../src/k8s/fake-api-server.ts';
import { BIN, NODE, type LabPod } from './mesh-lab.ts';
import { meshScenario, type ScenarioPods } from './mesh-scenario.ts';
import { BackgroundProcess, type RunResult } from './netns.ts';

const NAMESPACE = 'shop';

interface Node {
  readonly dir: string;
  readonly netDir: string;
  readonly binDir: string;
  readonly api: FakeApiServer;
  readonly installer: BackgroundProcess;
  readonly containers: Map<string, string>;
}

let node: Node | undefined;
let scenarioPods: ScenarioPods | undefined;
/** Undo steps of the setup, run in reverse by teardown, also after a failed setup. */
const cleanups: (() => Promise<void>)[] = [];

/** The conflist the runtime would use, with our entry in its chain. */
async function chain(n: Node): Promise<{ cniVersion: string; name: string; plugins: Record<string, unknown>[] }> {
  return JSON.parse(await readFile(path.join(n.netDir, '10-bridge.conflist'), 'utf8')) as {
    cniVersion: string;
    name: string;
    plugins: Record<string, unknown>[];
  };
}

/** Runs our plugin for `pod` as a runtime does; resolves with its exit code and output. */
async function callPlugin(n: Node, command: 'ADD' | 'DEL' | 'CHECK', pod: LabPod): Promise<RunResult> {
  const list = await chain(n);
  const entry = list.plugins.find((p) => p['type'] === 'nodemesh-cni');
  assert.ok(entry !== undefined, 'the installer appended our entry');
  let containerId = n.containers.get(pod.name);
  if (containerId === undefined) {
    containerId = randomBytes(16).toString('hex');
    n.containers.set(pod.name, containerId);
  }
  const stdin = JSON.stringify({
    ...entry,
    cniVersion: list.cniVersion,
    name: list.name,
    prevResult: {
      cniVersion: list.cniVersion,
      interfaces: [{ name: 'eth0', sandbox: pod.ns.path }],
      ips: [{ address: `${pod.ip}/24`, interface: 0 }],
    },
  });
  return new Promise((resolve) => {
    const child = spawn(path.join(n.binDir, 'nodemesh-cni'), [], {
      env: {
        PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        CNI_COMMAND: command,
        CNI_CONTAINERID: containerId,
        CNI_NETNS: pod.ns.path,
        CNI_IFNAME: 'eth0',
        CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${NAMESPACE};K8S_POD_NAME=${pod.name}`,
        CNI_PATH: n.binDir,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}

async function natRules(pod: LabPod): Promise<string> {
  const saved = await pod.ns.exec('iptables-save', ['-t', 'nat']);
  return saved.stdout
    .split('\n')
    .filter((l) => l.startsWith('-A') || l.startsWith(':PROXY'))
    .join('\n');
}

describe('the mesh end to end behind the CNI plugin (network namespaces)', () => {
  meshScenario({
    tools: ['iptables-save'],
    setup: async (_lab, pods: ScenarioPods) => {
      const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-cni-node-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const netDir = path.join(dir, 'net.d');
      const binDir = path.join(dir, 'bin');
      await mkdir(netDir);
      await mkdir(binDir);
      // The cluster's own network plugin's configuration, which ours chains after.
      await writeFile(
        path.join(netDir, '10-bridge.conflist'),
        JSON.stringify({ cniVersion: '1.0.0', name: 'lab', plugins: [{ type: 'bridge', bridge: 'nmbr0' }] }),
      );
      const api = new FakeApiServer();
      await api.start();
      cleanups.push(() => api.close());
      // C runs no proxy: the plugin must leave it alone.
      api.add({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: pods.c.name, namespace: NAMESPACE },
        spec: { containers: [{ name: 'app' }] },
      });
      await writeFile(path.join(dir, 'kubeconfig'), api.kubeConfig().exportConfig());
      await writeFile(
        path.join(dir, 'entry.json'),
        JSON.stringify({
          name: 'nodemesh-cni',
          type: 'nodemesh-cni',
          log_level: 'info',
          state_dir: path.join(dir, 'state'),
          nodemesh: {
            'incoming-proxy-port': 4143,
            'outgoing-proxy-port': 4140,
            'proxy-uid': 2102,
            'proxy-gid': -1,
            'inbound-ports-to-ignore': '4191,4190',
            'iptables-mode': 'auto',
            ipv6: false,
            simulate: false,
          },
        }),
      );
      const installer = new BackgroundProcess(
        spawn(NODE, [BIN, 'cni', 'install'], {
          env: {
            ...process.env,
            NODEMESH_CNI_NET_DIR: netDir,
            NODEMESH_CNI_BIN_DIR: binDir,
            NODEMESH_CNI_CONFIG_FILE: path.join(dir, 'entry.json'),
            NODEMESH_CNI_RUNTIME: 'in-place',
            NODEMESH_CNI_KUBECONFIG: path.join(dir, 'kubeconfig'),
            NODEMESH_LOG_FORMAT: 'json',
          },
          stdio: ['pipe', 'pipe', 'pipe'],
        }),
      );
      cleanups.push(() => installer.stop());
      await installer.waitFor(/added the plugin to the network configuration/, 20_000);
      node = { dir, netDir, binDir, api, installer, containers: new Map() };
      scenarioPods = pods;
    },
    intercept: async (_lab, pod, rules) => {
      assert.ok(node !== undefined);
      const annotations: Record<string, string> = {};
      if (rules.inboundPortsToIgnore !== undefined) {
        annotations['config.nodemesh.io/skip-inbound-ports'] = rules.inboundPortsToIgnore;
      }
      if (rules.outboundPortsToIgnore !== undefined) {
        annotations['config.nodemesh.io/skip-outbound-ports'] = rules.outboundPortsToIgnore;
      }
      // As the injector leaves them with cniEnabled: the proxy, and no nodemesh-init.
      node.api.add({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: pod.name, namespace: NAMESPACE, annotations },
        spec: { containers: [{ name: 'app' }], initContainers: [{ name: 'nodemesh-proxy', restartPolicy: 'Always' }] },
      });
      const added = await callPlugin(node, 'ADD', pod);
      assert.equal(added.code, 0, added.stdout + added.stderr);
      const result = JSON.parse(added.stdout) as { ips?: { address?: string }[] };
      assert.equal(result.ips?.[0]?.address, `${pod.ip}/24`, 'prevResult passed through');
    },
    teardown: async () => {
      for (const undo of cleanups.reverse()) await undo();
    },
  });

  test('ADD leaves a pod without the proxy alone; CHECK passes for a pod it set up', async (t) => {
    const pods = scenarioPods;
    if (node === undefined || pods === undefined)
      return t.skip('the lab did not start (see the scenario’s skip reason)');
    const before = await natRules(pods.c);
    const added = await callPlugin(node, 'ADD', pods.c);
    assert.equal(added.code, 0, added.stdout + added.stderr);
    assert.match(added.stderr, /pod not set up; passing through/);
    assert.equal(await natRules(pods.c), before);
    const checked = await callPlugin(node, 'CHECK', pods.b1);
    assert.equal(checked.code, 0, checked.stdout + checked.stderr);
  });

  test('DEL removes the plugin’s rules and nothing else', async (t) => {
    const pods = scenarioPods;
    if (node === undefined || pods === undefined)
      return t.skip('the lab did not start (see the scenario’s skip reason)');
    const other = await pods.b1.ns.exec('iptables', [
      '-t',
      'nat',
      '-A',
      'OUTPUT',
      '-p',
      'tcp',
      '--dport',
      '5555',
      '-j',
      'ACCEPT',
    ]);
    assert.equal(other.code, 0, other.stderr);
    assert.match(await natRules(pods.b1), /PROXY_INIT_REDIRECT/);
    const deleted = await callPlugin(node, 'DEL', pods.b1);
    assert.equal(deleted.code, 0, deleted.stdout + deleted.stderr);
    assert.equal(await natRules(pods.b1), '-A OUTPUT -p tcp -m tcp --dport 5555 -j ACCEPT');
    const again = await callPlugin(node, 'DEL', pods.b1);
    assert.equal(again.code, 0, 'DEL of a container already deleted is fine');
  });

  test('the installer takes its entry out of the chain when stopped', async (t) => {
    if (node === undefined) return t.skip('the lab did not start (see the scenario’s skip reason)');
    await node.installer.stop();
    assert.deepEqual(
      (await chain(node)).plugins.map((p) => p['type']),
      ['bridge'],
    );
  });
});
