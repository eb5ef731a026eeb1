// `nodemesh stat`, `routes` and `check` against Kubernetes (ADR 0013): a fake API server whose
// pods/proxy subresource forwards to two real in-process proxies on 127.0.0.1 (a Deployment's pod
// and a StatefulSet's pod with a native-sidecar proxy), traffic through both during the window, and
// the CLI run as a process with a kubeconfig file pointing at the fake. Also: the control plane's
// Deployments, webhooks and CRD for `check`, and the errors people meet (no kubeconfig, an API
// server that does not answer, a missing RBAC rule).

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCheck } from '../../src/cli/check/check-command.ts';
import type { CommandContext } from '../../src/cli/command.ts';
import { runStat } from '../../src/cli/stat/stat-command.ts';
import { ConfigError, UsageError } from '../../src/errors/index.ts';
import { FakeApiServer, type FakeObject, type FakeResource } from '../../src/k8s/testing.ts';
import { createIdentityCertMetrics } from '../../src/metrics/index.ts';
import { startOutboundProxy, type OutboundProxy } from '../support/outbound-proxy.ts';
import { nodemesh } from '../support/processes.ts';
import { runCommand } from '../../src/testing/index.ts';

const CLUSTER_KINDS: readonly FakeResource[] = [
  {
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    plural: 'mutatingwebhookconfigurations',
    kind: 'MutatingWebhookConfiguration',
    namespaced: false,
  },
  {
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    plural: 'validatingwebhookconfigurations',
    kind: 'ValidatingWebhookConfiguration',
    namespaced: false,
  },
  {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    plural: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    namespaced: false,
  },
];

const WEB_POD = 'web-7d4b9c-x2x9k';
const PENDING_POD = 'web-7d4b9c-p3nd1';
const DB_POD = 'db-0';

/** A meshed pod as the injector leaves it; `sidecar: 'native'` puts the proxy in initContainers. */
function meshedPod(options: {
  name: string;
  namespace: string;
  owner: { kind: string; name: string };
  labels?: Record<string, string>;
  admin: number;
  sidecar: 'regular' | 'native';
  phase?: string;
}): FakeObject {
  const proxy = {
    name: 'nodemesh-proxy',
    image: 'ghcr.io/nodemesh/nodemesh:0.1.0',
    ports: [
      { name: 'nodemesh-proxy', containerPort: 4143 },
      { name: 'nodemesh-admin', containerPort: options.admin },
    ],
    ...(options.sidecar === 'native' ? { restartPolicy: 'Always' } : {}),
  };
  const app = { name: 'app', image: 'app:1', ports: [{ containerPort: 8080 }] };
  const running = (options.phase ?? 'Running') === 'Running';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: options.name,
      namespace: options.namespace,
      labels: options.labels ?? {},
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: options.owner.kind, name: options.owner.name, controller: true },
      ],
    },
    spec: options.sidecar === 'native' ? { initContainers: [proxy], containers: [app] } : { containers: [app, proxy] },
    status: running
      ? {
          phase: 'Running',
          podIP: '127.0.0.1',
          containerStatuses: [{ name: 'nodemesh-proxy', ready: true }],
        }
      : {
          phase: options.phase,
          containerStatuses: [
            { name: 'nodemesh-proxy', ready: false, state: { waiting: { reason: 'ContainerCreating' } } },
          ],
        },
  };
}

function deployment(name: string, available: number): FakeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'nodemesh' },
    spec: { replicas: 1 },
    status: { replicas: 1, availableReplicas: available },
  };
}

async function inProcess(
  run: (ctx: CommandContext) => Promise<number>,
  argv: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCommand(run, argv, { cwd: tmpdir(), env });
}

interface JsonDirection {
  requestsPerSecond: number;
  successRate: number | null;
}
interface JsonWorkload {
  namespace: string;
  workload: string;
  pods: string[];
  status: string;
  outbound?: JsonDirection;
}

