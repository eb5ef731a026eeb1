import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  Watch,
  makeInformer,
  type KubernetesObject,
  type V1Service,
} from '@kubernetes/client-node';
import { catchRejection } from '../testing/index.ts';
import { ACCESS_REVIEW_PATH, FakeApiServer, TOKEN_REVIEW_PATH, type FakeObject } from './testing.ts';
import { KubernetesApiError, kubernetesApiError } from './errors.ts';

const SERVICES = '/api/v1/namespaces/shop/services';
const closers: (() => Promise<unknown>)[] = [];

after(async () => {
  for (const close of closers.reverse()) await close();
});

async function startServer(options?: ConstructorParameters<typeof FakeApiServer>[0]): Promise<FakeApiServer> {
  const server = new FakeApiServer(options);
  await server.start();
  closers.push(() => server.close());
  return server;
}

function service(name: string, namespace = 'shop', port = 80): FakeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { app: name } },
    spec: { ports: [{ port }] },
  };
}

/** Polls `condition` every 5 ms for at most `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  for (let waited = 0; waited < timeoutMs; waited += 5) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** A started informer on the shop services that records what it hears as "verb name@port". */
async function serviceInformer(server: FakeApiServer, path = SERVICES) {
  const kc = server.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const list =
    path === SERVICES
      ? () => core.listNamespacedService({ namespace: 'shop' })
      : () => core.listServiceForAllNamespaces();
  const informer = makeInformer<V1Service>(kc, path, list);
  const seen: string[] = [];
  const errors: unknown[] = [];
  const describe = (verb: string) => (s: V1Service) =>
    seen.push(`${verb} ${s.metadata?.namespace}/${s.metadata?.name}@${s.spec?.ports?.[0]?.port}`);
  informer.on('add', describe('add'));
  informer.on('update', describe('update'));
  informer.on('delete', describe('delete'));
  informer.on('error', (err) => errors.push(err));
  let stopped = false;
  const stop = async () => {
    if (!stopped) await informer.stop();
    stopped = true;
  };
  closers.push(stop);
  await informer.start();
  return { informer, seen, errors, stop };
}

