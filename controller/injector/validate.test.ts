import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { catchError } from '../../src/testing/index.ts';
import { AdmissionReviewError } from './errors.ts';
import { reviewValidation, type ValidationOutcome } from './validate.ts';

function review(object: Record<string, unknown>, options: { operation?: string; group?: string; kind?: string } = {}) {
  const [group, kind] =
    options.kind !== undefined
      ? [options.group ?? '', options.kind]
      : String(object['apiVersion']).includes('/')
        ? [String(object['apiVersion']).split('/')[0], String(object['kind'])]
        : ['', String(object['kind'])];
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'r-1',
      kind: { group, version: 'v1', kind },
      namespace: 'shop',
      operation: options.operation ?? 'CREATE',
      object,
    },
  };
}

const profile = (spec: Record<string, unknown>) => ({
  apiVersion: 'nodemesh.io/v1alpha2',
  kind: 'ServiceProfile',
  metadata: { name: 'web.shop.svc.cluster.local', namespace: 'shop' },
  spec,
});

const httpRoute = (spec: Record<string, unknown>) => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'web-canary', namespace: 'shop' },
  spec,
});

const serviceParent = { parentRefs: [{ group: '', kind: 'Service', name: 'web', port: 80 }] };

describe('reviewValidation', () => {
  test('a valid ServiceProfile is allowed', () => {
    const outcomes: ValidationOutcome[] = [];
    const answer = reviewValidation(
      review(profile({ routes: [{ name: 'GET /books', condition: { method: 'GET', pathRegex: '/books' } }] })),
      (o) => outcomes.push(o),
    );
    assert.deepEqual(answer, {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'r-1', allowed: true },
    });
    assert.deepEqual(outcomes, [
      { kind: 'ServiceProfile', namespace: 'shop', name: 'web.shop.svc.cluster.local', result: 'valid' },
    ]);
  });

  test('an invalid ServiceProfile is refused with 422 and every problem named by its field', () => {
    const answer = reviewValidation(
      review(
        profile({
          routes: [{ name: 'bad', condition: { pathRegex: '(' } }],
          retryBudget: { retryRatio: -1, minRetriesPerSecond: 10, ttl: '10s' },
        }),
        { operation: 'UPDATE' },
      ),
    );
    assert.equal(answer.response.allowed, false);
    assert.equal(answer.response.status?.code, 422);
    assert.match(answer.response.status?.message ?? '', /spec\.routes\[0\]\.condition\.pathRegex/);
    assert.match(answer.response.status?.message ?? '', /spec\.retryBudget\.retryRatio/);
  });

  test('a mesh HTTPRoute is checked: invalid refused, unsupported fields allowed with warnings', () => {
    const bad = reviewValidation(
      review(
        httpRoute({
          ...serviceParent,
          rules: [{ matches: [{ path: { type: 'PathPrefix', value: 'books' } }], backendRefs: [{ name: 'web-v2' }] }],
        }),
      ),
    );
    assert.equal(bad.response.allowed, false);
    assert.equal(bad.response.status?.code, 422);
    assert.match(bad.response.status?.message ?? '', /spec\.rules\[0\]\.matches\[0\]\.path\.value/);
    assert.match(
      bad.response.status?.message ?? '',
      /spec\.rules\[0\]\.backendRefs\[0\]/,
      'a Service backend needs a port',
    );

    const rewrite = reviewValidation(
      review(
        httpRoute({
          ...serviceParent,
          rules: [
            {
              filters: [{ type: 'URLRewrite', urlRewrite: { hostname: 'elsewhere.example' } }],
              backendRefs: [{ name: 'web-v2', port: 80 }],
            },
          ],
        }),
      ),
    );
    assert.equal(rewrite.response.allowed, true);
    assert.equal(rewrite.response.warnings?.length, 1);
    assert.match(rewrite.response.warnings?.[0] ?? '', /spec\.rules\[0\]\.filters\[0\]/);
  });

  test('routes attached only to Gateways, deletes and other kinds are not checked', () => {
    const gatewayOnly = reviewValidation(
      review(
        httpRoute({
          parentRefs: [{ name: 'public' }],
          rules: [{ matches: [{ path: { type: 'Exact', value: 'x' } }] }],
        }),
      ),
    );
    assert.equal(gatewayOnly.response.allowed, true);
    const deleted = reviewValidation(review(profile({ routes: 'nonsense' }), { operation: 'DELETE' }));
    assert.equal(deleted.response.allowed, true);
    const pod = reviewValidation(review({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }));
    assert.equal(pod.response.allowed, true);
  });

  test('a body that is not an AdmissionReview is an AdmissionReviewError', () => {
    const err = catchError(() => reviewValidation({ kind: 'Pod' }), AdmissionReviewError);
    assert.match(err.message, /not an AdmissionReview/);
  });
});
