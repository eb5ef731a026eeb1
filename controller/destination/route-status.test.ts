import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CachedObject, ResourceKind } from '../../src/k8s/index.ts';
import { Registry, findSamples, parsePrometheusText } from '../../src/metrics/index.ts';
import { FakeClock } from '../../src/testing/index.ts';
import { ROUTE_STATUS_CONTROLLER_NAME } from './route-status-compute.ts';
import { createRouteStatusMetrics } from './route-status-metrics.ts';
import { MemorySource, MemoryStatusWriter } from './route-status-test-source.ts';
import { RouteStatusController } from './route-status.ts';
import { silentLog } from './test-fixtures.ts';

const START = Date.UTC(2026, 0, 1, 10, 0, 0);

function service(name: string, port = 80): CachedObject & { kind: ResourceKind } {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'shop' },
    spec: { ports: [{ port }] },
  } as never;
}

function httpRoute(
  name: string,
  options: { backend?: string; status?: unknown; generation?: number; path?: string; parentName?: string } = {},
): CachedObject & { kind: ResourceKind } {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: 'shop', generation: options.generation ?? 1 },
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: options.parentName ?? 'web', port: 80 }],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: options.path ?? '/' } }],
          backendRefs: [{ name: options.backend ?? 'web-v2', port: 80 }],
        },
      ],
    },
    ...(options.status === undefined ? {} : { status: options.status }),
  } as never;
}

function setup(routes: readonly (CachedObject & { kind: ResourceKind })[] = []) {
  const clock = new FakeClock(START);
  const source = new MemorySource();
  for (const r of routes) source.put(r);
  const writer = new MemoryStatusWriter(source);
  const registry = new Registry();
  const controller = new RouteStatusController(
    { source, writer, log: silentLog, metrics: createRouteStatusMetrics(registry), clock, random: () => 0.5 },
    { backoff: { minMs: 1000, maxMs: 8000 }, maxRetries: 3 },
  );
  const leading = new AbortController();
  const statusOf = (name: string, kind: 'HTTPRoute' | 'GRPCRoute' = 'HTTPRoute') =>
    source.kind(kind).get('shop', name)?.status as { parents: Record<string, unknown>[] } | undefined;
  const ours = (name: string) =>
    statusOf(name)?.parents.filter((p) => p['controllerName'] === ROUTE_STATUS_CONTROLLER_NAME);
  const condition = (name: string, type: string) =>
    (ours(name)?.[0]?.['conditions'] as Record<string, unknown>[] | undefined)?.find((c) => c['type'] === type);
  const settled = async () => {
    await clock.advance(0);
    await controller.whenIdle();
    await clock.advance(0);
  };
  const count = async (result: string) =>
    findSamples(parsePrometheusText(await registry.metrics()), 'route_status_writes_total', { result }).reduce(
      (sum, s) => sum + s.value,
      0,
    );
  return { clock, source, writer, controller, leading, statusOf, ours, condition, settled, count };
}