describe('FakeApiServer with the client-node informer', () => {
  test('list and watch deliver add, update and delete', async () => {
    const server = await startServer();
    server.add(service('web'));
    server.add(service('other', 'elsewhere'));
    const { seen, informer, stop } = await serviceInformer(server);
    await until(() => server.openWatchCount === 1, 'the watch');
    assert.deepEqual(seen, ['add shop/web@80']);
    assert.deepEqual(
      informer.list('shop').map((s) => s.metadata?.resourceVersion),
      ['1'],
    );

    server.add(service('api'));
    server.update(service('web', 'shop', 8080));
    server.remove(service('api'));
    await until(() => seen.length === 4, 'three watch events');
    assert.deepEqual(seen, ['add shop/web@80', 'add shop/api@80', 'update shop/web@8080', 'delete shop/api@80']);
    assert.equal(server.requestCount(SERVICES, 'list'), 1);
    assert.equal(server.requestCount(SERVICES, 'watch'), 1);
    await stop();
  });

  test('a cleanly closed watch is re-watched from the last resourceVersion without a relist', async () => {
    const server = await startServer();
    server.add(service('web'));
    const { seen, stop } = await serviceInformer(server);
    await until(() => server.openWatchCount === 1, 'the watch');

    assert.equal(server.closeWatches(), 1);
    await until(() => server.requestCount(SERVICES, 'watch') === 2 && server.openWatchCount === 1, 'the re-watch');
    server.add(service('api'));
    await until(() => seen.length === 2, 'the event after the re-watch');
    assert.deepEqual(seen, ['add shop/web@80', 'add shop/api@80']);
    assert.equal(server.requestCount(SERVICES, 'list'), 1);
    await stop();
  });

  test('changes made while the watch was closed are replayed from the log', async () => {
    const server = await startServer();
    server.add(service('web'));
    const { seen, stop } = await serviceInformer(server);
    await until(() => server.openWatchCount === 1, 'the watch');

    server.update(service('web', 'shop', 9090), { notifyWatches: false });
    assert.deepEqual(seen, ['add shop/web@80']);
    server.closeWatches();
    await until(() => seen.length === 2, 'the replayed update');
    assert.deepEqual(seen, ['add shop/web@80', 'update shop/web@9090']);
    assert.equal(server.requestCount(SERVICES, 'list'), 1);
    await stop();
  });

  for (const answer of ['error-event', 'http-status'] as const) {
    test(`an expired resourceVersion (410 as ${answer}) makes the informer relist and delete what is gone`, async () => {
      const server = await startServer();
      server.add(service('web'));
      server.add(service('api'));
      const { seen, stop } = await serviceInformer(server);
      await until(() => server.openWatchCount === 1, 'the watch');

      server.expireResourceVersions({ answer });
      server.remove(service('api'), { notifyWatches: false });
      server.closeWatches();
      await until(() => server.requestCount(SERVICES, 'list') === 2, 'the relist');
      await until(() => seen.length === 3, 'the delete found by the relist');
      assert.deepEqual(seen, ['add shop/api@80', 'add shop/web@80', 'delete shop/api@80']);
      assert.ok(server.requestCount(SERVICES, 'watch') >= 2);
      await stop();
    });
  }

  test('a cluster-wide path sees every namespace', async () => {
    const server = await startServer();
    server.add(service('web'));
    server.add(service('db', 'data'));
    const { seen, stop } = await serviceInformer(server, '/api/v1/services');
    await until(() => server.openWatchCount === 1, 'the watch');
    server.add(service('cache', 'data'));
    await until(() => seen.length === 3, 'three adds');
    assert.deepEqual(seen, ['add data/db@80', 'add shop/web@80', 'add data/cache@80']);
    await stop();
  });

  for (const failure of [500, 'drop'] as const) {
    test(`a list that fails (${failure}) is reported, and start() afterwards recovers`, async () => {
      const server = await startServer();
      server.add(service('web'));
      server.failNext(SERVICES, failure, { verb: 'list' });
      const { seen, errors, informer, stop } = await serviceInformer(server);
      await until(() => errors.length === 1, 'the error');
      assert.deepEqual(seen, []);

      await informer.start();
      await until(() => seen.length === 1, 'the add after restart');
      assert.equal(server.requestCount(SERVICES, 'list'), 2);
      await stop();
    });
  }
});

describe('FakeApiServer watch details', () => {
  test('bookmarks reach only the watches that allowed them, at the latest resourceVersion', async () => {
    const server = await startServer();
    server.add(service('web'));
    const watch = new Watch(server.kubeConfig());
    const heard: string[][] = [[], []];
    const open = (index: number, query: Record<string, unknown>) =>
      watch.watch(
        SERVICES,
        { resourceVersion: server.resourceVersion, ...query },
        (type: string, object: KubernetesObject) => heard[index]?.push(`${type} ${object.metadata?.resourceVersion}`),
        () => undefined,
      );
    const controllers = [await open(0, { allowWatchBookmarks: true }), await open(1, {})];
    closers.push(() => {
      for (const c of controllers) c.abort();
      return Promise.resolve();
    });
    await until(() => server.openWatchCount === 2, 'both watches');

    server.add(service('api'));
    assert.equal(server.sendBookmark(), 1);
    await until(() => heard[0]?.length === 2 && heard[1]?.length === 1, 'the events');
    assert.deepEqual(heard, [['ADDED 2', 'BOOKMARK 2'], ['ADDED 2']]);
  });

  test('a watch from no resourceVersion starts with the current objects, and a label selector filters', async () => {
    const server = await startServer();
    server.add(service('web'));
    server.add(service('api'));
    const heard: string[] = [];
    const controller = await new Watch(server.kubeConfig()).watch(
      SERVICES,
      { labelSelector: 'app=web' },
      (type: string, object: KubernetesObject) => heard.push(`${type} ${object.metadata?.name}`),
      () => undefined,
    );
    closers.push(() => {
      controller.abort();
      return Promise.resolve();
    });
    await until(() => heard.length === 1, 'the initial ADDED');
    server.update({ ...service('api'), metadata: { name: 'api', namespace: 'shop', labels: { app: 'web' } } });
    server.update(service('web', 'shop', 81));
    server.update({ ...service('web'), metadata: { name: 'web', namespace: 'shop', labels: { app: 'gone' } } });
    await until(() => heard.length === 4, 'the filtered events');
    assert.deepEqual(heard, ['ADDED web', 'ADDED api', 'MODIFIED web', 'DELETED web']);
  });

  test('a failed watch (500) is reported to the Watch done callback with its status', async () => {
    const server = await startServer();
    server.failNext(SERVICES, 500, { verb: 'watch' });
    const done = Promise.withResolvers<unknown>();
    await new Watch(server.kubeConfig()).watch(
      SERVICES,
      {},
      () => undefined,
      (err) => done.resolve(err),
    );
    const err = (await done.promise) as { statusCode?: number };
    assert.equal(err.statusCode, 500);
    assert.equal(server.requestCount(SERVICES, 'watch'), 1);
  });
});

