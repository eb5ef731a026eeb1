import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decideInjection, type NamespaceMetadata } from './decision.ts';
import { ownerFromPod } from './owner.ts';
import { defaultOpaquePorts, formatPorts, resolveOpaquePorts } from './ports.ts';

const ns = (annotations: Record<string, string> = {}, labels: Record<string, string> = {}): NamespaceMetadata => ({
  labels,
  annotations,
});
const pod = (annotations: Record<string, string> = {}, spec: Record<string, unknown> = {}) => ({
  metadata: { annotations },
  spec: { containers: [{ name: 'app', image: 'x' }], ...spec },
});

describe('decideInjection', () => {
  const cases: { name: string; pod: Record<string, unknown>; ns: NamespaceMetadata; want: string }[] = [
    {
      name: 'injects a pod annotated enabled',
      pod: pod({ 'nodemesh.io/inject': 'enabled' }),
      ns: ns(),
      want: 'enabled',
    },
    { name: 'injects in ingress mode', pod: pod({ 'nodemesh.io/inject': 'ingress' }), ns: ns(), want: 'ingress' },
    {
      name: 'injects a pod of an annotated namespace',
      pod: pod(),
      ns: ns({ 'nodemesh.io/inject': 'enabled' }),
      want: 'enabled',
    },
    {
      name: 'injects a pod of a labelled namespace',
      pod: pod(),
      ns: ns({}, { 'nodemesh.io/inject': 'enabled' }),
      want: 'enabled',
    },
    {
      name: 'skips a pod disabled in an enabled namespace',
      pod: pod({ 'nodemesh.io/inject': 'disabled' }),
      ns: ns({ 'nodemesh.io/inject': 'enabled' }),
      want: 'injection-disabled',
    },
    {
      name: 'lets the pod enable what its namespace disables',
      pod: pod({ 'nodemesh.io/inject': 'enabled' }),
      ns: ns({ 'nodemesh.io/inject': 'disabled' }),
      want: 'enabled',
    },
    { name: 'skips a pod with nothing set', pod: pod(), ns: ns(), want: 'injection-not-enabled' },
    {
      name: 'skips a host-network pod',
      pod: pod({ 'nodemesh.io/inject': 'enabled' }, { hostNetwork: true }),
      ns: ns(),
      want: 'host-network',
    },
    {
      name: 'skips a pod that has a proxy',
      pod: pod({ 'nodemesh.io/inject': 'enabled' }, { initContainers: [{ name: 'nodemesh-proxy' }] }),
      ns: ns(),
      want: 'proxy-present',
    },
    {
      name: 'injects a pod without the automounted token (the proxy projects its own)',
      pod: pod({ 'nodemesh.io/inject': 'enabled' }, { automountServiceAccountToken: false }),
      ns: ns(),
      want: 'enabled',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const d = decideInjection({ pod: c.pod, namespace: c.ns, namespaceName: 'shop' });
      assert.equal(d.inject ? d.mode : d.reason, c.want);
    });
  }

  test('reports UDP ports without blocking injection', () => {
    const d = decideInjection({
      pod: pod(
        { 'nodemesh.io/inject': 'enabled' },
        { containers: [{ name: 'dns', ports: [{ containerPort: 53, protocol: 'UDP' }] }] },
      ),
      namespace: ns(),
      namespaceName: 'shop',
    });
    assert.ok(d.inject);
    assert.match(d.warnings[0] ?? '', /UDP port 53 is not proxied/);
  });

  test('refuses an inject value that is not allowed, on the pod or the namespace', () => {
    assert.throws(
      () => decideInjection({ pod: pod({ 'nodemesh.io/inject': 'yes' }), namespace: ns(), namespaceName: 'shop' }),
      {
        code: 'MESH_ERR_INJECT_ANNOTATION',
      },
    );
    assert.throws(
      () => decideInjection({ pod: pod(), namespace: ns({ 'nodemesh.io/inject': 'on' }), namespaceName: 'shop' }),
      /namespace shop has value "on"/,
    );
  });
});

describe('ownerFromPod', () => {
  const withOwner = (kind: string, name: string, labels: Record<string, string> = {}) => ({
    metadata: { labels, ownerReferences: [{ kind, name, controller: true }] },
  });
  test('a ReplicaSet named <deployment>-<pod-template-hash> means the Deployment', () => {
    assert.deepEqual(ownerFromPod(withOwner('ReplicaSet', 'web-5d4f8', { 'pod-template-hash': '5d4f8' })), {
      kind: 'deployment',
      name: 'web',
    });
  });
  test('a ReplicaSet without the hash label stays a ReplicaSet; other kinds are lower-cased', () => {
    assert.deepEqual(ownerFromPod(withOwner('ReplicaSet', 'web-5d4f8')), { kind: 'replicaset', name: 'web-5d4f8' });
    assert.deepEqual(ownerFromPod(withOwner('StatefulSet', 'db')), { kind: 'statefulset', name: 'db' });
    assert.equal(ownerFromPod(withOwner('Rollout', 'x')), undefined);
    assert.equal(ownerFromPod({ metadata: {} }), undefined);
  });
});

describe('port lists', () => {
  test('formats runs of three or more as ranges', () => {
    assert.equal(formatPorts([8002, 25, 8000, 8001, 26, 25]), '25,26,8000-8002');
  });
  test('resolves container port names and warns about unknown ones', () => {
    const ports = [{ containerPort: 3306, name: 'mysql', protocol: 'TCP' }];
    assert.deepEqual(resolveOpaquePorts('mysql,9000-9001,nope', ports), {
      ports: [3306, 9000, 9001],
      warnings: ['opaque port name "nope" matches no container port; ignored'],
    });
  });
  test('computes the default opaque ports a pod or Service has', () => {
    assert.equal(defaultOpaquePorts([80, 3306, 5432], '25,3306,5432-5433'), '3306,5432');
    assert.equal(defaultOpaquePorts([80], '25,3306'), '');
  });
});
