// `nodemesh tap --kubernetes` (ADR 0013, "Tap"): a real proxy process on loopback (identity
// disabled) stands behind a fake API server as the pod shop/web-7d4b9c-x2x9k of deployment/web;
// the CLI, run as a process with a kubeconfig pointing at the fake, port-forwards through the
// fake's pods/portforward WebSocket to the proxy's control port (the connection reaches the proxy
// from 127.0.0.1, as a real port-forward reaches it on the pod's loopback) and streams the tap.
// Also: a workload name picks its first running pod (said on stderr), a pod that does not exist,
// and the RBAC refusal of pods/portforward.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FakeApiServer, type FakeObject } from '../../src/k8s/testing.ts';
import { freePort } from '../../src/net/index.ts';
import { killAll, startDaemon, waitReady, type Daemon } from '../support/processes.ts';
import { h1Echo, type Upstream } from '../support/upstreams.ts';
import { killTaps, startTap } from '../support/tap-process.ts';

const POD = 'web-7d4b9c-x2x9k';
/** Sorts before POD but is not running: a workload name must skip it. */
const PENDING_POD = 'web-7d4b9c-a0000';

function meshedPod(name: string, control: number, running: boolean): FakeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'shop',
      labels: { 'nodemesh.io/proxy-deployment': 'web', 'pod-template-hash': '7d4b9c' },
    },
    spec: {
      containers: [
        { name: 'app', image: 'app:1' },
        {
          name: 'nodemesh-proxy',
          image: 'ghcr.io/nodemesh/nodemesh:0.1.0',
          env: [{ name: 'NODEMESH_PROXY_CONTROL_LISTEN_ADDR', value: `127.0.0.1:${control}` }],
          ports: [
            { name: 'nodemesh-proxy', containerPort: 4143 },
            { name: 'nodemesh-admin', containerPort: 4191 },
          ],
        },
      ],
    },
    status: running
      ? { phase: 'Running', podIP: '127.0.0.1', containerStatuses: [{ name: 'nodemesh-proxy', ready: true }] }
      : {
          phase: 'Pending',
          containerStatuses: [{ name: 'nodemesh-proxy', state: { waiting: { reason: 'ContainerCreating' } } }],
        },
  };
}

describe('nodemesh tap --kubernetes through a port-forward', () => {
  let proxy: Daemon;
  let h1: Upstream;
  let fake: FakeApiServer | undefined;
  let outboundPort: number;
  let controlPort: number;
  let dir: string;
  let kubeconfig: string;

  before(async () => {
    h1 = await h1Echo();
    const [o, i, a, c] = [await freePort(), await freePort(), await freePort(), await freePort()];
    outboundPort = o;
    controlPort = c;
    proxy = startDaemon(['proxy'], {
      NODEMESH_PROXY_IDENTITY_DISABLED: 'true',
      NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: `127.0.0.1:${o}`,
      NODEMESH_PROXY_INBOUND_LISTEN_ADDR: `127.0.0.1:${i}`,
      NODEMESH_PROXY_ADMIN_LISTEN_ADDR: `127.0.0.1:${a}`,
      NODEMESH_PROXY_CONTROL_LISTEN_ADDR: `127.0.0.1:${c}`,
      NODEMESH_LOG_FORMAT: 'json',
    });
    await waitReady(proxy, `http://127.0.0.1:${a}/ready`);
    fake = new FakeApiServer();
    await fake.start();
    fake.add(meshedPod(POD, c, true));
    fake.add(meshedPod(PENDING_POD, c, false));
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-tap-kubernetes-'));
    kubeconfig = path.join(dir, 'kubeconfig');
    await writeFile(kubeconfig, fake.kubeConfig({ namespace: 'default' }).exportConfig());
  });

  after(async () => {
    killTaps();
    await proxy?.stop();
    killAll();
    await fake?.close();
    await h1?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A request through the proxy's outbound listener to the echo upstream. */
  const send = (urlPath: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: outboundPort,
          path: urlPath,
          agent: false,
          headers: { host: `127.0.0.1:${h1.port}` },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });

  test('-k -n shop POD --limit 3 -o json streams the requests and exits 0', async () => {
    const tap = startTap(['-k', '-n', 'shop', POD, '--limit', '3', '--duration', '30s', '-o', 'json'], {
      KUBECONFIG: kubeconfig,
    });
    await tap.waitFor(
      'err',
      /tapping pod shop\/web-7d4b9c-x2x9k \(port-forward 127\.0\.0\.1:\d+ → control port \d+, \/tap\?limit=3\); Ctrl-C to stop/,
    );
    for (const p of ['/one', '/two', '/three', '/four']) assert.equal(await send(p), 200);
    assert.equal(await tap.exited, 0, tap.stderr());
    const lines = tap
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((l) => (l.type === 'request' ? [l.method, l.path, l.status, l.direction] : l)),
      [
        ['GET', '/one', 200, 'outbound'],
        ['GET', '/two', 200, 'outbound'],
        ['GET', '/three', 200, 'outbound'],
        { type: 'end', reason: 'limit' },
      ],
    );
    assert.ok((fake?.requestCount(`/api/v1/namespaces/shop/pods/${POD}/portforward`) ?? 0) >= 1);
  });

  test('a workload name taps its first running pod and says which on stderr', async () => {
    const tap = startTap(
      ['--kubernetes', '--namespace', 'shop', 'deployment/web', '--limit', '1', '--duration', '30s'],
      { KUBECONFIG: kubeconfig },
    );
    await tap.waitFor('err', /Ctrl-C to stop/);
    assert.match(tap.stderr(), /^deployment\/web: tapping pod shop\/web-7d4b9c-x2x9k \(the first of 1 running pod\)$/m);
    assert.equal(await send('/five'), 200);
    assert.equal(await tap.exited, 0, tap.stderr());
    assert.match(tap.stdout(), /^req id=\d+ proxy=out .*:path=\/five :status=200 /m);
  });

  test('a pod that does not exist is a clear error naming the meshed workloads', async () => {
    const tap = startTap(['-k', '-n', 'shop', 'web-nope'], { KUBECONFIG: kubeconfig });
    assert.equal(await tap.exited, 1);
    assert.match(
      tap.stderr(),
      /^error: no pod or workload named web-nope with a nodemesh proxy in namespace shop; meshed workloads: deployment\/web$/m,
    );
    const pending = startTap(['-k', '-n', 'shop', PENDING_POD], { KUBECONFIG: kubeconfig });
    assert.equal(await pending.exited, 1);
    assert.match(
      pending.stderr(),
      /^error: pod shop\/web-7d4b9c-a0000 is not running \(Pending: ContainerCreating\)$/m,
    );
  });

  test('RBAC refusing pods/portforward names the rule to grant', async () => {
    assert.ok(fake !== undefined);
    fake.failNext(`/api/v1/namespaces/shop/pods/${POD}/portforward`, 403);
    const tap = startTap(['-k', '-n', 'shop', POD, '--limit', '1'], { KUBECONFIG: kubeconfig });
    assert.equal(await tap.exited, 1);
    assert.match(
      tap.stderr(),
      new RegExp(
        `^error: port-forward to pod shop/${POD}:${controlPort}: forbidden \\(403\\); the CLI needs the RBAC rule \`create pods/portforward\` in namespace shop$`,
        'm',
      ),
    );
  });
});