describe('FakeApiServer typed APIs', () => {
  test('typed lists and gets work for core, discovery and custom resources', async () => {
    const server = await startServer();
    server.add(service('web'));
    server.add({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-abc', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.1'] }],
    });
    server.add({
      apiVersion: 'nodemesh.io/v1alpha2',
      kind: 'ServiceProfile',
      metadata: { name: 'web.shop.svc.cluster.local', namespace: 'shop' },
      spec: { routes: [] },
    });
    const kc = server.kubeConfig();

    const services = await kc.makeApiClient(CoreV1Api).listNamespacedService({ namespace: 'shop' });
    assert.equal(services.kind, 'ServiceList');
    assert.deepEqual(
      services.items.map((s) => s.metadata?.name),
      ['web'],
    );
    assert.equal(services.metadata?.resourceVersion, '3');

    const web = await kc.makeApiClient(CoreV1Api).readNamespacedService({ namespace: 'shop', name: 'web' });
    assert.equal(web.metadata?.resourceVersion, '1');

    const slices = await kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({
      namespace: 'shop',
      labelSelector: 'kubernetes.io/service-name=web',
    });
    assert.deepEqual(
      slices.items.map((s) => s.endpoints?.[0]?.addresses),
      [['10.0.0.1']],
    );

    const profiles = (await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
      group: 'nodemesh.io',
      version: 'v1alpha2',
      namespace: 'shop',
      plural: 'serviceprofiles',
    })) as { kind: string; items: FakeObject[] };
    assert.equal(profiles.kind, 'ServiceProfileList');
    assert.deepEqual(
      profiles.items.map((p) => p.metadata.name),
      ['web.shop.svc.cluster.local'],
    );
  });

  const failures: [string, (server: FakeApiServer) => Promise<unknown>, number][] = [
    [
      'an unknown resource answers 404',
      (s) => s.kubeConfig().makeApiClient(CoreV1Api).listNamespacedLimitRange({ namespace: 'shop' }),
      404,
    ],
    [
      'a missing object answers 404',
      (s) => s.kubeConfig().makeApiClient(CoreV1Api).readNamespacedService({ namespace: 'shop', name: 'nope' }),
      404,
    ],
    [
      'a wrong bearer token answers 401',
      (s) =>
        s.kubeConfig({ bearerToken: 'wrong' }).makeApiClient(CoreV1Api).listNamespacedService({ namespace: 'shop' }),
      401,
    ],
    [
      'a delete answers 405',
      (s) => s.kubeConfig().makeApiClient(CoreV1Api).deleteNamespacedService({ namespace: 'shop', name: 'web' }),
      405,
    ],
  ];
  for (const [name, call, status] of failures) {
    test(name, async () => {
      const server = await startServer();
      const err = kubernetesApiError('call', await catchRejection(() => call(server), Error));
      assert.ok(err instanceof KubernetesApiError);
      assert.equal(err.status, status);
    });
  }
});

