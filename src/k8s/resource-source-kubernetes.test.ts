import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { Registry } from '../metrics/index.ts';
import { createLogger } from '../log/index.ts';
import { catchRejection } from '../testing/index.ts';
import { ResourceSyncError } from './resource-errors.ts';
import { kindLister, watchPathOf } from './resource-source-kubernetes-list.ts';
import { KubernetesResourceSource, type KubernetesResourceSourceOptions } from './resource-source-kubernetes.ts';
import { RESOURCE_KIND_NAMES, type CachedObject } from './resource-source.ts';
import { FakeApiServer, type FakeObject } from './testing.ts';

const SERVICES = watchPathOf('Service');
const closers: (() => Promise<unknown>)[] = [];

after(async () => {
  for (const close of closers.reverse()) await close();
});

async function startServer(): Promise<FakeApiServer> {
  const server = new FakeApiServer();
  await server.start();
  closers.push(() => server.close());
  return server;
}

/** Short timings, so that restarts and deadlines happen within a test. */
const FAST: KubernetesResourceSourceOptions = {
  restartBackoff: { minMs: 20, maxMs: 100 },
  listTimeoutMs: 2000,
  syncTimeoutMs: 5000,
  healthCheckIntervalMs: 1000,
  stallTimeoutMs: 60_000,
};

function logLines() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n'))
        if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const log = createLogger({ config: { level: 'info', format: 'json', trace: [] }, name: 'test', destination: stream });
  return { log, lines };
}

/** A source on `server` (not started) that records every event as "verb Kind ns/name". */
function sourceOn(server: FakeApiServer, options: KubernetesResourceSourceOptions = {}, registry?: Registry) {
  const { log, lines } = logLines();
  const source = new KubernetesResourceSource(
    { kubeConfig: server.kubeConfig(), log, ...(registry === undefined ? {} : { registry }) },
    { ...FAST, ...options },
  );
  closers.push(() => source.close());
  const events: string[] = [];
  const label = (o: CachedObject) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`;
  for (const kind of RESOURCE_KIND_NAMES) {
    const cache = source.kind(kind);
    cache.on('add', (o) => events.push(`add ${label(o)}`));
    cache.on('update', (o) => events.push(`update ${label(o)}`));
    cache.on('delete', (o) => events.push(`delete ${label(o)}`));
  }
  return { source, events, lines };
}

/** Polls `condition` every 5 ms for at most `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  for (let waited = 0; waited < timeoutMs; waited += 5) {
    if (condition()) return;
    await sleep(5);
  }
  assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function service(name: string, namespace = 'shop', port = 80): FakeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { ports: [{ port }] } };
}

function portOf(o: CachedObject | undefined): unknown {
  return (o as { spec?: { ports?: { port?: number }[] } } | undefined)?.spec?.ports?.[0]?.port;
}

/** One object of every kind. */
function everyKind(): FakeObject[] {
  return [
    {
      ...service('web'),
      metadata: {
        name: 'web',
        namespace: 'shop',
        creationTimestamp: '2026-01-02T03:04:05Z',
        managedFields: [{ manager: 'kubectl' }],
      },
      spec: { ports: [{ port: 80 }], trafficDistribution: 'PreferClose', aFieldFromTheFuture: true },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-abc', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.1'] }],
    },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'shop' }, status: { podIP: '10.0.0.1' } },
    {
      apiVersion: 'nodemesh.io/v1alpha2',
      kind: 'ServiceProfile',
      metadata: { name: 'web.shop.svc.cluster.local', namespace: 'shop' },
      spec: { routes: [{ name: 'GET /', condition: { method: 'GET' } }] },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'web-split', namespace: 'shop' },
      spec: { parentRefs: [{ kind: 'Service', name: 'web' }] },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GRPCRoute',
      metadata: { name: 'web-grpc', namespace: 'shop' },
      spec: { parentRefs: [{ kind: 'Service', name: 'web' }] },
    },
  ];
}

/** Every request the server has seen on the kinds' collection paths. */
function totalRequests(server: FakeApiServer): number {
  return RESOURCE_KIND_NAMES.reduce((sum, kind) => sum + server.requestCount(watchPathOf(kind)), 0);
}

async function watching(server: FakeApiServer, count = RESOURCE_KIND_NAMES.length): Promise<void> {
  await until(() => server.openWatchCount === count, `${count} open watches`);
}

