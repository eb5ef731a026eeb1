import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRoute } from './route-parse.ts';
import {
  type ServiceLookup,
  acceptedCondition,
  meshParentStatuses,
  resolvedRefsCondition,
  unresolvedBackends,
} from './route-status.ts';
import type { RouteProblem } from './route-errors.ts';
import type { Route } from './route-types.ts';

const SERVICES: Record<string, readonly number[]> = { 'shop/web': [80], 'shop/web-v2': [80], 'other/db': [5432] };
const lookup: ServiceLookup = {
  service: (namespace, name) => {
    const ports = SERVICES[`${namespace}/${name}`];
    return ports === undefined ? undefined : { ports };
  },
};

function route(spec: Record<string, unknown>): { route: Route; unsupported: readonly RouteProblem[] } {
  const result = parseRoute({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'split', namespace: 'shop', generation: 4 },
    spec: { parentRefs: [{ group: '', kind: 'Service', name: 'web', port: 80 }], ...spec },
  });
  if (!result.ok) assert.fail(result.error.message);
  return result;
}
const backends = (...refs: Record<string, unknown>[]) => ({ rules: [{ backendRefs: refs }] });

describe('ResolvedRefs', () => {
  test('is True when every backend exists', () => {
    const { route: r } = route(backends({ name: 'web', port: 80 }, { name: 'web-v2', port: 80, weight: 0 }));
    assert.deepEqual(unresolvedBackends(r, lookup), []);
    assert.deepEqual(resolvedRefsCondition(r, lookup), {
      type: 'ResolvedRefs',
      status: 'True',
      reason: 'ResolvedRefs',
      message: 'all backend references resolved',
      observedGeneration: 4,
    });
  });

  test('reports BackendNotFound and InvalidKind with the backend field', () => {
    const { route: r } = route(
      backends(
        { name: 'gone', port: 80 },
        { name: 'web', port: 8080 },
        { group: 'example.com', kind: 'Bucket', name: 'b' },
        { name: 'db', namespace: 'other', port: 5432 },
      ),
    );
    assert.deepEqual(
      unresolvedBackends(r, lookup).map((u) => [u.path, u.reason, u.message]),
      [
        ['spec.rules[0].backendRefs[0]', 'BackendNotFound', 'Service shop/gone does not exist'],
        ['spec.rules[0].backendRefs[1]', 'BackendNotFound', 'Service shop/web has no port 8080'],
        [
          'spec.rules[0].backendRefs[2]',
          'InvalidKind',
          'backend shop/b is a Bucket (group example.com); only core Services are supported',
        ],
      ],
    );
    const condition = resolvedRefsCondition(r, lookup);
    assert.equal(condition.status, 'False');
    assert.equal(condition.reason, 'BackendNotFound');
    assert.match(condition.message, /backendRefs\[0\]: Service shop\/gone does not exist \(and 2 more\)/);
  });

  test('reports RefNotPermitted when the lookup refuses a cross-namespace reference', () => {
    const { route: r } = route(backends({ name: 'db', namespace: 'other', port: 5432 }));
    const strict: ServiceLookup = { ...lookup, referenceAllowed: () => false };
    assert.equal(unresolvedBackends(r, strict)[0]?.reason, 'RefNotPermitted');
  });
});

describe('Accepted', () => {
  test('is True for an existing parent Service and port', () => {
    const { route: r, unsupported } = route({});
    const parent = r.parentRefs[0];
    assert.ok(parent);
    assert.deepEqual(acceptedCondition(r, parent, lookup, unsupported), {
      type: 'Accepted',
      status: 'True',
      reason: 'Accepted',
      message: 'route accepted',
      observedGeneration: 4,
    });
  });

  test('is NoMatchingParent when the Service or its port does not exist', () => {
    const { route: r } = route({
      parentRefs: [
        { group: '', kind: 'Service', name: 'gone', port: 80 },
        { group: '', kind: 'Service', name: 'web', port: 81 },
      ],
    });
    const conditions = r.parentRefs.map((p) => acceptedCondition(r, p, lookup));
    assert.deepEqual(
      conditions.map((c) => [c.status, c.reason, c.message]),
      [
        ['False', 'NoMatchingParent', 'parent Service shop/gone does not exist'],
        ['False', 'NoMatchingParent', 'parent Service shop/web has no port 81'],
      ],
    );
  });

  test('is UnsupportedValue when the route uses what nodemesh does not implement', () => {
    const { route: r, unsupported } = route({
      rules: [{ filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'web', port: 80 } } }] }],
    });
    const parent = r.parentRefs[0];
    assert.ok(parent);
    const c = acceptedCondition(r, parent, lookup, unsupported);
    assert.equal(c.reason, 'UnsupportedValue');
    assert.match(c.message, /spec\.rules\[0\]\.filters\[0\]\.type: the RequestMirror filter is not implemented/);
  });

  test('writes one status entry per Service parent, none for Gateways', () => {
    const { route: r } = route({
      parentRefs: [{ name: 'gw' }, { group: '', kind: 'Service', name: 'web', port: 80 }],
      ...backends({ name: 'web', port: 80 }),
    });
    const statuses = meshParentStatuses(r, lookup, { controllerName: 'nodemesh.io/destination' });
    assert.deepEqual(
      statuses.map((s) => [s.parentIndex, s.controllerName, s.conditions.map((c) => `${c.type}=${c.status}`)]),
      [[1, 'nodemesh.io/destination', ['Accepted=True', 'ResolvedRefs=True']]],
    );
  });
});
