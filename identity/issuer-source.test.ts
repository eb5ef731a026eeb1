import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../src/log/index.ts';
import { createRegistry, parsePrometheusText, sumSamples } from '../src/metrics/index.ts';
import { createTestCa, rotateIssuer, type TestCa } from '../src/testing/index.ts';
import type { CreatedCa } from '../src/tls/index.ts';
import { IssuerSource } from './issuer-source.ts';

const silent = createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' });

async function writeIssuer(
  dir: string,
  issuer: CreatedCa,
  names: readonly [string, string] = ['crt.pem', 'key.pem'],
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, names[1]), issuer.privateKeyPem);
  await writeFile(path.join(dir, names[0]), issuer.certificatePem);
}

describe('IssuerSource', () => {
  let ca: TestCa;
  let root: string;
  const sources: IssuerSource[] = [];
  before(async () => {
    ca = await createTestCa();
    root = await mkdtemp(path.join(tmpdir(), 'nodemesh-issuer-'));
  });
  after(async () => {
    for (const s of sources) s.close();
    await rm(root, { recursive: true, force: true });
  });

  async function source(
    name: string,
    pollIntervalMs = 60_000,
  ): Promise<{ src: IssuerSource; dir: string; registry: ReturnType<typeof createRegistry>; changes: string[] }> {
    const dir = path.join(root, name, 'issuer');
    const anchors = path.join(root, name, 'ca-bundle.crt');
    await mkdir(dir, { recursive: true });
    await writeFile(anchors, ca.anchor.certificatePem);
    const registry = createRegistry({ component: 'identity', version: '0', collectDefaults: false });
    const changes: string[] = [];
    const src = new IssuerSource({
      issuerDir: dir,
      trustAnchorsFile: anchors,
      pollIntervalMs,
      issuerOptions: {},
      log: silent,
      registry,
      onChange: (issuer) => changes.push(issuer.subject),
    });
    sources.push(src);
    return { src, dir, registry, changes };
  }

  test('loads crt.pem/key.pem and reports the issuer TTL', async () => {
    const { src, dir, registry, changes } = await source('basic');
    await writeIssuer(dir, ca.issuer);
    const result = await src.start();
    assert.equal(result.kind, 'loaded');
    assert.equal(src.current()?.subject, 'CN=identity.nodemesh.cluster.local');
    assert.deepEqual(changes, ['CN=identity.nodemesh.cluster.local']);
    const ttl = sumSamples(parsePrometheusText(await registry.metrics()), 'issuer_cert_ttl_seconds');
    assert.ok(ttl > 364 * 86400 && ttl <= 366 * 86400, `ttl ${ttl}`);
  });

  test('prefers tls.crt/tls.key (a kubernetes.io/tls Secret)', async () => {
    const { src, dir } = await source('k8s-secret');
    const other = await rotateIssuer(ca);
    await writeIssuer(dir, ca.issuer);
    await writeIssuer(dir, other, ['tls.crt', 'tls.key']);
    await src.start();
    assert.ok(src.current()?.certificate.equals(other.certificate));
  });

  test('has no issuer, and says why, until the files appear', async () => {
    const { src, dir } = await source('late');
    const first = await src.start();
    assert.equal(first.kind, 'refused');
    assert.match(first.kind === 'refused' ? first.reason : '', /expected tls\.crt \+ tls\.key or crt\.pem \+ key\.pem/);
    assert.equal(src.current(), undefined);
    await writeIssuer(dir, ca.issuer);
    assert.equal((await src.reload()).kind, 'loaded');
  });

  test('rotates to a new issuer and reports unchanged files as unchanged', async () => {
    const { src, dir, changes } = await source('rotate');
    await writeIssuer(dir, ca.issuer);
    await src.start();
    assert.equal((await src.reload()).kind, 'unchanged');
    const next = await rotateIssuer(ca);
    await writeIssuer(dir, next);
    assert.equal((await src.reload()).kind, 'loaded');
    assert.ok(src.current()?.certificate.equals(next.certificate));
    assert.equal(changes.length, 2);
  });

  test('refuses an issuer from another CA or a non-CA certificate and keeps the previous one', async () => {
    const { src, dir, registry } = await source('refuse');
    await writeIssuer(dir, ca.issuer);
    await src.start();
    const foreign = await createTestCa();
    await writeIssuer(dir, foreign.issuer);
    const refused = await src.reload();
    assert.equal(refused.kind, 'refused');
    assert.match(refused.kind === 'refused' ? refused.reason : '', /not issued by any trust anchor/);
    assert.ok(src.current()?.certificate.equals(ca.issuer.certificate), 'previous issuer kept');

    await writeIssuer(dir, { ...ca.issuer, privateKeyPem: foreign.issuer.privateKeyPem });
    const mismatch = await src.reload();
    assert.match(mismatch.kind === 'refused' ? mismatch.reason : '', /does not belong to the issuer certificate/);
    assert.ok(src.current()?.certificate.equals(ca.issuer.certificate));
    const parsed = parsePrometheusText(await registry.metrics());
    assert.equal(sumSamples(parsed, 'identity_issuer_reload_total', { result: 'refused' }), 2);
  });

  test('picks up a change on disk by itself', async () => {
    const { src, dir } = await source('watch', 200);
    await writeIssuer(dir, ca.issuer);
    await src.start();
    const next = await rotateIssuer(ca);
    await writeIssuer(dir, next);
    for (let i = 0; i < 50 && !src.current()?.certificate.equals(next.certificate); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(src.current()?.certificate.equals(next.certificate), 'the new issuer was loaded within 5 s');
  });
});
