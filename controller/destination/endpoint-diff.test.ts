import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tcpAddressFromParts, type Update } from '../../src/api/index.ts';
import { EndpointDiff } from './endpoint-diff.ts';
import type { EndpointSet, TranslatedEndpoint } from './endpoint-translator.ts';

function endpoint(ip: string): TranslatedEndpoint {
  return {
    addr: { addr: tcpAddressFromParts(ip, 8080), weight: 10_000, metricLabels: { pod: ip } },
    pod: undefined,
    zone: undefined,
    serviceOpaque: false,
  };
}

function set(endpoints: readonly TranslatedEndpoint[], balancerAnnotations: Record<string, string> = {}): EndpointSet {
  return {
    state: 'exists',
    endpoints: new Map(endpoints.map((e, i) => [`10.0.0.${i}:8080`, e])),
    pods: new Set(),
    metricLabels: { service: 'web', namespace: 'shop' },
    balancerAnnotations,
  };
}

function adds(updates: readonly Update[]): { count: number; annotations: Record<string, string> }[] {
  return updates.flatMap((u) =>
    u.update?.$case === 'add'
      ? [{ count: u.update.add.addrs.length, annotations: u.update.add.balancerAnnotations }]
      : [],
  );
}

describe('EndpointDiff balancer annotations', () => {
  const accrual = {
    'balancer.linkerd.io/failure-accrual': 'consecutive',
    'balancer.linkerd.io/failure-accrual-consecutive-max-failures': '3',
  };

  test('every add carries the Service balancer annotations, the snapshot too', () => {
    const diff = new EndpointDiff();
    const a = endpoint('10.0.0.1');
    const b = endpoint('10.0.0.2');
    assert.deepEqual(adds(diff.next(set([a], accrual))), [{ count: 1, annotations: accrual }]);
    assert.deepEqual(adds(diff.next(set([a, b], accrual))), [{ count: 1, annotations: accrual }]);
    assert.deepEqual(adds([diff.snapshot()]), [{ count: 2, annotations: accrual }]);
  });

  test('a change of annotations alone resends the whole set with the new ones', () => {
    const diff = new EndpointDiff();
    const a = endpoint('10.0.0.1');
    const b = endpoint('10.0.0.2');
    diff.next(set([a, b]));
    assert.deepEqual(diff.next(set([a, b])), [], 'nothing changed, nothing sent');
    assert.deepEqual(adds(diff.next(set([a, b], accrual))), [{ count: 2, annotations: accrual }]);
    assert.deepEqual(adds(diff.next(set([a, b]))), [{ count: 2, annotations: {} }]);
  });
});
