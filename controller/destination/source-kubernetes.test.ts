// The destination service's cluster source on the fake API server: route kinds are watched only
// when discovery lists them, so a cluster without GRPCRoute (or without the Gateway API) syncs.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { Registry } from '../../src/metrics/index.ts';
import { FakeApiServer, type FakeApiServerOptions } from '../../src/k8s/testing.ts';
import { createLogger } from '../../src/log/index.ts';
import { createClusterResourceSource, destinationKinds } from './source-kubernetes.ts';

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

const ROUTE = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'web-split', namespace: 'shop' },
  spec: { parentRefs: [{ group: '', kind: 'Service', name: 'web' }] },
};

describe('destination cluster source', () => {
  test('watches both route kinds when the cluster serves them, and says so', async () => {
    const server = await startServer();
    const { log, lines } = logLines();
    const kinds = await destinationKinds(server.kubeConfig(), log);
    assert.deepEqual(kinds, ['Service', 'EndpointSlice', 'Pod', 'ServiceProfile', 'HTTPRoute', 'GRPCRoute']);
    const said = lines.find((l) => String(l['msg']).includes('watching them'));
    assert.deepEqual(said?.['routeKinds'], ['HTTPRoute', 'GRPCRoute']);
  });

  test('without the Gateway API it watches the core kinds only, and says what is missing', async () => {
    const server = await startServer({ withoutKinds: ['HTTPRoute', 'GRPCRoute'] });
    const { log, lines } = logLines();
    assert.deepEqual(await destinationKinds(server.kubeConfig(), log), [
      'Service',
      'EndpointSlice',
      'Pod',
      'ServiceProfile',
    ]);
    assert.ok(lines.some((l) => String(l['msg']).includes('does not serve HTTPRoute or GRPCRoute')));
  });

  test('from KUBECONFIG, without GRPCRoute: syncs and serves HTTPRoutes', async () => {
    const server = await startServer({ withoutKinds: ['GRPCRoute'] });
    server.add(ROUTE);
    const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-destination-kube-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'kubeconfig');
    await writeFile(file, server.kubeConfig().exportConfig());
    const { log } = logLines();
    const source = await createClusterResourceSource({ env: { KUBECONFIG: file }, log, registry: new Registry() });
    closers.push(() => source.close());
    await source.start();
    assert.equal(source.synced, true);
    assert.equal(source.kind('HTTPRoute').get('shop', 'web-split')?.metadata.name, 'web-split');
    assert.equal(server.requestCount('/apis/gateway.networking.k8s.io/v1/grpcroutes'), 0, 'GRPCRoute not listed');
  });
});
