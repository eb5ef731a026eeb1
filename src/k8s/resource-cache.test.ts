import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ResourceStore, freezeObject } from './resource-cache.ts';
import type { CachedObject } from './resource-source.ts';

function svc(name: string, namespace = 'shop', extra: Record<string, unknown> = {}): CachedObject {
  return freezeObject({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, ...extra } });
}

function recordingStore() {
  const thrown: unknown[] = [];
  const store = new ResourceStore<CachedObject>({ onHandlerError: (err) => thrown.push(err) });
  const heard: string[] = [];
  const label = (o: CachedObject, p?: CachedObject) =>
    `${o.metadata.namespace}/${o.metadata.name}${o.metadata.resourceVersion === undefined ? '' : `@${o.metadata.resourceVersion}`}` +
    (p?.metadata.resourceVersion === undefined ? '' : ` (was @${p.metadata.resourceVersion})`);
  store.on('add', (o) => heard.push(`add ${label(o)}`));
  store.on('update', (o, p) => heard.push(`update ${label(o, p)}`));
  store.on('delete', (o) => heard.push(`delete ${label(o)}`));
  return { store, heard, thrown };
}

describe('ResourceStore', () => {
  test('sends one event per real change and none for the same resourceVersion', () => {
    const { store, heard } = recordingStore();
    assert.equal(store.apply(svc('web', 'shop', { resourceVersion: '1' })), 'add');
    assert.equal(store.apply(svc('web', 'shop', { resourceVersion: '1' })), 'unchanged');
    assert.equal(store.apply(svc('web', 'shop', { resourceVersion: '2' })), 'update');
    assert.equal(store.delete(svc('web')), true);
    assert.equal(store.delete(svc('web')), false);
    assert.deepEqual(heard, ['add shop/web@1', 'update shop/web@2 (was @1)', 'delete shop/web@2']);
  });

  test('without resourceVersions, compares content', () => {
    const { store, heard } = recordingStore();
    store.apply(svc('web', 'shop', { labels: { a: '1' } }));
    assert.equal(store.apply(svc('web', 'shop', { labels: { a: '1' } })), 'unchanged');
    assert.equal(store.apply(svc('web', 'shop', { labels: { a: '2' } })), 'update');
    assert.deepEqual(heard, ['add shop/web', 'update shop/web']);
  });

  test('replaceAll adds, updates and deletes what is gone, and lists by namespace', () => {
    const { store, heard } = recordingStore();
    store.replaceAll([svc('web', 'shop', { resourceVersion: '1' }), svc('db', 'data', { resourceVersion: '2' })]);
    const changed = store.replaceAll([
      svc('web', 'shop', { resourceVersion: '3' }),
      svc('api', 'shop', { resourceVersion: '4' }),
    ]);
    assert.equal(changed, 3);
    assert.deepEqual(heard, [
      'add shop/web@1',
      'add data/db@2',
      'update shop/web@3 (was @1)',
      'add shop/api@4',
      'delete data/db@2',
    ]);
    assert.deepEqual(
      store.list('shop').map((o) => o.metadata.name),
      ['web', 'api'],
    );
    assert.deepEqual(store.list('data'), []);
    assert.equal(store.list().length, 2);
    assert.equal(store.size, 2);
    assert.equal(store.get('shop', 'api')?.metadata.resourceVersion, '4');
    assert.equal(store.get('data', 'db'), undefined);
  });

  test('a throwing handler is reported and the others still run; off() stops a handler', () => {
    const { store, heard, thrown } = recordingStore();
    const off = store.on('add', () => {
      throw new Error('boom');
    });
    store.apply(svc('a'));
    off();
    store.apply(svc('b'));
    assert.deepEqual(heard, ['add shop/a', 'add shop/b']);
    assert.deepEqual(
      thrown.map((e) => (e as Error).message),
      ['boom'],
    );
  });

  test('freezeObject freezes deeply', () => {
    const o = freezeObject({ a: { b: [{ c: 1 }] } });
    assert.ok(Object.isFrozen(o.a.b[0]));
    assert.throws(() => {
      (o.a.b as { c: number }[]).push({ c: 2 });
    }, TypeError);
  });
});
