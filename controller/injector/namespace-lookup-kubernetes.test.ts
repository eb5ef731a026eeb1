import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { KubernetesApiError } from '../../src/k8s/errors.ts';
import { FakeApiServer } from '../../src/k8s/testing.ts';
import { FakeClock, catchRejection } from '../../src/testing/index.ts';
import { kubernetesNamespaceLookup } from './namespace-lookup-kubernetes.ts';

const server = new FakeApiServer();
after(() => server.close());

test('namespace labels and annotations are read once per TTL, missing ones are empty, failures are not cached', async () => {
  await server.start();
  server.add({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: 'shop',
      labels: { 'nodemesh.io/inject': 'enabled' },
      annotations: { 'config.nodemesh.io/proxy-log-level': 'debug' },
    },
  });
  const clock = new FakeClock();
  const lookup = kubernetesNamespaceLookup(server.kubeConfig(), { ttlMs: 5_000, clock });
  const path = '/api/v1/namespaces/shop';

  const [a, b] = await Promise.all([lookup('shop'), lookup('shop')]);
  assert.deepEqual(a, {
    labels: { 'nodemesh.io/inject': 'enabled' },
    annotations: { 'config.nodemesh.io/proxy-log-level': 'debug' },
  });
  assert.equal(b, a);
  assert.equal(server.requestCount(path, 'get'), 1, 'concurrent lookups share one GET');
  await clock.advance(4_000);
  await lookup('shop');
  assert.equal(server.requestCount(path, 'get'), 1, 'cached within the TTL');
  await clock.advance(2_000);
  await lookup('shop');
  assert.equal(server.requestCount(path, 'get'), 2, 'read again after the TTL');

  assert.deepEqual(await lookup('nowhere'), { labels: {}, annotations: {} });

  await clock.advance(10_000);
  server.failNext(path, 500);
  const err = await catchRejection(() => lookup('shop'), KubernetesApiError);
  assert.equal(err.status, 500);
  assert.match(err.message, /get Namespace shop/);
  assert.equal((await lookup('shop')).labels['nodemesh.io/inject'], 'enabled', 'the failure was not cached');
});
