// EndpointsWatcher on a folder of YAML: the first answer, add/remove diffs as slices, pods and
// Services change, and how pod endpoints are translated (identity, hints, labels).

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ipAddressToString, type Update, type WeightedAddr } from '../../src/api/index.ts';
import { serviceByClusterIp } from './endpoint-translator.ts';
import { EndpointsWatcher, type ServicePortTarget } from './endpoints-watcher.ts';
import { TempFolderSource, podYaml, serviceYaml, silentLog, sliceYaml } from './test-fixtures.ts';

const OPTIONS = {
  clusterDomain: 'cluster.local',
  controlNamespace: 'nodemesh',
  trustDomain: 'cluster.local',
  defaultOpaquePorts: [3306, 5432],
};
const WEB = { namespace: 'shop', name: 'web', port: 80 };

/** What a stream would show: the updates as short strings. */
function describeUpdate(u: Update): string {
  switch (u.update?.$case) {
    case 'add':
      return `add ${u.update.add.addrs.map(addrText).sort().join(',')}`;
    case 'remove':
      return `remove ${u.update.remove.addrs
        .map((a) => `${a.ip === undefined ? '?' : ipAddressToString(a.ip)}:${a.port}`)
        .sort()
        .join(',')}`;
    case 'noEndpoints':
      return `none exists=${u.update.noEndpoints.exists}`;
    case undefined:
      return 'empty';
  }
}

function addrText(a: WeightedAddr): string {
  return `${a.addr?.ip === undefined ? '?' : ipAddressToString(a.addr.ip)}:${a.addr?.port}`;
}

