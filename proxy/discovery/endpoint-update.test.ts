import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tcpAddressFromParts, type Update, type WeightedAddr } from '../../src/api/index.ts';
import { PENDING_ENDPOINTS, endpointsOf, noEndpointsSet, type EndpointSet } from './endpoint.ts';
import { applyEndpointUpdate } from './endpoint-update.ts';

function addr(host: string, port = 8080, extra: Partial<WeightedAddr> = {}): WeightedAddr {
  return { addr: tcpAddressFromParts(host, port), weight: 10_000, metricLabels: { pod: host }, ...extra };
}
const add = (
  addrs: WeightedAddr[],
  labels: Record<string, string> = { service: 'web' },
  balancerAnnotations: Record<string, string> = {},
): Update => ({
  update: { $case: 'add', add: { addrs, metricLabels: labels, balancerAnnotations } },
});
const remove = (...hosts: string[]): Update => ({
  update: { $case: 'remove', remove: { addrs: hosts.map((h) => tcpAddressFromParts(h, 8080)) } },
});
const none = (exists: boolean): Update => ({ update: { $case: 'noEndpoints', noEndpoints: { exists } } });

function applyAll(updates: Update[], from: EndpointSet = PENDING_ENDPOINTS): EndpointSet {
  return updates.reduce((s, u) => applyEndpointUpdate(s, u), from);
}
function describeSet(set: EndpointSet): string {
  switch (set.state.kind) {
    case 'pending':
      return 'pending';
    case 'no-endpoints':
      return `no-endpoints exists=${set.state.exists}`;
    case 'endpoints':
      return set.state.endpoints.map((e) => `${e.host}:${e.port}`).join(',');
  }
}

