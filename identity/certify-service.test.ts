import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { MeshError, type ErrorCode } from '../src/errors/index.ts';
import { createLogger } from '../src/log/index.ts';
import { createRegistry, parsePrometheusText, sumSamples } from '../src/metrics/index.ts';
import { createTestCa, createTestWorkload, dnsNames, type TestCa, type TestWorkload } from '../src/testing/index.ts';
import { identityName, loadIssuerFromPem, type Issuer } from '../src/tls/index.ts';
import { CertifyService } from './certify-service.ts';
import { rescue } from './rescue.ts';
import type { TokenValidator, ValidatedToken } from './token-validator.ts';

/** A validator that knows a fixed table of tokens (a fake, not a mock). */
class TableValidator implements TokenValidator {
  readonly #tokens: ReadonlyMap<string, ValidatedToken | MeshError>;
  constructor(tokens: Record<string, ValidatedToken | MeshError>) {
    this.#tokens = new Map(Object.entries(tokens));
  }
  validate(token: Uint8Array | string): Promise<ValidatedToken> {
    const found = this.#tokens.get(typeof token === 'string' ? token : Buffer.from(token).toString());
    if (found === undefined)
      return Promise.reject(new MeshError('MESH_ERR_TOKEN_INVALID', 'the token is not signed by a known key'));
    if (found instanceof MeshError) return Promise.reject(found);
    return Promise.resolve(found);
  }
}

const silent = createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' });

