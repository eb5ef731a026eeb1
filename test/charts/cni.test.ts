// The nodemesh-cni chart (reference §6.5): a DaemonSet running `nodemesh cni install` on every
// node, its plugin configuration and its RBAC. Golden render, valid Kubernetes objects, the plugin
// configuration carrying the proxy's ports, and the values schema refusing bad values.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCniConfig } from '../../proxy/cni/cni-config.ts';
import { parseProxyInitConfig } from '../../proxy/init/index.ts';
import { buildRenderer, checkGolden, find, parseObjects, render, renderOk } from './chart-harness.ts';
import { validateObject } from './kube-validate.ts';

const CHART = 'nodemesh-cni';
const built = await buildRenderer();
const skip = 'skip' in built ? built.skip : false;
const bin = 'bin' in built ? built.bin : '';

describe('nodemesh-cni chart', { skip }, () => {
  test('the default render matches its golden file and every object is valid', async () => {
    const stream = await renderOk(bin, CHART, { namespace: 'nodemesh-cni' });
    await checkGolden('cni-default.yaml', stream);
    const objects = parseObjects(stream);
    for (const obj of objects) validateObject(obj);
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
      'ClusterRole/nodemesh-cni-nodemesh-cni',
      'ClusterRoleBinding/nodemesh-cni-nodemesh-cni',
      'ConfigMap/nodemesh-cni-config',
      'DaemonSet/nodemesh-cni',
      'ServiceAccount/nodemesh-cni',
    ]);
    for (const obj of objects)
      assert.equal(obj.metadata.labels?.['nodemesh.io/cni-resource'], 'true', obj.metadata.name);
  });

  test('the DaemonSet runs `nodemesh cni install` on every node with the host CNI folders', async () => {
    const ds = find(
      parseObjects(await renderOk(bin, CHART, { namespace: 'nodemesh-cni' })),
      'DaemonSet',
      'nodemesh-cni',
    );
    const spec = (
      ds.spec as {
        template: {
          spec: {
            tolerations: unknown[];
            containers: { args: string[] }[];
            volumes: { name: string; hostPath?: { path: string } }[];
          };
        };
      }
    ).template.spec;
    assert.deepEqual(spec.containers[0]?.args, ['cni', 'install']);
    assert.deepEqual(spec.tolerations, [{ operator: 'Exists' }]);
    assert.deepEqual(
      spec.volumes.filter((v) => v.hostPath !== undefined).map((v) => v.hostPath?.path),
      ['/opt/cni/bin', '/etc/cni/net.d'],
    );
  });

  test('the plugin configuration carries the proxy ports, user and ignored ports', async () => {
    const cm = find(
      parseObjects(
        await renderOk(bin, CHART, {
          namespace: 'nodemesh-cni',
          set: { ignoreOutboundPorts: '25,3306', proxyGID: '2102' },
        }),
      ),
      'ConfigMap',
      'nodemesh-cni-config',
    ) as { data?: Record<string, string> };
    const config = JSON.parse(cm.data?.['cni-config.json'] ?? '{}') as {
      type: string;
      nodemesh: Record<string, unknown>;
    };
    assert.equal(config.type, 'nodemesh-cni');
    assert.deepEqual(config.nodemesh, {
      'incoming-proxy-port': 4143,
      'outgoing-proxy-port': 4140,
      'proxy-uid': 2102,
      'proxy-gid': 2102,
      'ports-to-redirect': '',
      'inbound-ports-to-ignore': '4191,4190',
      'outbound-ports-to-ignore': '25,3306',
      'iptables-mode': 'nft',
      ipv6: false,
      simulate: false,
    });
    // What the plugin reads: the entry as the runtime hands it over, checked by the plugin's own
    // parser and by proxy-init's (the rules are built from it).
    const parsed = parseCniConfig(JSON.stringify({ cniVersion: '1.0.0', name: 'k8s', ...config }));
    assert.equal(parsed.kubeconfig, '/etc/cni/net.d/ZZZ-nodemesh-cni-kubeconfig');
    const rules = parseProxyInitConfig({}, parsed.rules);
    assert.deepEqual(
      [rules.incomingProxyPort, rules.outgoingProxyPort, rules.proxyUid, rules.proxyGid, rules.iptablesMode],
      [4143, 4140, 2102, 2102, 'nft'],
    );
    assert.deepEqual(rules.outboundPortsToIgnore, [
      { lo: 25, hi: 25 },
      { lo: 3306, hi: 3306 },
    ]);
  });

  test('the values schema refuses a bad iptables mode, port list and unknown key', async () => {
    const r = await render(bin, CHART, {
      set: { iptablesMode: 'bpf', ignoreInboundPorts: 'http', destCNIBinDir: 'opt/cni/bin', extra: 'x' },
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /- iptablesMode: iptablesMode must be one of the following: "auto", "nft", "legacy"/);
    assert.match(r.stderr, /- ignoreInboundPorts: Does not match pattern/);
    assert.match(r.stderr, /- destCNIBinDir: Does not match pattern '\^\/'/);
    assert.match(r.stderr, /- \(root\): Additional property extra is not allowed/);
  });
});
