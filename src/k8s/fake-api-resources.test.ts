import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileSelector, parseResourcePath, type ResourcePath } from './fake-api-resources.ts';
import { FakeObjectStore } from './fake-api-store.ts';

describe('parseResourcePath', () => {
  const cases: [string, string, Partial<ResourcePath> | undefined][] = [
    [
      'a namespaced core list',
      '/api/v1/namespaces/shop/services',
      { group: '', plural: 'services', namespace: 'shop' },
    ],
    ['a cluster-wide core list', '/api/v1/services', { group: '', plural: 'services', namespace: undefined }],
    ['a namespaced object', '/api/v1/namespaces/shop/services/web', { plural: 'services', name: 'web' }],
    ['the namespace list', '/api/v1/namespaces', { plural: 'namespaces', name: undefined }],
    ['one namespace', '/api/v1/namespaces/shop', { plural: 'namespaces', name: 'shop' }],
    [
      'a grouped namespaced list',
      '/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices',
      { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespace: 'shop' },
    ],
    [
      'a custom resource across namespaces',
      '/apis/nodemesh.io/v1alpha2/serviceprofiles',
      { group: 'nodemesh.io', version: 'v1alpha2', namespace: undefined },
    ],
    ['a subresource is not served', '/api/v1/namespaces/shop/pods/web/status', undefined],
    ['a non-API path', '/healthz', undefined],
    ['a group without a version', '/apis/nodemesh.io', undefined],
  ];
  for (const [name, path, expected] of cases) {
    test(`${name}: ${path}`, () => {
      const parsed = parseResourcePath(path);
      if (expected === undefined) assert.equal(parsed, undefined);
      else assert.deepEqual(parsed && pick(parsed, Object.keys(expected) as (keyof ResourcePath)[]), expected);
    });
  }
});

function pick(path: ResourcePath, keys: (keyof ResourcePath)[]): Partial<ResourcePath> {
  return Object.fromEntries(keys.map((k) => [k, path[k]]));
}

describe('compileSelector', () => {
  const labels = { app: 'web', tier: 'front' };
  const cases: [string, string | null, boolean][] = [
    ['no selector selects everything', null, true],
    ['an equality that holds', 'app=web', true],
    ['a double-equals equality', 'app==web', true],
    ['an equality that fails', 'app=api', false],
    ['an inequality on a missing key holds', 'zone!=a', true],
    ['an existence test', 'tier', true],
    ['an absence test that fails', '!tier', false],
    ['all terms must hold', 'app=web,tier=back', false],
  ];
  for (const [name, selector, expected] of cases) {
    test(name, () => assert.equal(compileSelector(selector)(labels), expected));
  }

  test('refuses set-based selectors and fields it does not know', () => {
    assert.throws(() => compileSelector('app in (web,api)'), /not supported/);
    assert.throws(() => compileSelector('spec.nodeName=a', ['metadata.name']), /spec.nodeName/);
  });
});

describe('FakeObjectStore', () => {
  const svc = (name: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop' } });

  test('gives every change the next resourceVersion across resources', () => {
    const store = new FakeObjectStore();
    assert.equal(store.add(svc('a')).metadata.resourceVersion, '1');
    assert.equal(
      store.add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }).metadata.resourceVersion,
      '2',
    );
    assert.equal(store.update(svc('a')).metadata.resourceVersion, '3');
    assert.equal(store.remove(svc('a')).metadata.resourceVersion, '4');
    assert.equal(store.resourceVersion, 4);
  });

  test('expiring makes old resourceVersions too old but keeps the current one valid', () => {
    const store = new FakeObjectStore();
    store.add(svc('a'));
    store.expire();
    assert.equal(store.isExpired(1), true);
    assert.equal(store.isExpired(store.resourceVersion), false);
  });

  test('a full log expires its oldest half', () => {
    const store = new FakeObjectStore({ maxEvents: 4 });
    for (let i = 0; i < 5; i++) store.add(svc(`s${i}`));
    assert.equal(store.isExpired(2), true);
    assert.equal(store.isExpired(3), false);
  });

  const mistakes: [string, () => void, RegExp][] = [
    [
      'adding twice',
      () => {
        const s = new FakeObjectStore();
        s.add(svc('a'));
        s.add(svc('a'));
      },
      /already exists/,
    ],
    ['updating what is missing', () => new FakeObjectStore().update(svc('a')), /does not exist/],
    [
      'an unknown kind',
      () => new FakeObjectStore().add({ apiVersion: 'x.io/v1', kind: 'Thing', metadata: { name: 'a' } }),
      /registerResource/,
    ],
    [
      'a namespaced kind without a namespace',
      () => new FakeObjectStore().add({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' } }),
      /needs metadata.namespace/,
    ],
  ];
  for (const [name, fn, message] of mistakes) {
    test(`refuses ${name} with a message that says what to do`, () => assert.throws(fn, message));
  }
});