describe('CertifyService', () => {
  let ca: TestCa;
  let web: TestWorkload;
  let issuer: Issuer;
  const webIdentity = 'web.shop.serviceaccount.identity.nodemesh.cluster.local';
  const registry = createRegistry({ component: 'identity', version: '0', collectDefaults: false });
  let service: CertifyService;
  let noIssuer: CertifyService;

  before(async () => {
    ca = await createTestCa();
    web = await createTestWorkload(webIdentity);
    issuer = loadIssuerFromPem(
      { certificatePem: ca.issuer.certificatePem, privateKeyPem: ca.issuer.privateKeyPem },
      { trustBundle: ca.trust },
    );
    const validator = new TableValidator({
      'web-token': { namespace: 'shop', serviceAccount: 'web' },
      'db-token': { namespace: 'shop', serviceAccount: 'db' },
      'expired-token': new MeshError('MESH_ERR_TOKEN_EXPIRED', 'the token expired at 2026-01-01T00:00:00Z'),
      'review-down': new MeshError('MESH_ERR_TOKEN_REVIEW', 'the Kubernetes API did not answer the TokenReview'),
    });
    service = new CertifyService({ issuer: () => issuer, validator, domain: ca.domain, log: silent, registry });
    noIssuer = new CertifyService({
      issuer: () => undefined,
      validator,
      domain: ca.domain,
      log: silent,
      registry: createRegistry({ component: 'identity', version: '0', collectDefaults: false }),
    });
  });

  test('issues a leaf that chains to the anchors and names only the identity', async () => {
    const issued = await service.certify({
      identity: webIdentity,
      token: Buffer.from('web-token'),
      certificateSigningRequest: web.csr,
    });
    assert.deepEqual(dnsNames(issued.leaf), [webIdentity]);
    const leaf = new X509Certificate(issued.leaf);
    const issuerCert = new X509Certificate(ca.issuer.certificate);
    assert.ok(leaf.checkIssued(issuerCert) && leaf.verify(issuerCert.publicKey));
    assert.equal(issued.intermediates.length, 1);
    assert.ok(Buffer.from(issued.intermediates[0] ?? []).equals(ca.issuer.certificate));
    const lifetimeH = (issued.validUntil.getTime() - Date.now()) / 3_600_000;
    assert.ok(lifetimeH > 23.9 && lifetimeH < 24.1, `lifetime ${lifetimeH} h`);
    assert.ok(ca.trust.verifyChain(issued.leaf, issued.intermediates, new Date()));
  });

  const rejections: {
    name: string;
    identity?: string;
    token?: string;
    csr?: 'web' | 'db' | 'garbage' | 'empty';
    useNoIssuer?: boolean;
    code: ErrorCode;
    grpc: GrpcStatus;
    message: RegExp;
  }[] = [
    {
      name: 'a request without a token',
      token: '',
      code: 'MESH_ERR_CERTIFY_REQUEST',
      grpc: GrpcStatus.INVALID_ARGUMENT,
      message: /has no token/,
    },
    {
      name: 'a request without identity and CSR',
      identity: '',
      csr: 'empty',
      code: 'MESH_ERR_CERTIFY_REQUEST',
      grpc: GrpcStatus.INVALID_ARGUMENT,
      message: /has no identity, certificate_signing_request/,
    },
    {
      name: 'an identity that is not an identity name',
      identity: 'web.shop.svc.cluster.local',
      code: 'MESH_ERR_IDENTITY_NAME',
      grpc: GrpcStatus.INVALID_ARGUMENT,
      message: /expected <serviceaccount>\.<namespace>\.serviceaccount\.identity/,
    },
    {
      name: "an identity of another control plane's domain",
      identity: 'web.shop.serviceaccount.identity.linkerd.cluster.local',
      code: 'MESH_ERR_CERTIFY_REQUEST',
      grpc: GrpcStatus.INVALID_ARGUMENT,
      message:
        /not in this control plane's domain: it must end in \.serviceaccount\.identity\.nodemesh\.cluster\.local/,
    },
    {
      name: 'an unparsable CSR',
      csr: 'garbage',
      code: 'MESH_ERR_TLS_CSR',
      grpc: GrpcStatus.INVALID_ARGUMENT,
      message: /certificate signing request could not be parsed/,
    },
    {
      name: "a CSR for someone else's identity",
      csr: 'db',
      code: 'MESH_ERR_TLS_CSR',
      grpc: GrpcStatus.FAILED_PRECONDITION,
      message: /db\.shop/,
    },
    {
      name: 'a token no key signed',
      token: 'forged',
      code: 'MESH_ERR_TOKEN_INVALID',
      grpc: GrpcStatus.UNAUTHENTICATED,
      message: /not signed by a known key/,
    },
    {
      name: 'an expired token',
      token: 'expired-token',
      code: 'MESH_ERR_TOKEN_EXPIRED',
      grpc: GrpcStatus.UNAUTHENTICATED,
      message: /expired/,
    },
    {
      name: 'a valid token of another service account',
      token: 'db-token',
      code: 'MESH_ERR_IDENTITY_MISMATCH',
      grpc: GrpcStatus.PERMISSION_DENIED,
      message: /belongs to service account shop\/db .* not to the identity requested/,
    },
    {
      name: 'a token review that cannot be done',
      token: 'review-down',
      code: 'MESH_ERR_TOKEN_REVIEW',
      grpc: GrpcStatus.UNAVAILABLE,
      message: /did not answer/,
    },
    {
      name: 'a request while no issuer is loaded',
      useNoIssuer: true,
      code: 'MESH_ERR_ISSUER_UNAVAILABLE',
      grpc: GrpcStatus.UNAVAILABLE,
      message: /no issuer certificate is loaded/,
    },
  ];
  for (const r of rejections) {
    test(`refuses ${r.name} with ${r.code}`, async () => {
      const db = await createTestWorkload(identityName({ serviceAccount: 'db', namespace: 'shop', ...ca.domain }));
      const csr = { web: web.csr, db: db.csr, garbage: Buffer.from('not a csr'), empty: Buffer.alloc(0) }[
        r.csr ?? 'web'
      ];
      const svc = r.useNoIssuer === true ? noIssuer : service;
      const err = await svc
        .certify({
          identity: r.identity ?? webIdentity,
          token: Buffer.from(r.token ?? 'web-token'),
          certificateSigningRequest: csr,
        })
        .then(
          () => assert.fail('expected a refusal'),
          (e: unknown) => e,
        );
      assert.ok(err instanceof MeshError, String(err));
      assert.equal(err.code, r.code);
      assert.match(err.message, r.message);
      assert.equal(rescue(err).code, r.grpc);
    });
  }

  test('counts outcomes in identity_certify_requests_total', async () => {
    const parsed = parsePrometheusText(await registry.metrics());
    assert.ok(sumSamples(parsed, 'identity_certify_requests_total', { outcome: 'issued' }) >= 1);
    assert.ok(sumSamples(parsed, 'identity_certify_requests_total', { outcome: 'MESH_ERR_IDENTITY_MISMATCH' }) >= 1);
    assert.ok(sumSamples(parsed, 'identity_certify_duration_seconds_count') >= 2);
  });

  test('an unexpected error becomes INTERNAL without leaking its message', () => {
    const status = rescue(new TypeError('secret detail'));
    assert.equal(status.code, GrpcStatus.INTERNAL);
    assert.doesNotMatch(status.details, /secret/);
  });
});