describe('the CLI against Kubernetes', () => {
  let dir: string;
  let kubeconfig: string;
  let fake: FakeApiServer | undefined;
  let app: Server | undefined;
  const proxies: OutboundProxy[] = [];
  let traffic: Promise<void> | undefined;
  const apiServer = (): FakeApiServer => {
    assert.ok(fake !== undefined, 'the fake API server did not start');
    return fake;
  };
  let stopTraffic = false;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-cli-kubernetes-'));
    app = createServer((req, res) => {
      req.resume();
      res.end('ok');
    });
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    const appPort = (app.address() as AddressInfo).port;
    const expires = Math.round(Date.now() / 1000) + 86_400;
    for (let i = 0; i < 2; i++) {
      const proxy = await startOutboundProxy({ NODEMESH_PROXY_CONTROL_LISTEN_ADDR: '127.0.0.1:0' });
      proxy.setEndpoints([appPort]);
      // The proxies run without identity; stand in for a certificate identity issued.
      createIdentityCertMetrics(proxy.registry).expirationTimestampSeconds.set(expires);
      proxies.push(proxy);
    }
    proxies[0]?.setProfile(`routes:
  - name: GET /books
    condition: { method: GET, pathRegex: /books }`);

    const api = new FakeApiServer({ resources: CLUSTER_KINDS });
    fake = api;
    await api.start();
    const [web, db] = proxies as [OutboundProxy, OutboundProxy];
    api.add(
      meshedPod({
        name: WEB_POD,
        namespace: 'shop',
        owner: { kind: 'ReplicaSet', name: 'web-7d4b9c' },
        labels: { 'pod-template-hash': '7d4b9c', app: 'web' },
        admin: web.adminPort,
        sidecar: 'regular',
      }),
    );
    api.add(
      meshedPod({
        name: PENDING_POD,
        namespace: 'shop',
        owner: { kind: 'ReplicaSet', name: 'web-7d4b9c' },
        labels: { 'pod-template-hash': '7d4b9c', 'nodemesh.io/proxy-deployment': 'web' },
        admin: 4191,
        sidecar: 'regular',
        phase: 'Pending',
      }),
    );
    api.add(
      meshedPod({
        name: DB_POD,
        namespace: 'shop',
        owner: { kind: 'StatefulSet', name: 'db' },
        labels: { 'nodemesh.io/proxy-statefulset': 'db' },
        admin: db.adminPort,
        sidecar: 'native',
      }),
    );
    // Not meshed: left alone.
    api.add({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'plain', namespace: 'shop' },
      spec: { containers: [{ name: 'app', ports: [{ containerPort: 80 }] }] },
      status: { phase: 'Running', podIP: '127.0.0.1' },
    });
    for (const name of ['nodemesh-identity', 'nodemesh-destination', 'nodemesh-proxy-injector']) {
      api.add(deployment(name, 1));
    }
    api.add({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'nodemesh-proxy-injector-webhook-config' },
    });
    api.add({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'nodemesh-validator-webhook-config' },
    });
    api.add({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'serviceprofiles.nodemesh.io' },
    });

    kubeconfig = path.join(dir, 'kubeconfig');
    await writeFile(kubeconfig, api.kubeConfig({ namespace: 'shop' }).exportConfig());

    // Traffic through both proxies until the tests end (bounded in case after() never runs).
    traffic = (async () => {
      for (let i = 0; i < 100_000 && !stopTraffic; i++) {
        await Promise.all([web.get('/books'), db.get('/orders')]);
        await sleep(5);
      }
    })();
  });

  after(async () => {
    stopTraffic = true;
    await traffic;
    for (const p of proxies) await p.close();
    await fake?.close();
    app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('stat --kubernetes (a process) shows each workload of the namespace with its traffic', async () => {
    const { code, stdout, stderr } = await nodemesh(['stat', '--kubernetes', '--window', '500ms', '-o', 'json'], {
      KUBECONFIG: kubeconfig,
    });
    assert.equal(code, 0, stderr);
    const parsed = JSON.parse(stdout) as {
      workloads: JsonWorkload[];
      notScraped: { name: string; reason: string }[];
    };
    assert.deepEqual(
      parsed.workloads.map((w) => [w.namespace, w.workload, w.pods, w.status]),
      [
        ['shop', 'statefulset/db', [DB_POD], 'ok'],
        ['shop', 'deployment/web', [WEB_POD], 'ok'],
      ],
    );
    for (const w of parsed.workloads) {
      assert.ok(
        (w.outbound?.requestsPerSecond ?? 0) > 0,
        `${w.workload} outbound rps ${w.outbound?.requestsPerSecond}`,
      );
      assert.equal(w.outbound?.successRate, 1);
    }
    assert.deepEqual(
      parsed.notScraped.map((s) => [s.name, s.reason]),
      [[PENDING_POD, 'Pending: ContainerCreating']],
    );
  });

  test('the stat table has the namespace and pods answered, and notes the pod not scraped', async () => {
    const { code, stdout } = await inProcess(runStat, ['-k', '--window', '300ms'], { KUBECONFIG: kubeconfig });
    assert.equal(code, 0);
    const lines = stdout.split('\n');
    assert.match(
      lines[0] ?? '',
      /^NAMESPACE\s+WORKLOAD\s+DIRECTION\s+SUCCESS\s+RPS\s+P50\s+P95\s+P99\s+TCP\s+MTLS\s+PODS$/,
    );
    assert.match(stdout, /^shop\s+deployment\/web\s+outbound\s+100\.00%\s+\d+\.\d\s+.*1\/1$/m);
    assert.match(stdout, /^shop\/deployment\/web: pod web-7d4b9c-p3nd1 not scraped \(Pending: ContainerCreating\)$/m);
  });

  test('routes --kubernetes shows the route of the Deployment', async () => {
    const { code, stdout, stderr } = await nodemesh(['routes', '-k', '--window', '300ms', '--workload', 'web'], {
      KUBECONFIG: kubeconfig,
    });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^shop\s+deployment\/web\s+GET \/books\s+web\.shop\.svc\.cluster\.local:80\s+100\.00%/m);
    assert.doesNotMatch(stdout, /statefulset\/db/);
  });

  test('another namespace has no meshed pods; --all-namespaces sees them', async () => {
    const none = await inProcess(runStat, ['-k', '-n', 'other', '--window', '100ms'], { KUBECONFIG: kubeconfig });
    assert.equal(none.code, 1);
    assert.match(
      none.stderr,
      /no meshed pods \(with a nodemesh-proxy container\) running in namespace other of context fake/,
    );
    const all = await inProcess(runStat, ['-k', '-A', '--window', '100ms', '-o', 'json'], { KUBECONFIG: kubeconfig });
    assert.equal(all.code, 0, all.stderr);
    assert.equal((JSON.parse(all.stdout) as { workloads: unknown[] }).workloads.length, 2);
  });

  test('check --kubernetes (a process) passes, then fails with a hint when a control-plane Deployment has no replica', async () => {
    apiServer().remove({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'shop', name: PENDING_POD } });
    try {
      const ok = await nodemesh(['check', '--kubernetes'], { KUBECONFIG: kubeconfig });
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /^✔ control plane: nodemesh-identity has 1\/1 replicas available$/m);
      assert.match(ok.stdout, /^✔ MutatingWebhookConfiguration nodemesh-proxy-injector-webhook-config is installed$/m);
      assert.match(ok.stdout, /^✔ CRD serviceprofiles\.nodemesh\.io is installed$/m);
      assert.match(ok.stdout, new RegExp(`^✔ shop/${WEB_POD} is ready$`, 'm'));
      assert.match(ok.stdout, /^✔ shop\/db-0 mTLS certificate valid for (24h|23h59m\d+s)$/m);
      assert.match(ok.stdout, /^all 10 checks passed$/m);

      apiServer().update(deployment('nodemesh-destination', 0));
      const down = await nodemesh(['check', '--kubernetes'], { KUBECONFIG: kubeconfig });
      assert.equal(down.code, 1);
      assert.match(
        down.stdout,
        /^✖ control plane: nodemesh-destination has 0\/1 replicas available\n {4}hint: see why: kubectl -n nodemesh describe deployment nodemesh-destination; kubectl -n nodemesh logs deploy\/nodemesh-destination$/m,
      );
      assert.match(down.stdout, /^1 of 10 checks failed$/m);
    } finally {
      apiServer().update(deployment('nodemesh-destination', 1));
    }
  });

  test('check names a missing CRD, and a pod proxy the RBAC does not allow', async () => {
    apiServer().failNext(`/api/v1/namespaces/shop/pods/${DB_POD}:${proxies[1]?.adminPort}/proxy/ready`, 403);
    apiServer().failNext('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/serviceprofiles.nodemesh.io', 404);
    const { code, stdout } = await inProcess(runCheck, ['-k', '-n', 'shop'], { KUBECONFIG: kubeconfig });
    assert.equal(code, 1);
    assert.match(
      stdout,
      /^✖ CRD serviceprofiles\.nodemesh\.io not found\n {4}hint: install the CRDs: helm install nodemesh-crds charts\/nodemesh-crds$/m,
    );
    assert.match(
      stdout,
      /^✖ shop\/db-0 could not be asked: get pods\/proxy shop\/db-0: forbidden \(403\); the CLI needs the RBAC rule `get pods\/proxy` in namespace shop.*\n {4}hint: grant/m,
    );
    assert.match(stdout, new RegExp(`^✔ shop/${WEB_POD} is ready$`, 'm'));
  });

  test('a refused list of pods names the RBAC rule; an API server that does not answer says so', async () => {
    apiServer().failNext('/api/v1/namespaces/shop/pods', 403);
    const forbidden = await inProcess(runStat, ['-k', '--window', '100ms'], { KUBECONFIG: kubeconfig });
    assert.equal(forbidden.code, 1);
    assert.match(
      forbidden.stderr,
      /^error: list pods in namespace shop: forbidden \(403\); the CLI needs the RBAC rule `list pods` in namespace shop/m,
    );

    const gone = createServer();
    gone.listen(0, '127.0.0.1');
    await once(gone, 'listening');
    const port = (gone.address() as AddressInfo).port;
    await new Promise((resolve) => gone.close(resolve));
    const kc = apiServer().kubeConfig();
    const closed = path.join(dir, 'kubeconfig-closed');
    await writeFile(closed, kc.exportConfig().replaceAll(`127.0.0.1:${apiServer().port}`, `127.0.0.1:${port}`));
    const down = await inProcess(runStat, ['-k', '--window', '100ms'], { KUBECONFIG: closed });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /cannot reach the API server http:\/\/127\.0\.0\.1:\d+ of context fake \(ECONNREFUSED\)/);
  });

  test('without a kubeconfig, or with a context it lacks, the error says what to give', async () => {
    await assert.rejects(inProcess(runStat, ['-k'], {}), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /KUBECONFIG/);
      return true;
    });
    const missing = await inProcess(runStat, ['-k', '--context', 'prod'], { KUBECONFIG: kubeconfig });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /--context "prod" is not in the kubeconfig; known: fake/);
    await assert.rejects(inProcess(runStat, ['--namespace', 'shop'], {}), UsageError);
    await assert.rejects(inProcess(runStat, ['-k', '-n', 'shop', '-A'], {}), UsageError);
  });
});
