// The whole mesh on real Linux networking, shared by the proxy-init run and the CNI run: pod A
// (meshed client) calls the Service `web` by its virtual IP with plain curl and reaches the two
// meshed replicas B1 and B2 through both proxies over mTLS; pod C has no proxy. How the iptables
// rules get into the meshed pods is the one thing the two runs do differently (`intercept`).
//
// Contract: call `meshScenario()` inside a describe(); it registers before/after hooks and the
// tests. Needs root, iproute2, iptables, setpriv, curl and tcpdump; otherwise every test is
// skipped with the reason.

import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { after, before, test } from 'node:test';
import { cleanupNetns, netnsUnavailable } from './netns.ts';
import { parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';
import { MeshLab, NODE, captureBridge, curlIn, type LabPod } from './mesh-lab.ts';

/** Puts the rules into a meshed pod before its proxy starts. */
export type Intercept = (
  lab: MeshLab,
  pod: LabPod,
  rules: { readonly inboundPortsToIgnore?: string; readonly outboundPortsToIgnore?: string },
) => Promise<void>;

export interface ScenarioOptions {
  /** Extra tools the interception needs. */
  readonly tools?: readonly string[];
  readonly intercept: Intercept;
  /** Runs after the lab exists and before any pod is intercepted (e.g. start a fake API server). */
  readonly setup?: (lab: MeshLab, pods: ScenarioPods) => Promise<void>;
  readonly teardown?: () => Promise<void>;
}

export interface ScenarioPods {
  readonly a: LabPod;
  readonly b1: LabPod;
  readonly b2: LabPod;
  readonly c: LabPod;
}

const NAMESPACE = 'shop';
const SKIPPED_INBOUND = 9999;
const SKIPPED_OUTBOUND = 7777;
const PROXIED_OUTBOUND = 7778;

const WEB_APP = `
const http = require('node:http'); const net = require('node:net');
const pod = process.argv[1];
http.createServer((req, res) => res.end(JSON.stringify({ pod, path: req.url, clientId: req.headers['l5d-client-id'] ?? null })))
  .listen(8080, '0.0.0.0', () => console.log('listening'));
net.createServer((s) => s.end('direct ' + s.remoteAddress + '\\n')).listen(${SKIPPED_INBOUND}, '0.0.0.0');
`;
const PLAIN_APP = `
const http = require('node:http');
for (const port of [${SKIPPED_OUTBOUND}, ${PROXIED_OUTBOUND}]) {
  http.createServer((req, res) => res.end('c:' + port)).listen(port, '0.0.0.0');
}
console.log('listening');
`;

function clusterYaml(vip: string, pods: ScenarioPods): string {
  const pod = (p: LabPod, sa: string, app: string): string => `apiVersion: v1
kind: Pod
metadata:
  name: ${p.name}
  namespace: ${NAMESPACE}
  labels: { app: ${app}, nodemesh.io/control-plane-ns: nodemesh }
spec:
  serviceAccountName: ${sa}
  containers: [{ name: app, image: e2e/${app} }, { name: nodemesh-proxy, image: nodemesh }]
status:
  podIP: ${p.ip}
`;
  return [
    `apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${NAMESPACE} }
spec:
  clusterIP: ${vip}
  ports: [{ name: http, port: 80, targetPort: 8080 }]
`,
    pod(pods.a, 'front', 'front'),
    pod(pods.b1, 'web', 'web'),
    pod(pods.b2, 'web', 'web'),
    `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-1
  namespace: ${NAMESPACE}
  labels: { kubernetes.io/service-name: web }
addressType: IPv4
ports: [{ name: http, port: 8080 }]
endpoints:
  - { addresses: ['${pods.b1.ip}'], conditions: { ready: true }, targetRef: { kind: Pod, name: ${pods.b1.name}, namespace: ${NAMESPACE} } }
  - { addresses: ['${pods.b2.ip}'], conditions: { ready: true }, targetRef: { kind: Pod, name: ${pods.b2.name}, namespace: ${NAMESPACE} } }
`,
  ].join('---\n');
}

/** The pod proxy's metrics, only the lines of the nodemesh traffic and policy families. */
interface WebReply {
  readonly pod: string;
  readonly path: string;
  readonly clientId: string | null;
}

async function adminMetrics(pod: LabPod): Promise<string> {
  const text = await curlIn(pod, 'http://127.0.0.1:4191/metrics');
  return text
    .split('\n')
    .filter((line) => /^(request_total|response_total|tcp_open_total|inbound_authz_total)\{/.test(line))
    .join('\n');
}

export function meshScenario(opts: ScenarioOptions): void {
  let skip: string | undefined;
  let lab: MeshLab | undefined;
  let pods: ScenarioPods;
  let capture: { stop(): Promise<Buffer> } | undefined;
  const r = randomInt(2, 250);
  const vip = `10.96.${r}.10`;

  before(async () => {
    skip = await netnsUnavailable(['iptables', 'setpriv', 'curl', 'tcpdump', ...(opts.tools ?? [])]);
    if (skip !== undefined) return;
    lab = await MeshLab.create(`10.201.${r}`);
    pods = {
      a: await lab.addPod('a', 10),
      b1: await lab.addPod('b1', 11),
      b2: await lab.addPod('b2', 12),
      c: await lab.addPod('c', 13),
    };
    await opts.setup?.(lab, pods);
    await lab.startControlPlane(clusterYaml(vip, pods));
    await opts.intercept(lab, pods.a, { outboundPortsToIgnore: String(SKIPPED_OUTBOUND) });
    await opts.intercept(lab, pods.b1, { inboundPortsToIgnore: String(SKIPPED_INBOUND) });
    await opts.intercept(lab, pods.b2, { inboundPortsToIgnore: String(SKIPPED_INBOUND) });
    await pods.b1.ns.spawn(NODE, ['-e', WEB_APP, 'b1']).waitFor(/listening/);
    await pods.b2.ns.spawn(NODE, ['-e', WEB_APP, 'b2']).waitFor(/listening/);
    await pods.c.ns.spawn(NODE, ['-e', PLAIN_APP]).waitFor(/listening/);
    // From before the proxies start: whenever they open their connections, the capture has them.
    capture = await captureBridge(lab);
    await Promise.all([
      lab.startProxy(pods.a, { namespace: NAMESPACE, serviceAccount: 'front' }),
      lab.startProxy(pods.b1, { namespace: NAMESPACE, serviceAccount: 'web' }),
      lab.startProxy(pods.b2, {
        namespace: NAMESPACE,
        serviceAccount: 'web',
        env: { NODEMESH_PROXY_INBOUND_DEFAULT_POLICY: 'all-authenticated' },
      }),
    ]);
  });
  after(async () => {
    await cleanupNetns();
    await opts.teardown?.();
    await lab?.dispose();
  });

  test('curl in pod A reaches both replicas of the Service by its virtual IP over mTLS; the bridge sees only TLS', async (t) => {
    if (skip !== undefined || lab === undefined || capture === undefined) return t.skip(skip);
    const marker = `secret-${randomBytes(6).toString('hex')}`;
    const seen = new Map<string, number>();
    // Batches of concurrent requests, as real clients send them: the balancer weighs endpoints by
    // their outstanding requests, so one slow first answer cannot starve a replica.
    for (let batch = 0; batch < 5; batch++) {
      const bodies = await Promise.all(
        Array.from({ length: 8 }, async () => JSON.parse(await curlIn(pods.a, `http://${vip}/${marker}`)) as WebReply),
      );
      for (const body of bodies) {
        assert.equal(body.path, `/${marker}`);
        assert.equal(body.clientId, MeshLab.identityOf(NAMESPACE, 'front'), 'B saw A’s mesh identity');
        seen.set(body.pod, (seen.get(body.pod) ?? 0) + 1);
      }
    }
    const bytes = await capture.stop();
    assert.deepEqual([...seen.keys()].sort(), ['b1', 'b2'], `both replicas answered: ${JSON.stringify([...seen])}`);
    assert.equal(bytes.includes(marker), false, 'the request path never crossed the bridge in plaintext');
    assert.equal(bytes.includes('"clientId"'), false, 'the response body never crossed the bridge in plaintext');
    assert.ok(bytes.includes(MeshLab.identityOf(NAMESPACE, 'web')), 'a ClientHello named B’s identity (SNI)');
    assert.ok(bytes.includes(Buffer.from([0x17, 0x03, 0x03])), 'TLS application data records crossed the bridge');

    const a = await adminMetrics(pods.a);
    const outbound = { direction: 'outbound', tls: 'true', server_id: MeshLab.identityOf(NAMESPACE, 'web') };
    assert.ok(sumSamples(parsePrometheusText(a), 'request_total', outbound) >= 1, a);
    const b1 = await adminMetrics(pods.b1);
    const inbound = { direction: 'inbound', tls: 'true', client_id: MeshLab.identityOf(NAMESPACE, 'front') };
    assert.ok(sumSamples(parsePrometheusText(b1), 'request_total', inbound) >= 1, b1);
  });

  test('pod C without a proxy is allowed by B1 (counted as no_identity) and refused by B2 (all-authenticated)', async (t) => {
    if (skip !== undefined || lab === undefined) return t.skip(skip);
    const allowed = JSON.parse(await curlIn(pods.c, `http://${pods.b1.ip}:8080/plain`)) as { clientId: unknown };
    assert.equal(allowed.clientId, null, 'no client identity without mTLS');
    const b1 = await adminMetrics(pods.b1);
    assert.ok(
      sumSamples(parsePrometheusText(b1), 'request_total', { direction: 'inbound', tls: 'no_identity' }) >= 1,
      b1,
    );

    const refused = await curlIn(pods.c, `http://${pods.b2.ip}:8080/plain`, ['-o', '/dev/null', '-w', '%{http_code}']);
    assert.equal(refused, '403');
    const b2 = await adminMetrics(pods.b2);
    const denied = { protocol: 'http', decision: 'deny', target_port: '8080' };
    assert.ok(sumSamples(parsePrometheusText(b2), 'inbound_authz_total', denied) >= 1, b2);
  });

  test('skip ports bypass the proxies: inbound 9999 on B, outbound 7777 from A', async (t) => {
    if (skip !== undefined || lab === undefined) return t.skip(skip);
    const direct = await pods.c.ns.exec(NODE, [
      '-e',
      `const s = require('node:net').connect(${SKIPPED_INBOUND}, process.argv[1]); s.on('data', (d) => process.stdout.write(d)); s.on('error', (e) => { console.error(e.message); process.exit(1); });`,
      pods.b1.ip,
    ]);
    assert.equal(direct.stdout.trim(), `direct ${pods.c.ip}`, 'the app saw C itself, not a proxy');

    assert.equal(await curlIn(pods.a, `http://${pods.c.ip}:${SKIPPED_OUTBOUND}/`), `c:${SKIPPED_OUTBOUND}`);
    assert.equal(await curlIn(pods.a, `http://${pods.c.ip}:${PROXIED_OUTBOUND}/`), `c:${PROXIED_OUTBOUND}`);
    const a = await adminMetrics(pods.a);
    assert.ok(a.includes(`target_addr="${pods.c.ip}:${PROXIED_OUTBOUND}"`), 'the proxied port went through A’s proxy');
    assert.equal(a.includes(`${pods.c.ip}:${SKIPPED_OUTBOUND}`), false, 'the skipped port did not');
    const b1 = await adminMetrics(pods.b1);
    assert.equal(b1.includes(`:${SKIPPED_INBOUND}"`), false, 'B1’s proxy never saw port 9999');
  });
}
