// `nodemesh injector` as it runs in the cluster: the real process, its HTTPS webhooks called the
// way the API server calls them, namespaces read from a fake Kubernetes API through the real
// client, and the chart's values (with this test's trust anchors) as its config. Proves: a pod in
// a meshed namespace gets exactly the patch the injector library computes; a pod elsewhere gets
// none; an invalid ServiceProfile is refused by /validate; a body that is not an AdmissionReview
// gets 400; every outcome is counted; SIGTERM stops it cleanly; a bad setting stops it at start.

import assert from 'node:assert/strict';
import type { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { reviewAdmission, type AdmissionReviewResponse } from '../../controller/injector/admission.ts';
import { loadChartValues, parseInjectorConfig } from '../../controller/injector/injector-config.ts';
import { FakeApiServer } from '../../src/k8s/testing.ts';
import { parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';
import { freePort } from '../../src/net/index.ts';
import { createTestCa, type TestCa } from '../../src/testing/index.ts';
import { Issuer, certificatesToPem, createCsr, exportPrivateKeyPem, generateP256KeyPair } from '../../src/tls/index.ts';
import { killAll, nodemesh, startDaemon, waitReady, type Daemon } from '../support/processes.ts';

const HOST = 'nodemesh-proxy-injector.nodemesh.svc';
const FIXTURES = new URL('../fixtures/injector/requests/', import.meta.url);

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

function post(port: number, ca: TestCa, pathname: string, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: pathname,
        method: 'POST',
        servername: HOST,
        ca: ca.anchor.certificatePem,
        checkServerIdentity: () => undefined,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('nodemesh injector (the process)', () => {
  let dir: string;
  let ca: TestCa;
  let api: FakeApiServer;
  let daemon: Daemon;
  let port: number;
  let adminUrl: string;
  let values: Record<string, unknown>;
  const env: Record<string, string> = {};

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-injector-'));
    ca = await createTestCa();
    api = new FakeApiServer();
    await api.start();
    api.add({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop', labels: { 'nodemesh.io/inject': 'enabled' } },
    });
    api.add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'plain' } });
    await writeFile(path.join(dir, 'kubeconfig'), api.kubeConfig().exportConfig());

    const issuer = new Issuer({
      material: { certificate: ca.issuer.certificate, privateKey: ca.issuer.privateKey },
      trustBundle: ca.trust,
    });
    const { privateKey } = await generateP256KeyPair();
    const issued = issuer.issueFromCsr(createCsr({ identity: HOST, privateKey }), HOST);
    await writeFile(path.join(dir, 'tls.crt'), certificatesToPem([issued.leaf, ...issued.intermediates]));
    await writeFile(path.join(dir, 'tls.key'), exportPrivateKeyPem(privateKey), { mode: 0o600 });

    // What the chart renders into the nodemesh-config ConfigMap: its values plus the namespace.
    values = {
      ...(await loadChartValues([])),
      controlPlaneNamespace: 'nodemesh',
      identityTrustAnchorsPEM: ca.anchor.certificatePem,
    };
    await writeFile(path.join(dir, 'values'), stringify(values));

    port = await freePort();
    const adminPort = await freePort();
    adminUrl = `http://127.0.0.1:${adminPort}`;
    Object.assign(env, {
      KUBECONFIG: path.join(dir, 'kubeconfig'),
      NODEMESH_INJECTOR_LISTEN_ADDR: `127.0.0.1:${port}`,
      NODEMESH_INJECTOR_ADMIN_LISTEN_ADDR: `127.0.0.1:${adminPort}`,
      NODEMESH_INJECTOR_TLS_CERT_FILE: path.join(dir, 'tls.crt'),
      NODEMESH_INJECTOR_TLS_KEY_FILE: path.join(dir, 'tls.key'),
      NODEMESH_INJECTOR_CONFIG: path.join(dir, 'values'),
      NODEMESH_LOG_FORMAT: 'json',
    });
    daemon = startDaemon(['injector'], env);
    await waitReady(daemon, `${adminUrl}/ready`);
  });

  after(async () => {
    await daemon?.stop();
    killAll();
    await api?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const metric = async (name: string, labels: Record<string, string>) =>
    sumSamples(parsePrometheusText(await (await fetch(`${adminUrl}/metrics`)).text()), name, labels);

  test('a pod of a meshed namespace gets the patch the injector library computes', async () => {
    const body = await readFile(new URL('deployment-namespace-enabled.json', FIXTURES), 'utf8');
    const answer = await post(port, ca, '/', body);
    assert.equal(answer.status, 200);
    const expected = await reviewAdmission(JSON.parse(body), {
      config: parseInjectorConfig(values),
      namespaces: () => Promise.resolve({ labels: { 'nodemesh.io/inject': 'enabled' }, annotations: {} }),
    });
    assert.deepEqual(answer.body, expected);
    const response = answer.body.response;
    assert.equal(response.allowed, true);
    assert.match(Buffer.from(response.patch ?? '', 'base64').toString(), /"name":"nodemesh-proxy"/);
    assert.equal(await metric('injector_pods_total', { kind: 'Pod', result: 'injected' }), 1);
  });

  test('a pod of a namespace that is not meshed is allowed unchanged', async () => {
    const review = JSON.parse(await readFile(new URL('deployment-namespace-enabled.json', FIXTURES), 'utf8')) as {
      request: { uid: string; namespace: string };
    };
    review.request.uid = 'plain-1';
    review.request.namespace = 'plain';
    const answer = await post(port, ca, '/', JSON.stringify(review));
    assert.deepEqual((answer.body as AdmissionReviewResponse).response, { uid: 'plain-1', allowed: true });
    assert.equal(await metric('injector_pods_total', { kind: 'Pod', result: 'skipped' }), 1);
  });

  test('Events on the owner say a pod was injected, or why a pod that asked for the proxy did not get it', async () => {
    const hostNetwork = await post(port, ca, '/', await readFile(new URL('host-network.json', FIXTURES), 'utf8'));
    assert.equal((hostNetwork.body as AdmissionReviewResponse).response.allowed, true);
    type Event = { reason: string; message: string; involvedObject: { kind: string; name: string } };
    const events = async (): Promise<Event[]> => {
      const res = await fetch(`${api.url}/api/v1/namespaces/shop/events`, {
        headers: { authorization: `Bearer ${api.bearerToken}` },
      });
      return ((await res.json()) as { items: Event[] }).items;
    };
    let seen: Event[] = [];
    for (let i = 0; i < 50 && seen.length < 2; i++) {
      seen = await events();
      await new Promise((r) => setTimeout(r, 50));
    }
    const injected = seen.find((e) => e.reason === 'Injected');
    assert.equal(injected?.involvedObject.kind, 'ReplicaSet');
    assert.equal(injected?.involvedObject.name, 'web-5d4f8c9b7');
    const skipped = seen.find((e) => e.reason === 'InjectionSkipped');
    assert.equal(skipped?.involvedObject.name, 'node-agent');
    assert.match(skipped?.message ?? '', /host network/);
  });

  test('/validate refuses an invalid ServiceProfile with the field at fault', async () => {
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'sp-1',
        kind: { group: 'nodemesh.io', version: 'v1alpha2', kind: 'ServiceProfile' },
        namespace: 'shop',
        operation: 'CREATE',
        object: {
          apiVersion: 'nodemesh.io/v1alpha2',
          kind: 'ServiceProfile',
          metadata: { name: 'web.shop.svc.cluster.local', namespace: 'shop' },
          spec: { routes: [{ name: 'r', condition: { pathRegex: '(' } }] },
        },
      },
    };
    const answer = await post(port, ca, '/validate', JSON.stringify(review));
    const response = (answer.body as AdmissionReviewResponse).response;
    assert.equal(response.allowed, false);
    assert.equal(response.status?.code, 422);
    assert.match(response.status?.message ?? '', /spec\.routes\[0\]\.condition\.pathRegex/);
    assert.equal(await metric('injector_validations_total', { kind: 'ServiceProfile', result: 'invalid' }), 1);
  });

  test('a body that is not an AdmissionReview gets 400 with the reason, and the server goes on', async () => {
    const answer = await post(port, ca, '/', JSON.stringify({ apiVersion: 'v1', kind: 'Pod' }));
    assert.equal(answer.status, 400);
    assert.match((answer.body as { message: string }).message, /not an AdmissionReview/);
    assert.equal(await metric('injector_admission_reviews_total', { webhook: 'inject', result: 'bad_request' }), 1);
    const again = await post(port, ca, '/', await readFile(new URL('service-opaque-ports.json', FIXTURES), 'utf8'));
    assert.equal(again.status, 200);
  });

  test('the certificate it serves is the mounted one', async () => {
    const served = await new Promise<X509Certificate>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/',
          method: 'GET',
          servername: HOST,
          rejectUnauthorized: false,
          agent: false,
        },
        (res) => {
          res.resume();
          const cert = (res.socket as TLSSocket).getPeerX509Certificate();
          if (cert === undefined) reject(new Error('no certificate'));
          else resolve(cert);
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.match(served.subjectAltName ?? '', new RegExp(`DNS:${HOST.replaceAll('.', '\\.')}`));
  });

  test('stops cleanly on SIGTERM', async () => {
    assert.equal(await daemon.stop(), 0, daemon.output());
    assert.match(daemon.output(), /"msg":"proxy injector stopping"/);
  });

  test('refuses to start on a values file with a bad proxy setting, naming the key', async () => {
    const bad = { ...values, proxy: { ...(values['proxy'] as Record<string, unknown>), defaultInboundPolicy: 'open' } };
    await writeFile(path.join(dir, 'bad-values'), stringify(bad));
    const result = await nodemesh(['injector'], { ...env, NODEMESH_INJECTOR_CONFIG: path.join(dir, 'bad-values') });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /proxy\.defaultInboundPolicy/);
  });
});
