import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IdentityNameError } from './errors.ts';
import {
  identityName,
  identityServiceName,
  isDnsName,
  issuerCommonName,
  parseIdentityName,
  trustAnchorCommonName,
  type IdentityParts,
} from './identity-name.ts';

const base: IdentityParts = {
  serviceAccount: 'web',
  namespace: 'emojivoto',
  controlNamespace: 'nodemesh',
  trustDomain: 'cluster.local',
};

describe('identityName', () => {
  const valid: [string, Partial<IdentityParts>, string][] = [
    ['builds the default-mesh name', {}, 'web.emojivoto.serviceaccount.identity.nodemesh.cluster.local'],
    [
      'accepts a one-label trust domain',
      { trustDomain: 'mesh' },
      'web.emojivoto.serviceaccount.identity.nodemesh.mesh',
    ],
    [
      'accepts a trust domain of several labels',
      { trustDomain: 'prod.eu-west-1.example.com' },
      'web.emojivoto.serviceaccount.identity.nodemesh.prod.eu-west-1.example.com',
    ],
    [
      'accepts digits and inner hyphens',
      { serviceAccount: '9-a-b0' },
      '9-a-b0.emojivoto.serviceaccount.identity.nodemesh.cluster.local',
    ],
    [
      'accepts a 63-character label',
      { namespace: 'a'.repeat(63) },
      `web.${'a'.repeat(63)}.serviceaccount.identity.nodemesh.cluster.local`,
    ],
  ];
  for (const [name, change, expected] of valid) {
    test(name, () => assert.equal(identityName({ ...base, ...change }), expected));
  }

  const invalid: [string, Partial<IdentityParts>, RegExp][] = [
    ['refuses an upper-case service account', { serviceAccount: 'Web' }, /service account "Web".*upper-case/],
    ['refuses an empty namespace', { namespace: '' }, /namespace "".*is empty/],
    ['refuses a dot in the service account', { serviceAccount: 'a.b' }, /service account "a\.b".*contains "\."/],
    ['refuses a label that starts with a hyphen', { namespace: '-shop' }, /namespace "-shop".*starts with '-'/],
    [
      'refuses a label that ends with a hyphen',
      { controlNamespace: 'mesh-' },
      /control-plane namespace "mesh-".*ends with '-'/,
    ],
    ['refuses an underscore', { serviceAccount: 'my_sa' }, /contains "_" at position 3/],
    ['refuses a 64-character label', { namespace: 'a'.repeat(64) }, /64 characters long \(at most 63\)/],
    [
      'refuses an empty trust-domain label',
      { trustDomain: 'cluster..local' },
      /trust domain "cluster\.\.local".*label 2 \(""\) is empty/,
    ],
    ['refuses a trust domain with a trailing dot', { trustDomain: 'cluster.local.' }, /trust domain.*label 3/],
    [
      'refuses a name longer than 253 characters',
      { trustDomain: Array.from({ length: 4 }, () => 'a'.repeat(60)).join('.') },
      /at most 253/,
    ],
  ];
  for (const [name, change, message] of invalid) {
    test(name, () => {
      assert.throws(
        () => identityName({ ...base, ...change }),
        (err: unknown) =>
          err instanceof IdentityNameError && err.code === 'MESH_ERR_IDENTITY_NAME' && message.test(err.message),
      );
    });
  }
});

describe('parseIdentityName', () => {
  test('parses the parts back out of a built name', () => {
    const parts = { ...base, trustDomain: 'prod.example.com' };
    assert.deepEqual(parseIdentityName(identityName(parts)), parts);
  });

  test('accepts a name from this mesh when the mesh is given', () => {
    const name = identityName(base);
    assert.deepEqual(parseIdentityName(name, { controlNamespace: 'nodemesh', trustDomain: 'cluster.local' }), base);
  });

  const invalid: [string, string, RegExp, object?][] = [
    [
      'refuses a name with too few labels',
      'web.shop.serviceaccount.identity.nodemesh',
      /5 dot-separated labels, at least 6/,
    ],
    [
      'refuses a wrong kind label',
      'web.shop.user.identity.nodemesh.cluster.local',
      /third label is "user", it must be "serviceaccount"/,
    ],
    ['refuses a wrong fourth label', 'web.shop.serviceaccount.id.nodemesh.cluster.local', /fourth label is "id"/],
    [
      'refuses a bad namespace label',
      'web.Shop.serviceaccount.identity.nodemesh.cluster.local',
      /namespace label "Shop" contains upper-case/,
    ],
    [
      'refuses an empty trust domain label',
      'web.shop.serviceaccount.identity.nodemesh.cluster.',
      /trust domain label "" is empty/,
    ],
    [
      'refuses another control-plane namespace',
      'web.shop.serviceaccount.identity.linkerd.cluster.local',
      /control-plane namespace is "linkerd", this mesh's is "nodemesh"/,
      { controlNamespace: 'nodemesh' },
    ],
    [
      'refuses another trust domain',
      'web.shop.serviceaccount.identity.nodemesh.example.com',
      /trust domain is "example\.com", this mesh's is "cluster\.local"/,
      { trustDomain: 'cluster.local' },
    ],
  ];
  for (const [name, input, message, expected] of invalid) {
    test(name, () => {
      assert.throws(
        () => parseIdentityName(input, expected),
        (err: unknown) =>
          err instanceof IdentityNameError &&
          message.test(err.message) &&
          err.message.includes('expected <serviceaccount>'),
      );
    });
  }
});

describe('well-known names', () => {
  const domain = { controlNamespace: 'nodemesh', trustDomain: 'cluster.local' };
  test('names the identity service after its service account', () => {
    assert.equal(
      identityServiceName(domain),
      'nodemesh-identity.nodemesh.serviceaccount.identity.nodemesh.cluster.local',
    );
  });
  test('names the issuer and the trust anchor as Linkerd does', () => {
    assert.equal(issuerCommonName(domain), 'identity.nodemesh.cluster.local');
    assert.equal(trustAnchorCommonName(domain), 'root.nodemesh.cluster.local');
  });
  test('refuses a bad trust domain in the well-known names', () => {
    assert.throws(() => issuerCommonName({ ...domain, trustDomain: 'Cluster.local' }), IdentityNameError);
  });
  test('tells DNS names from non-names', () => {
    assert.equal(isDnsName('a.b-c.d'), true);
    assert.equal(isDnsName('a..b'), false);
    assert.equal(isDnsName('*.example.com'), false);
  });
});
