import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decideTapAccess, isLoopback, type TapAccessRequest } from './tap-access.ts';

const OPS = 'ops.tools.serviceaccount.identity.nodemesh.cluster.local';
const WEB = 'web.shop.serviceaccount.identity.nodemesh.cluster.local';

describe('decideTapAccess', () => {
  const cases: { name: string; request: TapAccessRequest; authorized?: string[]; allowed: boolean; reason?: RegExp }[] =
    [
      { name: 'plaintext from 127.0.0.1', request: { peer: '127.0.0.1', tls: undefined }, allowed: true },
      { name: 'plaintext from another 127/8 address', request: { peer: '127.0.10.1', tls: undefined }, allowed: true },
      { name: 'plaintext from ::1', request: { peer: '::1', tls: undefined }, allowed: true },
      { name: 'plaintext from ::ffff:127.0.0.1', request: { peer: '::ffff:127.0.0.1', tls: undefined }, allowed: true },
      {
        name: 'TLS without a client certificate from loopback',
        request: { peer: '127.0.0.1', tls: { kind: 'anonymous' } },
        allowed: true,
      },
      {
        name: 'plaintext from a pod address',
        request: { peer: '10.42.0.7', tls: undefined },
        authorized: [OPS],
        allowed: false,
        reason: /tap from 10\.42\.0\.7 needs mTLS .*plaintext is allowed only from loopback/,
      },
      {
        name: 'plaintext from an IPv4-mapped pod address',
        request: { peer: '::ffff:10.42.0.7', tls: undefined },
        allowed: false,
        reason: /needs mTLS/,
      },
      {
        name: 'TLS without a client certificate from a pod address',
        request: { peer: '10.42.0.7', tls: { kind: 'anonymous' } },
        authorized: [OPS],
        allowed: false,
        reason: /presented no certificate/,
      },
      {
        name: 'a client certificate from another CA',
        request: {
          peer: '10.42.0.7',
          tls: { kind: 'rejected', reason: 'the client certificate does not chain to the trust anchors' },
        },
        authorized: [OPS],
        allowed: false,
        reason: /not accepted: the client certificate does not chain/,
      },
      {
        name: 'an authorized identity over mTLS',
        request: { peer: '10.42.0.7', tls: { kind: 'authenticated', identity: OPS } },
        authorized: [OPS],
        allowed: true,
      },
      {
        name: 'an identity not in the list',
        request: { peer: '10.42.0.7', tls: { kind: 'authenticated', identity: WEB } },
        authorized: [OPS],
        allowed: false,
        reason: new RegExp(
          `client identity ${WEB.replace(/\./g, '\\.')} is not listed in NODEMESH_PROXY_TAP_AUTHORIZED_IDENTITIES`,
        ),
      },
      {
        name: 'any identity when the list is empty',
        request: { peer: 'fd00::7', tls: { kind: 'authenticated', identity: OPS } },
        allowed: false,
        reason: /NODEMESH_PROXY_TAP_AUTHORIZED_IDENTITIES is empty, so only loopback clients may tap/,
      },
    ];
  for (const c of cases) {
    test(`${c.allowed ? 'allows' : 'refuses'} ${c.name}`, () => {
      const decision = decideTapAccess(c.request, new Set(c.authorized ?? []));
      assert.equal(decision.allowed, c.allowed);
      if (!decision.allowed && c.reason !== undefined) assert.match(decision.reason, c.reason);
    });
  }
});

describe('isLoopback', () => {
  test('knows loopback from everything else', () => {
    for (const ip of ['127.0.0.1', '127.255.0.9', '::1', '::ffff:127.0.0.2']) assert.equal(isLoopback(ip), true, ip);
    for (const ip of ['10.0.0.1', '192.0.2.2', '::ffff:10.0.0.1', 'fd00::2', '::', '0.0.0.0', '', 'localhost'])
      assert.equal(isLoopback(ip), false, ip);
  });
});
