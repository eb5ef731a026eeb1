// discoverServedKinds against the fake API server's discovery documents: both route kinds, one of
// them, none (404), retries on a transient failure, and a typed error when discovery keeps failing.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { catchRejection } from '../testing/index.ts';
import { ResourceSyncError } from './resource-errors.ts';
import { discoverServedKinds, servedIn } from './resource-source-kubernetes-discovery.ts';
import { FakeApiServer, type FakeApiServerOptions } from './testing.ts';

const GATEWAY_V1 = '/apis/gateway.networking.k8s.io/v1';
const closers: (() => Promise<unknown>)[] = [];

after(async () => {
  for (const close of closers.reverse()) await close();
});

async function startServer(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const server = new FakeApiServer(options);
  await server.start();
  closers.push(() => server.close());
  return server;
}

describe('discoverServedKinds', () => {
  test('finds both route kinds when the cluster serves them; core kinds need no request', async () => {
    const server = await startServer();
    const kinds = await discoverServedKinds(server.kubeConfig(), ['Service', 'HTTPRoute', 'GRPCRoute']);
    assert.deepEqual(kinds, ['Service', 'HTTPRoute', 'GRPCRoute']);
    assert.equal(server.requestCount(GATEWAY_V1), 1, 'one discovery request for the group version');
    assert.equal(server.requestCount('/api/v1'), 0);
  });

  test('leaves out a kind missing from the resource list (GRPCRoute absent, HTTPRoute present)', async () => {
    const server = await startServer({ withoutKinds: ['GRPCRoute'] });
    assert.deepEqual(await discoverServedKinds(server.kubeConfig(), ['HTTPRoute', 'GRPCRoute']), ['HTTPRoute']);
    const listed = await fetch(`${server.url}/apis/gateway.networking.k8s.io/v1/grpcroutes`, {
      headers: { authorization: `Bearer ${server.bearerToken}` },
    });
    assert.equal(listed.status, 404, 'the withheld kind is not served either');
  });

  test('a group the server does not know (404) serves none of its kinds', async () => {
    const server = await startServer({ withoutKinds: ['HTTPRoute', 'GRPCRoute'] });
    const res = await fetch(`${server.url}${GATEWAY_V1}`, {
      headers: { authorization: `Bearer ${server.bearerToken}` },
    });
    assert.equal(res.status, 404);
    assert.deepEqual(await discoverServedKinds(server.kubeConfig(), ['Pod', 'HTTPRoute', 'GRPCRoute']), ['Pod']);
  });

  test('the discovery document is an APIResourceList of the registered resources', async () => {
    const server = await startServer({ withoutKinds: ['GRPCRoute'] });
    const get = async () =>
      (await (
        await fetch(`${server.url}${GATEWAY_V1}`, { headers: { authorization: `Bearer ${server.bearerToken}` } })
      ).json()) as { kind: string; groupVersion: string; resources: { name: string; kind: string }[] };
    const before = await get();
    assert.deepEqual(
      [before.kind, before.groupVersion, before.resources.map((r) => `${r.name}:${r.kind}`)],
      ['APIResourceList', 'gateway.networking.k8s.io/v1', ['httproutes:HTTPRoute']],
    );
    server.registerResource({
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      plural: 'grpcroutes',
      kind: 'GRPCRoute',
      namespaced: true,
    });
    assert.deepEqual(
      (await get()).resources.map((r) => r.name),
      ['httproutes', 'grpcroutes'],
    );
  });

  test('retries a transient failure, and gives up with ResourceSyncError', async () => {
    const server = await startServer();
    server.failNext(GATEWAY_V1, 503);
    const fast = { attempts: 3, retryDelayMs: 10 };
    assert.deepEqual(await discoverServedKinds(server.kubeConfig(), ['HTTPRoute'], fast), ['HTTPRoute']);
    server.failNext(GATEWAY_V1, 403, { times: 3 });
    const err = await catchRejection(
      () => discoverServedKinds(server.kubeConfig(), ['HTTPRoute', 'GRPCRoute'], fast),
      ResourceSyncError,
    );
    assert.deepEqual(err.kinds, ['HTTPRoute', 'GRPCRoute']);
    assert.match(err.message, /discovery of gateway\.networking\.k8s\.io\/v1 failed 3 times \(HTTP 403\)/);
  });

  test('servedIn reads the plural names of a resource list', () => {
    assert.deepEqual(servedIn({ groupVersion: 'g/v1', resources: [] }, ['HTTPRoute']), []);
    assert.deepEqual(servedIn(undefined, ['HTTPRoute']), []);
    const list = {
      groupVersion: 'gateway.networking.k8s.io/v1',
      resources: [{ name: 'grpcroutes', kind: 'GRPCRoute', namespaced: true, singularName: '', verbs: [] }],
    };
    assert.deepEqual(servedIn(list, ['HTTPRoute', 'GRPCRoute']), ['GRPCRoute']);
  });
});
