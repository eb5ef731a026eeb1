import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { MeshError } from '../../src/errors/index.ts';
import { createLogger } from '../../src/log/index.ts';
import { createRegistry, parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';
import { FakeClock, createTestCa, createTestWorkload, type TestCa } from '../../src/testing/index.ts';
import { loadIssuerFromPem, type Issuer } from '../../src/tls/index.ts';
import { WorkloadIdentity, type CertifyClient, type CertifyResult } from './workload-identity.ts';

const silent = createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' });
const IDENTITY = 'web.shop.serviceaccount.identity.nodemesh.cluster.local';
const HOUR = 3_600_000;

/** An in-process identity service: signs with a real Issuer on the fake clock; can be taken down. */
class FakeIdentityService implements CertifyClient {
  calls = 0;
  down = false;
  tamper: ((r: CertifyResult) => CertifyResult) | undefined;
  readonly #issuer: Issuer;
  constructor(issuer: Issuer) {
    this.#issuer = issuer;
  }
  certify(req: { identity: string; token: Uint8Array; csr: Uint8Array }): Promise<CertifyResult> {
    this.calls++;
    if (this.down)
      return Promise.reject(
        new MeshError('MESH_ERR_CERTIFY_CALL', 'Certify failed with UNAVAILABLE: connection refused'),
      );
    assert.equal(Buffer.from(req.token).toString(), 'token-bytes');
    const issued = this.#issuer.issueFromCsr(req.csr, req.identity);
    const result = { leaf: issued.leaf, intermediates: issued.intermediates, validUntil: issued.validUntil };
    return Promise.resolve(this.tamper === undefined ? result : this.tamper(result));
  }
}

describe('WorkloadIdentity', () => {
  let ca: TestCa;
  before(async () => {
    ca = await createTestCa();
  });

  function setup(
    lifetimeMs = 24 * HOUR,
    skewMs = 20_000,
  ): {
    clock: FakeClock;
    service: FakeIdentityService;
    workload: WorkloadIdentity;
    registry: ReturnType<typeof createRegistry>;
    seen: Date[];
  } {
    const clock = new FakeClock();
    const issuer = loadIssuerFromPem(
      { certificatePem: ca.issuer.certificatePem, privateKeyPem: ca.issuer.privateKeyPem },
      { trustBundle: ca.trust, now: () => new Date(clock.now()) },
      { lifetimeMs, clockSkewMs: skewMs },
    );
    const service = new FakeIdentityService(issuer);
    const registry = createRegistry({ component: 'proxy', version: '0', collectDefaults: false });
    const workload = new WorkloadIdentity({
      identity: IDENTITY,
      trust: ca.trust,
      client: service,
      readToken: () => Promise.resolve(Buffer.from('token-bytes')),
      log: silent,
      registry,
      clock,
    });
    const seen: Date[] = [];
    workload.subscribe((cert) => seen.push(cert.validUntil));
    return { clock, service, workload, registry, seen };
  }

  test('certifies at start and publishes the certificate with our key', async () => {
    const { clock, workload, registry, seen } = setup();
    assert.equal(workload.notReadyReason, 'waiting for the first certificate');
    await workload.start();
    await clock.advance(0);
    const cert = workload.current;
    assert.ok(cert !== undefined);
    assert.equal(seen.length, 1);
    assert.match(cert.chainPem, /^-----BEGIN CERTIFICATE-----[\s\S]+-----BEGIN CERTIFICATE-----/);
    assert.match(cert.keyPem, /BEGIN PRIVATE KEY/);
    assert.ok(new X509Certificate(cert.chainPem).checkPrivateKey(createPrivateKey(cert.keyPem)));
    const parsed = parsePrometheusText(await registry.metrics());
    assert.equal(sumSamples(parsed, 'identity_cert_expiration_timestamp_seconds'), cert.validUntil.getTime() / 1000);
    assert.equal(sumSamples(parsed, 'identity_cert_refresh_count'), 0);
    workload.close();
  });

  test('renews at 70 % of the remaining lifetime, not before', async () => {
    const { clock, service, workload, registry, seen } = setup();
    await workload.start();
    await clock.advance(0);
    const first = workload.current?.validUntil.getTime() ?? 0;
    const renewAt = (first - clock.now()) * 0.7;
    await clock.advance(renewAt - 1000);
    assert.equal(service.calls, 1, 'no renewal before 70 %');
    await clock.advance(2000);
    assert.equal(service.calls, 2);
    assert.equal(seen.length, 2);
    assert.ok((workload.current?.validUntil.getTime() ?? 0) > first);
    assert.equal(sumSamples(parsePrometheusText(await registry.metrics()), 'identity_cert_refresh_count'), 1);
    workload.close();
  });

  test('clamps the renewal delay to the minimum refresh of 10 s', async () => {
    const { clock, service, workload } = setup(5000, 0);
    await workload.start();
    await clock.advance(0);
    await clock.advance(9_900);
    assert.equal(service.calls, 1);
    await clock.advance(200);
    assert.equal(service.calls, 2);
    workload.close();
  });

  test('keeps serving with the old certificate while identity is down, then renews', async () => {
    const { clock, service, workload, seen } = setup();
    await workload.start();
    await clock.advance(0);
    const first = workload.current;
    service.down = true;
    const renewAt = ((first?.validUntil.getTime() ?? 0) - clock.now()) * 0.7;
    await clock.advance(renewAt + 60_000);
    assert.ok(service.calls > 2, `retried (${service.calls} calls)`);
    assert.equal(workload.current, first, 'the old certificate stays in use');
    assert.equal(workload.notReadyReason, undefined);
    service.down = false;
    await clock.advance(10 * 60_000);
    assert.equal(seen.length, 2, 'renewed once identity came back');
    assert.notEqual(workload.current, first);
    workload.close();
  });

  test('retries with backoff and says why it is not ready when the first call fails', async () => {
    const { clock, service, workload } = setup();
    service.down = true;
    await workload.start();
    await clock.advance(0);
    assert.match(workload.notReadyReason ?? '', /not certified yet: Certify failed with UNAVAILABLE/);
    await clock.advance(11_000);
    assert.equal(service.calls, 2, 'first retry after about 10 s');
    await clock.advance(22_000);
    assert.equal(service.calls, 3, 'second retry after about 20 s');
    service.down = false;
    await clock.advance(45_000);
    assert.ok(workload.current !== undefined);
    workload.close();
  });

  const tampering: {
    name: string;
    tamper: (ca: TestCa, r: CertifyResult) => Promise<CertifyResult>;
    reason: RegExp;
  }[] = [
    {
      name: 'a certificate for another identity',
      tamper: async (ca, r) => {
        const other = await createTestWorkload('db.shop.serviceaccount.identity.nodemesh.cluster.local');
        const issuer = loadIssuerFromPem(
          { certificatePem: ca.issuer.certificatePem, privateKeyPem: ca.issuer.privateKeyPem },
          { trustBundle: ca.trust },
        );
        const issued = issuer.issueFromCsr(other.csr, other.identity);
        return { ...r, leaf: issued.leaf };
      },
      reason: /for db\.shop\.serviceaccount.* not web\.shop/,
    },
    {
      name: 'a certificate for another key',
      tamper: async (ca, r) => {
        const other = await createTestWorkload(IDENTITY);
        const issuer = loadIssuerFromPem(
          { certificatePem: ca.issuer.certificatePem, privateKeyPem: ca.issuer.privateKeyPem },
          { trustBundle: ca.trust },
        );
        return { ...r, leaf: issuer.issueFromCsr(other.csr, IDENTITY).leaf };
      },
      reason: /another key than ours/,
    },
    {
      name: 'a certificate from another CA',
      tamper: async (_ca, r) => {
        const foreign = await createTestCa();
        const other = await createTestWorkload(IDENTITY);
        const issuer = loadIssuerFromPem(
          { certificatePem: foreign.issuer.certificatePem, privateKeyPem: foreign.issuer.privateKeyPem },
          { trustBundle: foreign.trust },
        );
        const issued = issuer.issueFromCsr(other.csr, IDENTITY);
        return { ...r, leaf: issued.leaf, intermediates: issued.intermediates };
      },
      reason: /does not chain to the trust anchors/,
    },
  ];
  for (const t of tampering) {
    test(`refuses ${t.name}`, async () => {
      const { clock, service, workload, seen } = setup();
      const probe = await createTestWorkload(IDENTITY);
      const honest = loadIssuerFromPem(
        { certificatePem: ca.issuer.certificatePem, privateKeyPem: ca.issuer.privateKeyPem },
        { trustBundle: ca.trust },
      ).issueFromCsr(probe.csr, IDENTITY);
      const tampered = await t.tamper(ca, {
        leaf: honest.leaf,
        intermediates: honest.intermediates,
        validUntil: honest.validUntil,
      });
      service.tamper = () => tampered;
      await workload.start();
      await clock.advance(0);
      assert.equal(workload.current, undefined);
      assert.equal(seen.length, 0);
      assert.match(workload.notReadyReason ?? '', t.reason);
      workload.close();
    });
  }
});
