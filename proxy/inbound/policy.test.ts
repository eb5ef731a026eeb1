import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { InboundPolicy as PolicyName } from '../config.ts';
import { InboundPolicy } from './policy.ts';

const MTLS = { tls: 'true', client_id: 'front.shop.serviceaccount.identity.nodemesh.cluster.local' };
const ANON_TLS = { tls: 'true' };
const PLAIN = { tls: 'no_identity', no_tls_reason: 'not_provided_by_remote' };
const CLUSTER = ['10.0.0.0/8', 'fd00::/8'];

describe('InboundPolicy', () => {
  const cases: [PolicyName, typeof MTLS | typeof ANON_TLS | typeof PLAIN, string, boolean][] = [
    ['all-unauthenticated', PLAIN, '203.0.113.9', true],
    ['all-authenticated', MTLS, '203.0.113.9', true],
    ['all-authenticated', ANON_TLS, '10.1.2.3', false],
    ['all-authenticated', PLAIN, '10.1.2.3', false],
    ['cluster-unauthenticated', PLAIN, '10.1.2.3', true],
    ['cluster-unauthenticated', PLAIN, '::ffff:10.1.2.3', true],
    ['cluster-unauthenticated', PLAIN, 'fd00::5', true],
    ['cluster-unauthenticated', MTLS, '203.0.113.9', false],
    ['cluster-authenticated', MTLS, '10.1.2.3', true],
    ['cluster-authenticated', PLAIN, '10.1.2.3', false],
    ['cluster-authenticated', MTLS, '203.0.113.9', false],
    ['deny', MTLS, '10.1.2.3', false],
  ];
  for (const [mode, tls, ip, allowed] of cases) {
    test(`${mode} ${allowed ? 'allows' : 'refuses'} a ${tls === MTLS ? 'mTLS' : tls === ANON_TLS ? 'TLS without identity' : 'plaintext'} client from ${ip}`, () => {
      const policy = new InboundPolicy({ defaultPolicy: mode, requireIdentityPorts: [], clusterNetworks: CLUSTER });
      const decision = policy.check({ port: 8080, clientIp: ip, tls });
      assert.equal(decision.allowed, allowed);
      if (!decision.allowed) assert.match(decision.reason, new RegExp(mode === 'deny' ? 'denies' : mode));
    });
  }

  test('ports that require identity refuse clients without one under any default', () => {
    const policy = new InboundPolicy({
      defaultPolicy: 'all-unauthenticated',
      requireIdentityPorts: [9000],
      clusterNetworks: CLUSTER,
    });
    assert.equal(policy.check({ port: 9000, clientIp: '10.0.0.1', tls: PLAIN }).allowed, false);
    assert.equal(policy.check({ port: 9000, clientIp: '10.0.0.1', tls: MTLS }).allowed, true);
    assert.equal(policy.check({ port: 8080, clientIp: '10.0.0.1', tls: PLAIN }).allowed, true);
  });
});