describe('KubernetesResourceSource against the fake API server', () => {
  test('the first list fills every cache in wire form, marks it synced, and start() resolves', async () => {
    const server = await startServer();
    for (const object of everyKind()) server.add(object);
    const { source, events } = sourceOn(server);
    assert.equal(source.synced, false);
    await source.start();
    assert.equal(source.synced, true);
    assert.ok(RESOURCE_KIND_NAMES.every((kind) => source.kind(kind).synced));
    assert.deepEqual(events.toSorted(), [
      'add EndpointSlice shop/web-abc',
      'add GRPCRoute shop/web-grpc',
      'add HTTPRoute shop/web-split',
      'add Pod shop/web-1',
      'add Service shop/web',
      'add ServiceProfile shop/web.shop.svc.cluster.local',
    ]);

    const web = source.kind('Service').get('shop', 'web');
    assert.equal(web?.metadata.creationTimestamp, '2026-01-02T03:04:05Z', 'a timestamp stays a string');
    assert.equal(
      (web?.spec as Record<string, unknown> | undefined)?.['aFieldFromTheFuture'],
      true,
      'unknown fields kept',
    );
    assert.equal(web?.metadata.managedFields, undefined, 'managedFields dropped');
    assert.deepEqual([web?.apiVersion, web?.kind], ['v1', 'Service']);
    assert.ok(Object.isFrozen(web?.spec?.ports?.[0]));
    assert.deepEqual(source.kind('EndpointSlice').get('shop', 'web-abc')?.endpoints?.[0]?.addresses, ['10.0.0.1']);
    assert.equal(source.kind('Pod').list('shop')[0]?.status?.podIP, '10.0.0.1');
    assert.deepEqual(source.kind('HTTPRoute').get('shop', 'web-split')?.spec?.['parentRefs'], [
      { kind: 'Service', name: 'web' },
    ]);
    assert.equal(source.kind('Service').list('elsewhere').length, 0);
    assert.equal(source.start(), source.start(), 'start() twice is the same start');
  });

  test('lists a kind in pages, caches every page, and watches from the list’s resourceVersion', async () => {
    const server = await startServer();
    for (let i = 0; i < 7; i++) server.add(service(`web-${i}`));
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-0', namespace: 'shop' },
      spec: { serviceAccountName: 'web', containers: [{ name: 'app', image: 'app' }] },
      status: { podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] },
    };
    server.add(pod);
    const { source, events } = sourceOn(server, { listPageSize: 3 });
    await source.start();
    assert.equal(source.kind('Service').list('shop').length, 7);
    assert.equal(server.requestCount(SERVICES, 'list'), 3, 'pages of 3, 3 and 1');
    const cached = source.kind('Pod').get('shop', 'web-0');
    assert.deepEqual([cached?.spec, cached?.status], [{ serviceAccountName: 'web' }, { podIP: '10.0.0.1' }], 'pruned');
    await watching(server);
    server.add(service('web-7'));
    await until(() => events.includes('add Service shop/web-7'), 'the add after the paged list');
    assert.equal(events.filter((e) => e.startsWith('add Service')).length, 8, 'nothing listed twice');
  });

  test('the lister prunes each page as it arrives, before the pages are joined', async () => {
    const server = await startServer();
    for (let i = 0; i < 5; i++) {
      server.add({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `web-${i}`, namespace: 'shop', managedFields: [{ manager: 'kubelet' }] },
        spec: { serviceAccountName: 'web', containers: [{ name: 'app', image: 'app' }] },
        status: { podIP: `10.0.0.${i}`, conditions: [{ type: 'Ready', status: 'True' }] },
      });
    }
    const list = await kindLister(server.kubeConfig(), 'Pod', 10_000, 2)();
    assert.equal(list.items.length, 5);
    for (const item of list.items) {
      const pod = item as { metadata: Record<string, unknown>; spec: unknown; status: { podIP?: string } };
      assert.equal(pod.metadata['managedFields'], undefined);
      assert.deepEqual(pod.spec, { serviceAccountName: 'web' });
      assert.deepEqual(Object.keys(pod.status), ['podIP']);
    }
  });

  test('add, update and delete arrive once each, in order', async () => {
    const server = await startServer();
    server.add(service('web'));
    const { source, events } = sourceOn(server);
    await source.start();
    await watching(server);
    events.length = 0;

    server.add(service('api'));
    server.update(service('web', 'shop', 8080));
    server.remove(service('api'));
    server.add(everyKind()[4] as FakeObject);
    await until(() => events.length === 4, 'four events');
    await sleep(50);
    // Each kind has its own watch: order holds within a kind, not across kinds.
    assert.deepEqual(
      events.filter((e) => e.includes(' Service ')),
      ['add Service shop/api', 'update Service shop/web', 'delete Service shop/api'],
    );
    assert.deepEqual(
      events.filter((e) => !e.includes(' Service ')),
      ['add HTTPRoute shop/web-split'],
    );
    assert.equal(portOf(source.kind('Service').get('shop', 'web')), 8080);
    assert.equal(source.kind('Service').get('shop', 'api'), undefined);
  });

  test('a cleanly closed watch is re-watched from the last resourceVersion, without a relist', async () => {
    const server = await startServer();
    server.add(service('web'));
    const { source, events } = sourceOn(server);
    await source.start();
    await watching(server);
    events.length = 0;

    server.closeWatches();
    server.add(service('api'));
    await until(() => events.length === 1, 'the add after the re-watch');
    assert.deepEqual(events, ['add Service shop/api']);
    assert.equal(server.requestCount(SERVICES, 'list'), 1);
    assert.ok(server.requestCount(SERVICES, 'watch') >= 2);
    assert.deepEqual(source.restarts()['Service'], 0);
  });

  for (const answer of ['error-event', 'http-status'] as const) {
    test(`410 Gone (${answer}) relists and deletes, once, what vanished meanwhile`, async () => {
      const server = await startServer();
      server.add(service('web'));
      server.add(service('api'));
      const { source, events } = sourceOn(server);
      await source.start();
      await watching(server);
      events.length = 0;

      server.expireResourceVersions({ answer });
      server.remove(service('api'), { notifyWatches: false });
      server.update(service('web', 'shop', 81), { notifyWatches: false });
      server.closeWatches();
      await until(() => server.requestCount(SERVICES, 'list') === 2, 'the relist');
      await until(() => events.length === 2, 'the delete and the update');
      await sleep(50);
      assert.deepEqual(events, ['update Service shop/web', 'delete Service shop/api']);
      assert.deepEqual(
        source
          .kind('Service')
          .list()
          .map((s) => s.metadata.name),
        ['web'],
      );
    });
  }

  for (const failure of [500, 'drop'] as const) {
    test(`a failed watch (${failure}) stops the informer; the backoff restarts it and changes made meanwhile arrive`, async () => {
      const server = await startServer();
      server.add(service('web'));
      const registry = new Registry();
      const { source, events, lines } = sourceOn(server, {}, registry);
      await source.start();
      await watching(server);
      events.length = 0;

      server.failNext(SERVICES, failure, { verb: 'watch', times: 2 });
      server.closeWatches();
      server.add(service('late'));
      server.update(service('web', 'shop', 82));
      await until(() => events.length === 2, 'the changes made while the watch failed');
      assert.deepEqual(events, ['add Service shop/late', 'update Service shop/web']);
      assert.equal(source.restarts()['Service'], 2);
      assert.equal(server.requestCount(SERVICES, 'list'), 1, 'the restart resumed the watch: no relist');

      const warnings = lines.filter((l) => l['msg'] === 'resource informer stopped; restarting it after a backoff');
      assert.equal(warnings.length, 2);
      const err = warnings[0]?.['err'] as { code?: string; message?: string } | undefined;
      assert.equal(err?.code, 'MESH_ERR_K8S_API');
      assert.match(err?.message ?? '', failure === 500 ? /HTTP 500/ : /got no answer/);
      assert.equal(warnings[0]?.['kind'], 'Service');

      const text = await registry.metrics();
      assert.match(text, /resource_source_restarts_total\{kind="Service",reason="error"\} 2/);
      assert.match(text, /resource_source_synced\{kind="Service"\} 1/);
      assert.match(text, /resource_source_objects\{kind="Service"\} 2/);
    });
  }

  test('a list that fails at start is retried with backoff, and start() waits for it', async () => {
    const server = await startServer();
    server.add(service('web'));
    server.failNext(SERVICES, 503, { verb: 'list', times: 2 });
    const { source, events } = sourceOn(server);
    await source.start();
    assert.deepEqual(events, ['add Service shop/web']);
    assert.equal(server.requestCount(SERVICES, 'list'), 3);
    assert.equal(source.restarts()['Service'], 2);
  });

  test('a silent informer is replaced after the stall timeout, and its relist brings what it missed', async () => {
    const server = await startServer();
    server.add(service('web'));
    const { source, events, lines } = sourceOn(server, {
      kinds: ['Service'],
      stallTimeoutMs: 300,
      healthCheckIntervalMs: 50,
    });
    await source.start();
    await watching(server, 1);
    events.length = 0;

    server.update(service('web', 'shop', 83), { notifyWatches: false });
    await until(() => events.length === 1, 'the update found by the relist', 3000);
    assert.deepEqual(events, ['update Service shop/web']);
    assert.ok(server.requestCount(SERVICES, 'list') >= 2);
    assert.ok((source.restarts()['Service'] ?? 0) >= 1);
    assert.ok(lines.some((l) => l['msg'] === 'resource informer heard nothing for too long; replacing it (relist)'));
    await until(() => server.openWatchCount === 1, 'the stalled watch closed, the new one open');
  });

  test('close() stops for good: no request afterwards, even with a restart pending', async () => {
    const server = await startServer();
    server.add(service('web'));
    const { source, events } = sourceOn(server, { restartBackoff: { minMs: 200, maxMs: 200 } });
    await source.start();
    await watching(server);

    server.failNext(SERVICES, 500, { verb: 'watch', times: 100 });
    server.closeWatches();
    await until(() => source.restarts()['Service'] === 1, 'the failed re-watch');
    await source.close();
    await until(() => server.openWatchCount === 0, 'every watch closed');
    const requests = totalRequests(server);
    events.length = 0;
    server.add(service('after'));
    await sleep(400);
    assert.equal(totalRequests(server), requests, 'no request after close()');
    assert.deepEqual(events, []);
    await source.close();
  });

  test('close() while the informers re-watch after a clean close sends nothing more', async () => {
    const server = await startServer();
    const { source } = sourceOn(server);
    await source.start();
    await watching(server);
    server.closeWatches();
    await source.close();
    await until(() => server.openWatchCount === 0, 'the re-watches aborted', 500);
    const requests = totalRequests(server);
    await sleep(1200); // client-node's own reconnect delay is 1 s after a second clean close
    assert.equal(totalRequests(server), requests);
    assert.equal(server.openWatchCount, 0);
  });

  test('start() rejects with ResourceSyncError naming a kind that cannot be listed (a missing CRD)', async () => {
    const server = await startServer();
    server.failNext(watchPathOf('HTTPRoute'), 404, { verb: 'list', times: 1000 });
    const { source, lines } = sourceOn(server, { syncTimeoutMs: 300 });
    const err = await catchRejection(() => source.start(), ResourceSyncError);
    assert.equal(err.code, 'MESH_ERR_RESOURCE_SYNC');
    assert.deepEqual(err.kinds, ['HTTPRoute']);
    assert.match(err.message, /HTTPRoute \(Kubernetes API list\/watch HTTPRoute failed with HTTP 404/);
    assert.equal(source.kind('Service').synced, true);
    assert.equal(source.synced, false);
    assert.ok(lines.some((l) => /is its CRD installed\?/.test(String(l['hint']))));
  });

  test('kinds left out are not watched, and their empty caches count as synced', async () => {
    const server = await startServer();
    server.add(service('web'));
    const { source } = sourceOn(server, { kinds: ['Service', 'EndpointSlice', 'Pod', 'ServiceProfile'] });
    await source.start();
    assert.equal(source.synced, true);
    assert.equal(source.kind('HTTPRoute').synced, true);
    assert.equal(server.requestCount(watchPathOf('HTTPRoute')), 0);
    assert.equal(server.requestCount(watchPathOf('GRPCRoute')), 0);
  });

  test('a handler that throws is logged; the other handlers and the informer go on', async () => {
    const server = await startServer();
    const { source, events, lines } = sourceOn(server, { kinds: ['Service'] });
    source.kind('Service').on('add', () => {
      throw new Error('handler bug');
    });
    await source.start();
    await watching(server, 1);
    server.add(service('a'));
    server.add(service('b'));
    await until(() => events.length === 2, 'both adds');
    assert.equal(lines.filter((l) => l['msg'] === 'a resource handler threw').length, 2);
  });
});