describe('RouteStatusController', () => {
  test('a valid route with its Services gets Accepted and ResolvedRefs True, written once', async () => {
    const t = setup([service('web'), service('web-v2'), httpRoute('canary')]);
    t.controller.start(t.leading.signal);
    await t.settled();

    assert.equal(t.writer.writes.length, 1, 'one write; its own update event reconciles to unchanged');
    const parents = t.ours('canary') ?? [];
    assert.equal(parents.length, 1);
    assert.deepEqual(parents[0]?.['parentRef'], { group: '', kind: 'Service', name: 'web', port: 80 });
    assert.deepEqual(t.condition('canary', 'Accepted'), {
      type: 'Accepted',
      status: 'True',
      reason: 'Accepted',
      message: 'route accepted',
      observedGeneration: 1,
      lastTransitionTime: '2026-01-01T10:00:00Z',
    });
    assert.equal(t.condition('canary', 'ResolvedRefs')?.['status'], 'True');
    assert.equal(await t.count('written'), 1);
    assert.equal(await t.count('unchanged'), 1);
  });

  test('a missing backend is ResolvedRefs False BackendNotFound, then True once the Service appears', async () => {
    const t = setup([service('web'), httpRoute('canary')]);
    t.controller.start(t.leading.signal);
    await t.settled();
    assert.deepEqual(
      [t.condition('canary', 'ResolvedRefs')?.['status'], t.condition('canary', 'ResolvedRefs')?.['reason']],
      ['False', 'BackendNotFound'],
    );
    assert.match(String(t.condition('canary', 'ResolvedRefs')?.['message']), /Service shop\/web-v2 does not exist/);

    await t.clock.advance(60_000);
    t.source.put(service('web-v2'));
    await t.settled();
    assert.equal(t.condition('canary', 'ResolvedRefs')?.['status'], 'True');
    assert.equal(t.condition('canary', 'ResolvedRefs')?.['lastTransitionTime'], '2026-01-01T10:01:00Z');
    assert.equal(
      t.condition('canary', 'Accepted')?.['lastTransitionTime'],
      '2026-01-01T10:00:00Z',
      'a condition whose status did not change keeps its time',
    );
    assert.equal(t.writer.writes.length, 2);
  });

  test('a deleted parent Service turns Accepted False NoMatchingParent', async () => {
    const t = setup([service('web'), service('web-v2'), httpRoute('canary')]);
    t.controller.start(t.leading.signal);
    await t.settled();
    t.source.remove('Service', 'shop', 'web');
    await t.settled();
    assert.deepEqual(
      [t.condition('canary', 'Accepted')?.['status'], t.condition('canary', 'Accepted')?.['reason']],
      ['False', 'NoMatchingParent'],
    );
  });

  test('an invalid route gets Accepted False with every problem in the message', async () => {
    const t = setup([service('web'), service('web-v2'), httpRoute('broken', { path: 'no-slash' })]);
    t.controller.start(t.leading.signal);
    await t.settled();
    const accepted = t.condition('broken', 'Accepted');
    assert.equal(accepted?.['status'], 'False');
    assert.equal(accepted?.['reason'], 'UnsupportedValue');
    assert.match(String(accepted?.['message']), /route is invalid.*spec\.rules\[0\]\.matches\[0\]\.path\.value/);
    assert.equal(t.ours('broken')?.length, 1);
    assert.equal(t.writer.writes.length, 1);
  });

  test("other controllers' entries are kept as they are", async () => {
    const other = {
      parentRef: { name: 'gw', kind: 'Gateway', group: 'gateway.networking.k8s.io' },
      controllerName: 'example.com/gateway',
      conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'theirs' }],
    };
    const t = setup([service('web'), service('web-v2'), httpRoute('canary', { status: { parents: [other] } })]);
    t.controller.start(t.leading.signal);
    await t.settled();
    const parents = t.statusOf('canary')?.parents ?? [];
    assert.equal(parents.length, 2);
    assert.deepEqual(parents[0], other);
    assert.equal(parents[1]?.['controllerName'], ROUTE_STATUS_CONTROLLER_NAME);
  });

  test('a route whose status is already right is not written', async () => {
    const first = setup([service('web'), service('web-v2'), httpRoute('canary')]);
    first.controller.start(first.leading.signal);
    await first.settled();
    const status = first.statusOf('canary');

    const t = setup([service('web'), service('web-v2'), httpRoute('canary', { status })]);
    await t.clock.advance(3_600_000);
    t.controller.start(t.leading.signal);
    await t.settled();
    assert.equal(t.writer.writes.length, 0);
    assert.equal(await t.count('unchanged'), 1);
  });

  test('a write conflict is retried after a backoff, with the route re-read', async () => {
    const t = setup([service('web'), service('web-v2'), httpRoute('canary')]);
    t.writer.failNext(409);
    t.controller.start(t.leading.signal);
    await t.settled();
    assert.equal(t.writer.writes.length, 1);
    assert.equal(t.statusOf('canary'), undefined);
    assert.equal(await t.count('conflict'), 1);

    await t.clock.advance(1000);
    await t.settled();
    assert.equal(t.writer.writes.length, 2);
    assert.equal(t.condition('canary', 'Accepted')?.['status'], 'True');
    assert.equal(await t.count('written'), 1);
  });

  test('a write that keeps failing is given up after maxRetries; a 404 is dropped at once', async () => {
    const t = setup([service('web'), service('web-v2'), httpRoute('canary')]);
    t.writer.failNext(500, 500, 500, 500, 500);
    t.controller.start(t.leading.signal);
    await t.settled();
    await t.clock.advance(60_000);
    await t.settled();
    assert.equal(t.writer.writes.length, 4, 'the first try and 3 retries');
    assert.equal(await t.count('error'), 4);

    const gone = setup([service('web'), service('web-v2'), httpRoute('canary')]);
    gone.writer.failNext(404);
    gone.controller.start(gone.leading.signal);
    await gone.settled();
    await gone.clock.advance(60_000);
    assert.equal(gone.writer.writes.length, 1);
  });

  test('nothing is written before the caches sync', async () => {
    const t = setup([service('web'), service('web-v2'), httpRoute('canary')]);
    t.source.kind('Service').synced = false;
    t.controller.start(t.leading.signal);
    await t.settled();
    await t.clock.advance(5000);
    assert.equal(t.writer.writes.length, 0);
    t.source.kind('Service').synced = true;
    await t.clock.advance(1000);
    await t.settled();
    assert.equal(t.writer.writes.length, 1);
  });

  test('stops when leadership ends, and a new term reconciles every route again', async () => {
    const t = setup([service('web'), service('web-v2'), httpRoute('canary')]);
    t.controller.start(t.leading.signal);
    await t.settled();
    t.leading.abort();
    assert.equal(t.controller.running, false);

    t.source.put(httpRoute('other'));
    await t.settled();
    assert.equal(t.writer.writes.length, 1, 'no writes after the term ended');

    const again = new AbortController();
    t.controller.start(again.signal);
    await t.settled();
    assert.equal(t.writer.writes.length, 2);
    assert.equal(t.condition('other', 'Accepted')?.['status'], 'True');
    again.abort();
  });

  test('GRPCRoutes get status too', async () => {
    const grpc = {
      ...httpRoute('rpc'),
      kind: 'GRPCRoute',
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name: 'web', port: 80 }],
        rules: [{ backendRefs: [{ name: 'web-v2', port: 80 }] }],
      },
    } as CachedObject & { kind: ResourceKind };
    const t = setup([service('web'), service('web-v2'), grpc]);
    t.controller.start(t.leading.signal);
    await t.settled();
    assert.equal(t.writer.writes[0]?.kind, 'GRPCRoute');
    const parents = t.statusOf('rpc', 'GRPCRoute')?.parents ?? [];
    assert.equal(parents.length, 1);
  });
});