describe('EndpointsWatcher', () => {
  let folder: TempFolderSource;
  let watcher: EndpointsWatcher;
  const unsubscribes: (() => void)[] = [];

  before(async () => {
    folder = await TempFolderSource.create();
    watcher = new EndpointsWatcher({ source: folder.source, log: silentLog }, OPTIONS);
    watcher.start();
    await folder.source.start();
  });
  after(async () => {
    watcher.close();
    await folder.close();
  });
  beforeEach(async () => {
    for (const off of unsubscribes.splice(0)) off();
    await folder.set({
      'web.yaml': `${serviceYaml({ name: 'web', clusterIP: '10.96.0.10' })}---\n${sliceYaml({
        name: 'web-1',
        service: 'web',
        endpoints: [{ ip: '10.1.0.1', pod: 'web-a' }],
      })}`,
      'pods.yaml': `${podYaml({ name: 'web-a', deployment: 'web', serviceAccount: 'web', meshedBy: 'nodemesh' })}---\n${podYaml({ name: 'web-b', deployment: 'web', serviceAccount: 'web' })}`,
    });
    await watcher.flush();
  });

  function subscribe(target: ServicePortTarget = WEB): { updates: Update[]; texts: () => string[] } {
    const updates: Update[] = [];
    unsubscribes.push(watcher.subscribe(target, (u) => updates.push(u)));
    return { updates, texts: () => updates.map(describeUpdate) };
  }

  async function change(files: Readonly<Record<string, string | undefined>>): Promise<void> {
    await folder.set(files);
    await watcher.flush();
  }

  test('answers at once with the ready endpoints on the target port', () => {
    const s = subscribe();
    assert.deepEqual(s.texts(), ['add 10.1.0.1:8080']);
    const add = s.updates[0]?.update;
    assert.ok(add?.$case === 'add');
    assert.deepEqual(add.add.metricLabels, { service: 'web', namespace: 'shop' });
    assert.equal(add.add.addrs[0]?.weight, 10_000);
  });

  test('sends adds when the service scales up and removes when it scales down', async () => {
    const s = subscribe();
    const slice = (ips: string[]): string =>
      sliceYaml({ name: 'web-1', service: 'web', endpoints: ips.map((ip) => ({ ip })) });
    await change({ 'web.yaml': `${serviceYaml({ name: 'web' })}---\n${slice(['10.1.0.1', '10.1.0.2', '10.1.0.3'])}` });
    await change({ 'web.yaml': `${serviceYaml({ name: 'web' })}---\n${slice(['10.1.0.3'])}` });
    assert.deepEqual(s.texts(), [
      'add 10.1.0.1:8080',
      // the first endpoint lost its pod reference, so it is sent again with new labels
      'add 10.1.0.1:8080,10.1.0.2:8080,10.1.0.3:8080',
      'remove 10.1.0.1:8080,10.1.0.2:8080',
    ]);
  });

  test('drops an endpoint that becomes not ready, and says exists=true when none is left', async () => {
    const s = subscribe();
    await change({
      'web.yaml': `${serviceYaml({ name: 'web' })}---\n${sliceYaml({ name: 'web-1', service: 'web', endpoints: [{ ip: '10.1.0.1', pod: 'web-a', ready: false }] })}`,
    });
    assert.deepEqual(s.texts(), ['add 10.1.0.1:8080', 'none exists=true']);
  });

  test('says exists=false when the Service is deleted, and adds again when it comes back', async () => {
    const s = subscribe();
    const before = await readWeb();
    await change({ 'web.yaml': undefined });
    await change({ 'web.yaml': before });
    assert.deepEqual(s.texts(), ['add 10.1.0.1:8080', 'none exists=false', 'add 10.1.0.1:8080']);
  });

  test('says exists=false for an unknown Service, once', async () => {
    const s = subscribe({ namespace: 'shop', name: 'nope', port: 80 });
    await change({ 'other.yaml': serviceYaml({ name: 'other', clusterIP: '10.96.0.11' }) });
    assert.deepEqual(s.texts(), ['none exists=false']);
    await change({ 'other.yaml': undefined });
  });

  test('finds a Service by its ClusterIP', () => {
    assert.equal(serviceByClusterIp(folder.source, '10.96.0.10')?.metadata.name, 'web');
    assert.equal(serviceByClusterIp(folder.source, '10.96.0.99'), undefined);
  });

  test('gives a meshed pod its identity, an h2 hint and its owner labels', () => {
    const s = subscribe();
    const add = s.updates[0]?.update;
    assert.ok(add?.$case === 'add');
    const addr = add.add.addrs[0];
    const identity = 'web.shop.serviceaccount.identity.nodemesh.cluster.local';
    assert.deepEqual(addr?.tlsIdentity, {
      strategy: { $case: 'dnsLikeIdentity', dnsLikeIdentity: { name: identity } },
      serverName: { name: identity },
    });
    assert.equal(addr?.protocolHint?.protocol?.$case, 'h2');
    assert.deepEqual(addr?.metricLabels, {
      pod: 'web-a',
      serviceaccount: 'web',
      deployment: 'web',
      pod_template_hash: '5d8f9c',
      control_plane_ns: 'nodemesh',
      zone: '',
    });
  });

  test('gives an unmeshed pod neither identity nor hint, and updates it when it joins the mesh', async () => {
    const s = subscribe();
    await change({
      'web.yaml': `${serviceYaml({ name: 'web' })}---\n${sliceYaml({ name: 'web-1', service: 'web', endpoints: [{ ip: '10.1.0.2', pod: 'web-b' }] })}`,
    });
    const add = s.updates[1]?.update;
    assert.ok(add?.$case === 'add');
    assert.equal(add.add.addrs[0]?.tlsIdentity, undefined);
    assert.equal(add.add.addrs[0]?.protocolHint, undefined);
    await change({
      'pods.yaml': podYaml({ name: 'web-b', deployment: 'web', serviceAccount: 'web', meshedBy: 'nodemesh' }),
    });
    const again = s.updates[3]?.update;
    assert.ok(again?.$case === 'add');
    assert.equal(again.add.addrs[0]?.protocolHint?.protocol?.$case, 'h2');
    assert.deepEqual(s.texts().slice(1), ['add 10.1.0.2:8080', 'remove 10.1.0.1:8080', 'add 10.1.0.2:8080']);
  });

  test('hints opaque (with opaque transport) on a port the Service marks opaque', async () => {
    await change({
      'db.yaml': `${serviceYaml({ name: 'db', clusterIP: '10.96.0.12', ports: [{ name: 'pg', port: 5432 }], annotations: {} })}---\n${sliceYaml({ name: 'db-1', service: 'db', ports: [{ name: 'pg', port: 5432 }], endpoints: [{ ip: '10.1.0.9', pod: 'web-a' }] })}`,
      'mq.yaml': `${serviceYaml({ name: 'mq', clusterIP: '10.96.0.13', ports: [{ name: 'amqp', port: 5672 }], annotations: { 'config.nodemesh.io/opaque-ports': '5672' } })}---\n${sliceYaml({ name: 'mq-1', service: 'mq', ports: [{ name: 'amqp', port: 5672 }], endpoints: [{ ip: '10.1.0.8', pod: 'web-a' }] })}`,
    });
    for (const target of [
      { namespace: 'shop', name: 'db', port: 5432 },
      { namespace: 'shop', name: 'mq', port: 5672 },
    ]) {
      const s = subscribe(target);
      const add = s.updates[0]?.update;
      assert.ok(add?.$case === 'add', target.name);
      assert.deepEqual(add.add.addrs[0]?.protocolHint, {
        protocol: { $case: 'opaque', opaque: {} },
        opaqueTransport: { inboundPort: 4143 },
      });
    }
    await change({ 'db.yaml': undefined, 'mq.yaml': undefined });
  });

  test("sends the Service's balancer.linkerd.io annotations with its endpoints, and nothing else", async () => {
    await change({
      'lb.yaml': `${serviceYaml({ name: 'lb', clusterIP: '10.96.0.15', ports: [{ name: 'http', port: 80 }], annotations: { 'balancer.linkerd.io/failure-accrual': 'consecutive', 'config.nodemesh.io/opaque-ports': '9999' } })}---\n${sliceYaml({ name: 'lb-1', service: 'lb', ports: [{ name: 'http', port: 80 }], endpoints: [{ ip: '10.1.0.7', pod: 'web-a' }] })}`,
    });
    const s = subscribe({ namespace: 'shop', name: 'lb', port: 80 });
    const add = s.updates[0]?.update;
    assert.ok(add?.$case === 'add');
    assert.deepEqual(add.add.balancerAnnotations, { 'balancer.linkerd.io/failure-accrual': 'consecutive' });
    await change({ 'lb.yaml': undefined });
  });

  test('resolves the target port by the Service port name', async () => {
    await change({
      'multi.yaml': `${serviceYaml({
        name: 'multi',
        clusterIP: '10.96.0.14',
        ports: [
          { name: 'http', port: 80, targetPort: 8080 },
          { name: 'admin', port: 9990, targetPort: 9990 },
        ],
      })}---\n${sliceYaml({
        name: 'multi-1',
        service: 'multi',
        ports: [
          { name: 'admin', port: 9990 },
          { name: 'http', port: 8080 },
        ],
        endpoints: [{ ip: '10.1.0.7' }],
      })}`,
    });
    assert.deepEqual(subscribe({ namespace: 'shop', name: 'multi', port: 9990 }).texts(), ['add 10.1.0.7:9990']);
    assert.deepEqual(subscribe({ namespace: 'shop', name: 'multi', port: 80 }).texts(), ['add 10.1.0.7:8080']);
    await change({ 'multi.yaml': undefined });
  });

  test('a later stream on the same Service port starts from what the others hold, then shares their updates', async () => {
    const a = subscribe();
    const web = (ips: string[]): string =>
      `${serviceYaml({ name: 'web' })}---\n${sliceYaml({ name: 'web-1', service: 'web', endpoints: ips.map((ip) => ({ ip })) })}`;
    await change({ 'web.yaml': web(['10.1.0.1', '10.1.0.2']) });
    const b = subscribe();
    assert.deepEqual(b.texts(), ['add 10.1.0.1:8080,10.1.0.2:8080']);
    assert.equal(watcher.targets, 1, 'one publisher for both streams');
    await change({ 'web.yaml': web(['10.1.0.2', '10.1.0.3']) });
    assert.deepEqual(a.texts().slice(-2), ['add 10.1.0.3:8080', 'remove 10.1.0.1:8080']);
    assert.deepEqual(b.texts().slice(1), ['add 10.1.0.3:8080', 'remove 10.1.0.1:8080']);
    assert.equal(a.updates.at(-1), b.updates.at(-1), 'the very same update object');
  });

  test('hears a pod only when an endpoint refers to it, even one that appears after the slice', async () => {
    const s = subscribe();
    await change({
      'web.yaml': `${serviceYaml({ name: 'web' })}---\n${sliceYaml({ name: 'web-1', service: 'web', endpoints: [{ ip: '10.1.0.4', pod: 'web-late' }] })}`,
    });
    const before = s.updates.length;
    await change({ 'other-pod.yaml': podYaml({ name: 'unrelated', meshedBy: 'nodemesh' }) });
    assert.equal(s.updates.length, before, 'a pod no endpoint refers to changes nothing');
    await change({ 'late.yaml': podYaml({ name: 'web-late', serviceAccount: 'web', meshedBy: 'nodemesh' }) });
    const add = s.updates.at(-1)?.update;
    assert.ok(add?.$case === 'add');
    assert.equal(add.add.addrs[0]?.protocolHint?.protocol?.$case, 'h2', 'translated again with its pod');
    await change({ 'other-pod.yaml': undefined, 'late.yaml': undefined });
  });

  test('stops sending after unsubscribe', async () => {
    const updates: Update[] = [];
    const off = watcher.subscribe(WEB, (u) => updates.push(u));
    off();
    await change({ 'web.yaml': undefined });
    assert.equal(updates.length, 1);
  });

  async function readWeb(): Promise<string> {
    const { readFile } = await import('node:fs/promises');
    return readFile(`${folder.dir}/web.yaml`, 'utf8');
  }
});
