// `nodemesh edges --kubernetes` (ADR 0013): two real in-process proxies with identity
// (test/support/identity-mesh.ts: front's proxy calls web's over mTLS) stand behind a fake API
// server as the pods shop/front and shop/web, each with a proxy container whose environment names
// its identity as the injector writes it ($(_pod_sa).$(_pod_ns).serviceaccount.identity.…, from
// fieldRefs). The CLI, run as a process with a kubeconfig pointing at the fake, reads both proxies
// through the pods/proxy subresource and pairs the edge with both identities.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runEdges } from '../../src/cli/edges/edges-command.ts';
import { FakeApiServer, type FakeObject } from '../../src/k8s/testing.ts';
import { FRONT_ID, WEB_ID, startIdentityMesh, type IdentityMesh } from '../support/identity-mesh.ts';
import { nodemesh } from '../support/processes.ts';
import { runCommand } from '../../src/testing/index.ts';

/** A meshed pod as the injector leaves it (the identity env built from references). */
function meshedPod(name: string, serviceAccount: string, admin: number): FakeObject {
  const field = (envName: string, fieldPath: string) => ({ name: envName, valueFrom: { fieldRef: { fieldPath } } });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', labels: { 'nodemesh.io/proxy-deployment': name } },
    spec: {
      serviceAccountName: serviceAccount,
      containers: [
        { name: 'app', image: 'app:1' },
        {
          name: 'nodemesh-proxy',
          image: 'ghcr.io/nodemesh/nodemesh:0.1.0',
          env: [
            field('_pod_name', 'metadata.name'),
            field('_pod_ns', 'metadata.namespace'),
            field('_pod_sa', 'spec.serviceAccountName'),
            { name: 'NODEMESH_PROXY_CONTROL_LISTEN_ADDR', value: '0.0.0.0:4190' },
            {
              name: 'NODEMESH_PROXY_IDENTITY_LOCAL_NAME',
              value: '$(_pod_sa).$(_pod_ns).serviceaccount.identity.nodemesh.cluster.local',
            },
          ],
          ports: [
            { name: 'nodemesh-proxy', containerPort: 4143 },
            { name: 'nodemesh-admin', containerPort: admin },
          ],
        },
      ],
    },
    status: { phase: 'Running', podIP: '127.0.0.1', containerStatuses: [{ name: 'nodemesh-proxy', ready: true }] },
  };
}

interface JsonEdge {
  src: string;
  dst: string;
  srcId: string | null;
  dstId: string | null;
  srcKnown: boolean;
  dstKnown: boolean;
  requests: number;
  successRate: number | null;
  mtlsShare: number | null;
}

async function edgesInProcess(argv: string[], env: Record<string, string>) {
  return runCommand(runEdges, argv, { cwd: tmpdir(), env });
}

/** 20 requests from front to web, every fourth answered 500. */
async function batch(mesh: IdentityMesh): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const status = await mesh.call(i % 4 === 3 ? '/status?code=500' : `/ok/${i}`);
    assert.equal(status, i % 4 === 3 ? 500 : 200);
  }
}

describe('nodemesh edges --kubernetes on two proxies with identity', () => {
  let mesh: IdentityMesh | undefined;
  let fake: FakeApiServer | undefined;
  let dir: string;
  let kubeconfig: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-edges-kubernetes-'));
    mesh = await startIdentityMesh();
    await batch(mesh); // the edge exists before the window, so both identities are known
    fake = new FakeApiServer();
    await fake.start();
    fake.add(meshedPod('front', 'front', Number(new URL(mesh.frontAdmin).port)));
    fake.add(meshedPod('web', 'web', Number(new URL(mesh.webAdmin).port)));
    kubeconfig = path.join(dir, 'kubeconfig');
    await writeFile(kubeconfig, fake.kubeConfig({ namespace: 'shop' }).exportConfig());
  });

  after(async () => {
    await mesh?.close();
    await fake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('-k -o json (a process) pairs shop/front → shop/web with both identities over mTLS', async () => {
    assert.ok(mesh !== undefined);
    let done = false;
    const running = nodemesh(['edges', '-k', '-n', 'shop', '--window', '2s', '-o', 'json'], {
      KUBECONFIG: kubeconfig,
    }).finally(() => (done = true));
    // Traffic until the CLI has scraped twice (bounded): the process takes a moment to start.
    for (let i = 0; i < 2000 && !done; i++) {
      assert.equal(await mesh.call(`/ok/${i}`), 200);
      await sleep(5);
    }
    const { code, stdout, stderr } = await running;
    assert.equal(code, 0, stderr);
    const parsed = JSON.parse(stdout) as { edges: JsonEdge[]; unreachable: unknown[]; notScraped: unknown[] };
    assert.deepEqual(parsed.unreachable, []);
    assert.deepEqual(parsed.notScraped, []);
    assert.equal(parsed.edges.length, 1, stdout);
    const e = parsed.edges[0];
    assert.ok(e !== undefined);
    assert.equal(e.src, 'shop/front');
    assert.equal(e.dst, 'shop/web');
    assert.equal(e.srcKnown, true);
    assert.equal(e.dstKnown, true);
    assert.equal(e.srcId, FRONT_ID);
    assert.equal(e.dstId, WEB_ID);
    assert.ok(e.requests > 0, stdout);
    assert.equal(e.successRate, 1);
    // Both proxies are scraped a moment apart while traffic flows: one request may be in flight.
    assert.ok((e.mtlsShare ?? 0) > 0.9, stdout);
  });

  test('the table names the pods and both identities; a forbidden pod proxy is listed as unreachable', async () => {
    assert.ok(mesh !== undefined && fake !== undefined);
    const ok = await edgesInProcess(['-k', '--window', '200ms'], { KUBECONFIG: kubeconfig });
    assert.equal(ok.code, 0, ok.stderr);
    const row = new RegExp(
      `^shop/front\\s+shop/web\\s+${FRONT_ID.replace(/\./g, '\\.')}\\s+${WEB_ID.replace(/\./g, '\\.')}\\s`,
      'm',
    );
    assert.match(ok.stdout, row);

    const webPort = new URL(mesh.webAdmin).port;
    fake.failNext(`/api/v1/namespaces/shop/pods/web:${webPort}/proxy/metrics`, 403);
    const refused = await edgesInProcess(['-k', '--window', '100ms'], { KUBECONFIG: kubeconfig });
    assert.equal(refused.code, 1);
    assert.match(
      refused.stdout,
      /^shop\/web: proxy admin pod shop\/web:\d+ unreachable \(get pods\/proxy shop\/web: forbidden \(403\); the CLI needs the RBAC rule `get pods\/proxy` in namespace shop/m,
    );
  });
});
