import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConflistError, addPlugin, hasPlugin, pickConfigFile, removePlugin } from './conflist.ts';

const OURS = { type: 'nodemesh-cni', name: 'nodemesh-cni', nodemesh: { 'proxy-uid': 2102 } };
const CALICO = JSON.stringify({
  cniVersion: '1.0.0',
  name: 'k8s-pod-network',
  plugins: [
    { type: 'calico', ipam: { type: 'calico-ipam' } },
    { type: 'portmap', capabilities: { portMappings: true } },
  ],
});

describe('the node network configuration', () => {
  test('the runtime’s file is the first .conflist/.conf/.json in name order, ours and hidden files aside', () => {
    assert.equal(pickConfigFile(['20-b.conflist', '10-a.conf', 'README', '.10-a.conflist.tmp']), '10-a.conf');
    assert.equal(
      pickConfigFile(['ZZZ-nodemesh-cni-kubeconfig', '99-x.json'], ['ZZZ-nodemesh-cni-kubeconfig']),
      '99-x.json',
    );
    assert.equal(pickConfigFile(['notes.txt']), undefined);
  });

  test('our entry goes last in the chain, once; adding again changes nothing', () => {
    const first = addPlugin('10-calico.conflist', CALICO, OURS);
    assert.equal(first.changed, true);
    const doc = JSON.parse(first.text) as { name: string; plugins: { type: string }[] };
    assert.deepEqual(
      doc.plugins.map((p) => p.type),
      ['calico', 'portmap', 'nodemesh-cni'],
    );
    assert.equal(doc.name, 'k8s-pod-network');
    const second = addPlugin('10-calico.conflist', first.text, OURS);
    assert.equal(second.changed, false);
    assert.equal(second.text, first.text);
    assert.ok(hasPlugin('10-calico.conflist', first.text, 'nodemesh-cni'));
  });

  test('an outdated or misplaced entry is replaced by the current one at the end', () => {
    const stale = JSON.stringify({
      cniVersion: '1.0.0',
      name: 'n',
      plugins: [{ type: 'nodemesh-cni', old: true }, { type: 'calico' }],
    });
    const edited = addPlugin('10-x.conflist', stale, OURS);
    assert.equal(edited.changed, true);
    assert.deepEqual((JSON.parse(edited.text) as { plugins: unknown[] }).plugins, [{ type: 'calico' }, OURS]);
  });

  test('a single-plugin .conf becomes a .conflist holding it first', () => {
    const conf = JSON.stringify({ cniVersion: '0.4.0', name: 'bridge-net', type: 'bridge', bridge: 'cni0' });
    const edited = addPlugin('10-bridge.conf', conf, OURS);
    assert.equal(edited.fileName, '10-bridge.conflist');
    assert.deepEqual(JSON.parse(edited.text), {
      cniVersion: '0.4.0',
      name: 'bridge-net',
      plugins: [{ type: 'bridge', bridge: 'cni0' }, OURS],
    });
  });

  test('removing takes out only our entry', () => {
    const added = addPlugin('10-calico.conflist', CALICO, OURS).text;
    const removed = removePlugin('10-calico.conflist', added, 'nodemesh-cni');
    assert.equal(removed.changed, true);
    assert.deepEqual(JSON.parse(removed.text), JSON.parse(CALICO));
    assert.equal(removePlugin('10-calico.conflist', CALICO, 'nodemesh-cni').changed, false);
  });

  test('a file that is not a network configuration is an error naming it', () => {
    assert.throws(
      () => addPlugin('10-x.conflist', '{"name": 1', OURS),
      (e: unknown) => e instanceof ConflistError && /10-x\.conflist is not JSON/.test(e.message),
    );
    assert.throws(() => addPlugin('10-x.conflist', '{"name": "n"}', OURS), /neither "plugins" nor "type"/);
  });
});
