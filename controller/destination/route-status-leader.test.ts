import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { KubernetesResourceSource } from '../../src/k8s/resource-source-kubernetes.ts';
import { FakeApiServer, type FakeObject } from '../../src/k8s/testing.ts';
import { Registry, findSamples, parsePrometheusText } from '../../src/metrics/index.ts';
import { ROUTE_STATUS_CONTROLLER_NAME } from './route-status-compute.ts';
import { ROUTE_STATUS_LEASE_NAME, startRouteStatus, type RouteStatusLeader } from './route-status-leader.ts';
import { silentLog } from './test-fixtures.ts';

const ROUTES = '/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes';
const closers: (() => Promise<unknown>)[] = [];

after(async () => {
  for (const close of closers.reverse()) await close();
});

function service(name: string): FakeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop' }, spec: { ports: [{ port: 80 }] } };
}

function route(name: string, backend: string, path = '/'): FakeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: 'shop', generation: 1 },
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: 'web', port: 80 }],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: path } }], backendRefs: [{ name: backend, port: 80 }] }],
    },
  };
}

interface Replica {
  readonly name: string;
  readonly source: KubernetesResourceSource;
  readonly registry: Registry;
  readonly leader: RouteStatusLeader;
}

async function replica(server: FakeApiServer, name: string): Promise<Replica> {
  const kubeConfig = server.kubeConfig();
  const source = new KubernetesResourceSource(
    { kubeConfig, log: silentLog },
    { kinds: ['Service', 'HTTPRoute', 'GRPCRoute'], restartBackoff: { minMs: 20, maxMs: 100 }, syncTimeoutMs: 5000 },
  );
  closers.push(() => source.close());
  await source.start();
  const registry = new Registry();
  const leader = startRouteStatus({
    source,
    kubeConfig,
    namespace: 'nodemesh',
    identity: name,
    log: silentLog,
    registry,
    election: { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 },
    controller: { backoff: { minMs: 50, maxMs: 500 } },
  });
  closers.push(() => leader.stop());
  return { name, source, registry, leader };
}

async function written(r: Replica): Promise<number> {
  const samples = findSamples(parsePrometheusText(await r.registry.metrics()), 'route_status_writes_total', {
    result: 'written',
  });
  return samples.reduce((sum, s) => sum + s.value, 0);
}

/** Our condition `type` on route `name`, as a replica's cache (fed by the watch) has it. */
function condition(r: Replica, name: string, type: string): Record<string, unknown> | undefined {
  const status = r.source.kind('HTTPRoute').get('shop', name)?.status as
    { parents?: { controllerName?: string; conditions?: Record<string, unknown>[] }[] } | undefined;
  const ours = status?.parents?.find((p) => p.controllerName === ROUTE_STATUS_CONTROLLER_NAME);
  return ours?.conditions?.find((c) => c['type'] === type);
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  for (let waited = 0; waited < timeoutMs; waited += 20) {
    if (check()) return;
    await sleep(20);
  }
  assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function statusPuts(server: FakeApiServer): number {
  return ['canary', 'missing', 'broken'].reduce(
    (sum, name) => sum + server.requestCount(`${ROUTES}/${name}/status`, 'other'),
    0,
  );
}

describe('startRouteStatus with two replicas on the fake API server', () => {
  test('only the leader writes; the other takes over when it stops, and writes settle', async () => {
    const server = new FakeApiServer();
    await server.start();
    closers.push(() => server.close());
    server.add(service('web'));
    server.add(service('web-v2'));
    server.add(route('canary', 'web-v2'));
    server.add(route('missing', 'web-v3'));
    server.add(route('broken', 'web-v2', 'no-slash'));

    const replicas = [await replica(server, 'destination-a'), await replica(server, 'destination-b')];
    await until(() => replicas.some((r) => r.leader.elector.isLeader), 'a leader');
    const first = replicas.find((r) => r.leader.elector.isLeader);
    const second = replicas.find((r) => r !== first);
    assert.ok(first !== undefined && second !== undefined);

    const settledOn = (r: Replica) =>
      condition(r, 'canary', 'ResolvedRefs')?.['status'] === 'True' &&
      condition(r, 'missing', 'ResolvedRefs')?.['reason'] === 'BackendNotFound' &&
      condition(r, 'broken', 'Accepted')?.['status'] === 'False';
    await until(() => settledOn(first) && settledOn(second), 'the statuses in both caches');
    assert.equal(condition(first, 'canary', 'Accepted')?.['status'], 'True');
    assert.match(String(condition(first, 'broken', 'Accepted')?.['message']), /path\.value/);
    assert.equal(await written(first), 3);
    assert.equal(await written(second), 0, 'the replica that does not lead writes nothing');

    const puts = statusPuts(server);
    await sleep(600);
    assert.equal(statusPuts(server), puts, 'no write loop: nothing more is written once settled');

    await first.leader.stop();
    await until(() => second.leader.elector.isLeader, 'the other replica to lead');
    assert.equal(second.leader.elector.leader, second.name);
    server.add(service('web-v3'));
    await until(() => condition(second, 'missing', 'ResolvedRefs')?.['status'] === 'True', 'the takeover write');
    await sleep(600);
    assert.equal(await written(second), 1, 'the new leader re-reconciles every route but rewrites only the change');
    assert.equal(statusPuts(server), puts + 1);
    assert.equal(condition(second, 'canary', 'Accepted')?.['status'], 'True');
    assert.equal(condition(second, 'broken', 'Accepted')?.['status'], 'False');

    const lease = server.requestCount(
      `/apis/coordination.k8s.io/v1/namespaces/nodemesh/leases/${ROUTE_STATUS_LEASE_NAME}`,
    );
    assert.ok(lease > 0, 'the replicas elect on the route status Lease');
  });
});
