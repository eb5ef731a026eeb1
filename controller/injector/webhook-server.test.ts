import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import type { TLSSocket } from 'node:tls';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { MeshError } from '../../src/errors/index.ts';
import { createLogger } from '../../src/log/index.ts';
import { createRegistry, parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';
import { createTestCa, type TestCa } from '../../src/testing/index.ts';
import { Issuer, certificatesToPem, createCsr, exportPrivateKeyPem, generateP256KeyPair } from '../../src/tls/index.ts';
import { MAX_REVIEW_BYTES, WebhookServer, type ReviewHandler } from './webhook-server.ts';

const HOST = 'nodemesh-proxy-injector.nodemesh.svc';
const log = createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' });
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function writeServingPair(ca: TestCa, dir: string): Promise<string> {
  const issuer = new Issuer({
    material: { certificate: ca.issuer.certificate, privateKey: ca.issuer.privateKey },
    trustBundle: ca.trust,
  });
  const { privateKey } = await generateP256KeyPair();
  const issued = issuer.issueFromCsr(createCsr({ identity: HOST, privateKey }), HOST);
  await writeFile(path.join(dir, 'tls.crt'), certificatesToPem([issued.leaf, ...issued.intermediates]));
  await writeFile(path.join(dir, 'tls.key'), exportPrivateKeyPem(privateKey), { mode: 0o600 });
  return new X509Certificate(issued.leaf).fingerprint256;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly fingerprint: string;
}

function post(
  port: number,
  ca: TestCa,
  pathname: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
  method = 'POST',
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: pathname,
        method,
        servername: HOST,
        ca: ca.anchor.certificatePem,
        checkServerIdentity: () => undefined,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const peer = (res.socket as TLSSocket).getPeerX509Certificate();
          resolve({
            status: res.statusCode ?? 0,
            body: text === '' ? undefined : JSON.parse(text),
            fingerprint: peer?.fingerprint256 ?? '',
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function startServer(handlers: Record<string, ReviewHandler>) {
  const ca = await createTestCa();
  const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-webhook-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const fingerprint = await writeServingPair(ca, dir);
  const registry = createRegistry({ component: 'injector', version: 'test' });
  const server = new WebhookServer({
    address: { host: '127.0.0.1', port: 0 },
    tls: { certFile: path.join(dir, 'tls.crt'), keyFile: path.join(dir, 'tls.key') },
    routes: Object.fromEntries(
      Object.entries(handlers).map(([p, handle]) => [p, { name: p === '/' ? 'inject' : 'validate', handle }]),
    ),
    badRequestCodes: ['MESH_ERR_USAGE'],
    registry,
    log,
    reloadIntervalMs: 3_600_000,
  });
  const { port } = await server.start();
  cleanups.push(() => server.close());
  const reviews = async (labels: Record<string, string>) =>
    sumSamples(parsePrometheusText(await registry.metrics()), 'injector_admission_reviews_total', labels);
  return { ca, dir, fingerprint, server, port, reviews };
}

const review = (allowed: boolean, patch?: string) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  response: { uid: 'u1', allowed, ...(patch === undefined ? {} : { patchType: 'JSONPatch', patch }) },
});

describe('WebhookServer', () => {
  test('answers each path with its handler over TLS and counts the results', async () => {
    const seen: unknown[] = [];
    const s = await startServer({
      '/': (body) => {
        seen.push(body);
        return Promise.resolve(review(true, Buffer.from('[]').toString('base64')));
      },
      '/validate': () => Promise.resolve(review(false)),
    });
    const injected = await post(s.port, s.ca, '/', JSON.stringify({ kind: 'AdmissionReview', request: { uid: 'u1' } }));
    assert.equal(injected.status, 200);
    assert.equal(injected.fingerprint, s.fingerprint);
    assert.deepEqual(seen, [{ kind: 'AdmissionReview', request: { uid: 'u1' } }]);
    assert.equal((injected.body as ReturnType<typeof review>).response.allowed, true);
    const denied = await post(s.port, s.ca, '/validate?timeout=10s', '{}', {
      'content-type': 'application/json; charset=utf-8',
    });
    assert.equal(denied.status, 200);
    assert.equal(await s.reviews({ webhook: 'inject', result: 'patched' }), 1);
    assert.equal(await s.reviews({ webhook: 'validate', result: 'denied' }), 1);
  });

  test('refuses what is not a JSON AdmissionReview POST with a status and a message', async () => {
    const s = await startServer({ '/': () => Promise.resolve(review(true)) });
    const cases: [string, () => Promise<Answer>, number, RegExp][] = [
      ['unknown path', () => post(s.port, s.ca, '/mutate', '{}'), 404, /no webhook at \/mutate/],
      ['GET', () => post(s.port, s.ca, '/', '', {}, 'GET'), 405, /POSTed, not GET/],
      ['text body', () => post(s.port, s.ca, '/', '{}', { 'content-type': 'text/plain' }), 415, /application\/json/],
      ['broken JSON', () => post(s.port, s.ca, '/', '{"kind":'), 400, /not JSON/],
      ['over 10 MiB', () => post(s.port, s.ca, '/', Buffer.alloc(MAX_REVIEW_BYTES + 1, 0x20)), 413, /limit/],
    ];
    for (const [what, send, status, message] of cases) {
      const answer = await send();
      assert.equal(answer.status, status, what);
      assert.match((answer.body as { message: string }).message, message, what);
    }
    assert.equal(await s.reviews({ webhook: 'inject', result: 'bad_request' }), 3);
    const still = await post(s.port, s.ca, '/', '{}');
    assert.equal(still.status, 200, 'still serving after bad requests');
  });

  test('a handler error is 400 when the review was malformed and 500 otherwise', async () => {
    let next: Error = new MeshError('MESH_ERR_USAGE', 'request.uid is missing');
    const s = await startServer({ '/': () => Promise.reject(next) });
    const bad = await post(s.port, s.ca, '/', '{}');
    assert.equal(bad.status, 400);
    assert.match((bad.body as { message: string }).message, /inject webhook: request\.uid is missing/);
    next = new Error('boom');
    const failed = await post(s.port, s.ca, '/', '{}');
    assert.equal(failed.status, 500);
    assert.equal(await s.reviews({ webhook: 'inject', result: 'error' }), 1);
  });

  test('a rotated certificate is served without a restart; a broken one is refused and the old one kept', async () => {
    const s = await startServer({ '/': () => Promise.resolve(review(true)) });
    assert.equal(await s.server.reloadIfChanged(), false, 'nothing changed yet');
    const rotated = await writeServingPair(s.ca, s.dir);
    assert.equal(await s.server.reloadIfChanged(), true);
    assert.equal((await post(s.port, s.ca, '/', '{}')).fingerprint, rotated);

    await writeFile(path.join(s.dir, 'tls.key'), 'not a key');
    assert.equal(await s.server.reloadIfChanged(), false);
    const answer = await post(s.port, s.ca, '/', '{}');
    assert.equal(answer.status, 200);
    assert.equal(answer.fingerprint, rotated, 'the last good certificate is still served');
  });
});