describe('FakeApiServer list pages', () => {
  const page = async (server: FakeApiServer, query: string) => {
    const res = await fetch(`${server.url}${SERVICES}?${query}`, {
      headers: { authorization: `Bearer ${server.bearerToken}` },
    });
    const body = (await res.json()) as {
      metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
      items: FakeObject[];
    };
    return { status: res.status, body, names: body.items?.map((o) => o.metadata.name) };
  };

  test('pages a list over the snapshot of its first page, whatever changes in between', async () => {
    const server = await startServer();
    for (const name of ['a', 'b', 'c', 'd', 'e']) server.add(service(name));
    const first = await page(server, 'limit=2');
    assert.deepEqual(first.names, ['a', 'b']);
    assert.equal(first.body.metadata.remainingItemCount, 3);
    server.add(service('f'));
    server.remove({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'c', namespace: 'shop' } });
    const second = await page(server, `limit=2&continue=${first.body.metadata.continue ?? ''}`);
    assert.deepEqual(second.names, ['c', 'd']);
    const last = await page(server, `limit=2&continue=${second.body.metadata.continue ?? ''}`);
    assert.deepEqual(last.names, ['e']);
    assert.equal(last.body.metadata.continue, undefined);
    assert.equal(last.body.metadata.resourceVersion, first.body.metadata.resourceVersion);
    assert.equal((await page(server, `limit=2&continue=${second.body.metadata.continue ?? ''}`)).status, 410);
  });

  test('a typed list with limit and continue goes through every page', async () => {
    const server = await startServer();
    for (const name of ['a', 'b', 'c']) server.add(service(name));
    const core = server.kubeConfig().makeApiClient(CoreV1Api);
    const one = await core.listNamespacedService({ namespace: 'shop', limit: 2 });
    assert.deepEqual(
      one.items.map((s) => s.metadata?.name),
      ['a', 'b'],
    );
    const two = await core.listNamespacedService({ namespace: 'shop', limit: 2, _continue: one.metadata?._continue });
    assert.deepEqual(
      two.items.map((s) => s.metadata?.name),
      ['c'],
    );
  });
});

describe('FakeApiServer reviews', () => {
  test('createTokenReview goes through and records the audiences and the bearer token', async () => {
    const server = await startServer({
      tokenReviewer: ({ token }) =>
        token === 'good'
          ? {
              authenticated: true,
              user: { username: 'system:serviceaccount:shop:web' },
              audiences: ['identity.nodemesh.io'],
            }
          : { authenticated: false, error: 'nope' },
    });
    const api = server.kubeConfig().makeApiClient(AuthenticationV1Api);
    const good = await api.createTokenReview({
      body: { spec: { token: 'good', audiences: ['identity.nodemesh.io'] } },
    });
    assert.equal(good.status?.authenticated, true);
    assert.equal(good.status?.user?.username, 'system:serviceaccount:shop:web');
    assert.deepEqual(good.status?.audiences, ['identity.nodemesh.io']);
    const bad = await api.createTokenReview({ body: { spec: { token: 'bad' } } });
    assert.deepEqual([bad.status?.authenticated, bad.status?.error], [false, 'nope']);
    assert.deepEqual(server.tokenReviews, [
      { token: 'good', audiences: ['identity.nodemesh.io'], bearerToken: server.bearerToken },
      { token: 'bad', audiences: [], bearerToken: server.bearerToken },
    ]);
    assert.equal(server.requestCount(TOKEN_REVIEW_PATH, 'create'), 2);
  });

  test('a reviewer that answers an HTTP status makes the call fail with it', async () => {
    const server = await startServer({
      tokenReviewer: () => ({ httpStatus: 403, message: 'forbidden: tokenreviews' }),
    });
    const api = server.kubeConfig().makeApiClient(AuthenticationV1Api);
    const err = kubernetesApiError(
      'create TokenReview',
      await catchRejection(() => api.createTokenReview({ body: { spec: { token: 't' } } }), Error),
    );
    assert.equal(err.status, 403);
    assert.match(err.message, /forbidden: tokenreviews/);
  });

  test('SelfSubjectAccessReview is allowed by default, and answers what the reviewer says', async () => {
    const server = await startServer();
    const api = server.kubeConfig().makeApiClient(AuthorizationV1Api);
    const body = {
      spec: { resourceAttributes: { group: 'authentication.k8s.io', resource: 'tokenreviews', verb: 'create' } },
    };
    assert.equal((await api.createSelfSubjectAccessReview({ body })).status?.allowed, true);
    server.setAccessReviewer(() => ({ allowed: false, reason: 'no RBAC' }));
    const denied = await api.createSelfSubjectAccessReview({ body });
    assert.deepEqual([denied.status?.allowed, denied.status?.reason], [false, 'no RBAC']);
    assert.deepEqual(
      server.accessReviews.map((r) => r.resourceAttributes?.['resource']),
      ['tokenreviews', 'tokenreviews'],
    );
    assert.equal(server.requestCount(ACCESS_REVIEW_PATH), 2);
  });
});