describe('applyEndpointUpdate', () => {
  const table: { name: string; updates: Update[]; want: string }[] = [
    {
      name: 'an add on pending gives the endpoints',
      updates: [add([addr('10.1.0.2'), addr('10.1.0.1')])],
      want: '10.1.0.1:8080,10.1.0.2:8080',
    },
    {
      name: 'a duplicate add changes nothing',
      updates: [add([addr('10.1.0.1')]), add([addr('10.1.0.1')])],
      want: '10.1.0.1:8080',
    },
    {
      name: 'later adds accumulate',
      updates: [add([addr('10.1.0.1')]), add([addr('10.1.0.2')])],
      want: '10.1.0.1:8080,10.1.0.2:8080',
    },
    {
      name: 'a remove drops only the listed address',
      updates: [add([addr('10.1.0.1'), addr('10.1.0.2')]), remove('10.1.0.1')],
      want: '10.1.0.2:8080',
    },
    {
      name: 'removing an unknown address changes nothing',
      updates: [add([addr('10.1.0.1')]), remove('10.9.9.9')],
      want: '10.1.0.1:8080',
    },
    {
      name: 'removing the last address means exists=true',
      updates: [add([addr('10.1.0.1')]), remove('10.1.0.1')],
      want: 'no-endpoints exists=true',
    },
    {
      name: 'a remove before any add means exists=true',
      updates: [remove('10.1.0.1')],
      want: 'no-endpoints exists=true',
    },
    { name: 'an empty add means exists=true', updates: [add([])], want: 'no-endpoints exists=true' },
    {
      name: 'no_endpoints exists=false clears the set',
      updates: [add([addr('10.1.0.1')]), none(false)],
      want: 'no-endpoints exists=false',
    },
    {
      name: 'an add after no_endpoints brings endpoints back',
      updates: [none(true), add([addr('10.1.0.3')])],
      want: '10.1.0.3:8080',
    },
    {
      name: 'a remove then a re-add of the same address keeps it',
      updates: [add([addr('10.1.0.1')]), remove('10.1.0.1'), add([addr('10.1.0.1')])],
      want: '10.1.0.1:8080',
    },
    {
      name: 'an update with no case is ignored',
      updates: [add([addr('10.1.0.1')]), { update: undefined }],
      want: '10.1.0.1:8080',
    },
    {
      name: 'IPv6 addresses are keyed in canonical form',
      updates: [add([addr('2001:db8::1')]), add([addr('2001:0db8:0:0::1')])],
      want: '2001:db8::1:8080',
    },
  ];
  for (const c of table) {
    test(c.name, () => assert.equal(describeSet(applyAll(c.updates)), c.want));
  }

  test('returns the same snapshot when nothing changed, so users are not notified', () => {
    const first = applyAll([add([addr('10.1.0.1')])]);
    assert.equal(applyEndpointUpdate(first, add([addr('10.1.0.1')])), first);
    assert.equal(applyEndpointUpdate(first, remove('10.9.9.9')), first);
    const none1 = noEndpointsSet(true);
    assert.equal(applyEndpointUpdate(none1, none(true)), none1);
    assert.notEqual(applyEndpointUpdate(first, add([addr('10.1.0.1', 8080, { weight: 5 })])), first);
  });

  test('maps identity, protocol hint, opaque transport port and merged labels', () => {
    const set = applyAll([
      add(
        [
          addr('10.1.0.1', 8080, {
            metricLabels: { pod: 'web-a', service: 'override' },
            tlsIdentity: {
              strategy: {
                $case: 'dnsLikeIdentity',
                dnsLikeIdentity: { name: 'web.shop.serviceaccount.identity.nodemesh.cluster.local' },
              },
            },
            protocolHint: { protocol: { $case: 'h2', h2: {} }, opaqueTransport: { inboundPort: 4143 } },
          }),
          addr('10.1.0.2', 3306, { protocolHint: { protocol: { $case: 'opaque', opaque: {} } } }),
          addr('10.1.0.3', 80),
        ],
        { service: 'web', namespace: 'shop' },
      ),
    ]);
    const [a, b, c] = endpointsOf(set);
    assert.deepEqual(a, {
      host: '10.1.0.1',
      port: 8080,
      weight: 10_000,
      identity: 'web.shop.serviceaccount.identity.nodemesh.cluster.local',
      protocolHint: 'h2',
      opaqueTransportPort: 4143,
      labels: { pod: 'web-a', service: 'override', namespace: 'shop' },
    });
    assert.equal(b?.protocolHint, 'opaque');
    assert.equal(b?.identity, undefined);
    assert.equal(c?.protocolHint, undefined);
    assert.equal(c?.opaqueTransportPort, undefined);
    assert.ok(Object.isFrozen(set) && Object.isFrozen(a) && Object.isFrozen(a?.labels));
  });

  test("carries the set's balancer annotations on its endpoints, and a change of them is a change", () => {
    const annotations = { 'balancer.linkerd.io/failure-accrual': 'consecutive' };
    const first = applyEndpointUpdate(PENDING_ENDPOINTS, add([addr('10.1.0.1')], { service: 'web' }, annotations));
    assert.deepEqual(endpointsOf(first)[0]?.balancer, annotations);
    const same = applyEndpointUpdate(first, add([addr('10.1.0.1')], { service: 'web' }, annotations));
    assert.equal(same, first);
    const cleared = applyEndpointUpdate(first, add([addr('10.1.0.1')]));
    assert.notEqual(cleared, first);
    assert.equal(endpointsOf(cleared)[0]?.balancer, undefined);
  });

  test('skips an address that does not decode and applies the rest', () => {
    const errors: unknown[] = [];
    const bad: WeightedAddr = { addr: { ip: undefined, port: 80 }, weight: 1, metricLabels: {} };
    const set = applyEndpointUpdate(PENDING_ENDPOINTS, add([bad, addr('10.1.0.1')]), (err) => errors.push(err));
    assert.equal(describeSet(set), '10.1.0.1:8080');
    assert.equal(errors.length, 1);
  });
});