describe('FakeApiServer status subresource', () => {
  const ROUTES = '/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes';
  const route = (): FakeObject => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'web', namespace: 'shop', generation: 1 },
    spec: { parentRefs: [{ group: '', kind: 'Service', name: 'web' }] },
  });
  const target = { group: 'gateway.networking.k8s.io', version: 'v1', namespace: 'shop', plural: 'httproutes' };
  const status = { parents: [{ controllerName: 'nodemesh.io/destination', conditions: [] }] };

  test('a PUT to /status replaces only .status, bumps resourceVersion and emits MODIFIED', async () => {
    const server = await startServer();
    const stored = server.add(route());
    const heard: string[] = [];
    const controller = await new Watch(server.kubeConfig()).watch(
      ROUTES,
      { resourceVersion: server.resourceVersion },
      (type: string, object: KubernetesObject) => heard.push(`${type} ${object.metadata?.resourceVersion}`),
      () => undefined,
    );
    closers.push(() => {
      controller.abort();
      return Promise.resolve();
    });
    await until(() => server.openWatchCount === 1, 'the watch');

    const api = server.kubeConfig().makeApiClient(CustomObjectsApi);
    const body = {
      ...route(),
      metadata: { ...route().metadata, resourceVersion: stored.metadata.resourceVersion, labels: { changed: 'yes' } },
      spec: { parentRefs: [] },
      status,
    };
    const answer = (await api.replaceNamespacedCustomObjectStatus({ ...target, name: 'web', body })) as FakeObject;
    assert.equal(answer.metadata.resourceVersion, '2');
    assert.deepEqual(answer['status'], status);
    assert.deepEqual(answer['spec'], route()['spec'], 'the spec is left as stored');
    assert.equal(answer.metadata.labels, undefined, 'metadata is left as stored');
    await until(() => heard.length === 1, 'the MODIFIED event');
    assert.deepEqual(heard, ['MODIFIED 2']);
    assert.equal(server.requestCount(`${ROUTES}/web/status`, 'other'), 1);
  });

  const failures: [string, (server: FakeApiServer) => FakeObject | undefined, string, number][] = [
    [
      'a stale resourceVersion answers 409 and changes nothing',
      (s) => {
        s.add(route());
        s.update(route());
        return { ...route(), metadata: { ...route().metadata, resourceVersion: '1' }, status };
      },
      'web',
      409,
    ],
    ['a missing object answers 404', () => ({ ...route(), status }), 'web', 404],
    [
      'a name that differs from the path answers 400',
      (s) => {
        s.add(route());
        return { ...route(), status };
      },
      'other',
      400,
    ],
  ];
  for (const [name, setup, pathName, code] of failures) {
    test(name, async () => {
      const server = await startServer();
      const body = setup(server);
      const before = server.resourceVersion;
      const api = server.kubeConfig().makeApiClient(CustomObjectsApi);
      const err = kubernetesApiError(
        'replace status',
        await catchRejection(() => api.replaceNamespacedCustomObjectStatus({ ...target, name: pathName, body }), Error),
      );
      assert.equal(err.status, code);
      assert.equal(server.resourceVersion, before, 'nothing was written');
    });
  }
});
