import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RouteValidationError, RouteYamlError } from './route-errors.ts';
import { selectHttpRoute } from './route-match.ts';
import { pickWeighted } from './route-weight.ts';
import { parseRoutesYaml } from './route-yaml.ts';
import type { GrpcRoute, HttpRoute } from './route-types.ts';

// A canary split as in the Gateway API traffic-splitting guide, with a Service parent (GEP-1426),
// plus a header-based rule that sends testers to the canary.
const CANARY = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web-canary
  namespace: shop
  creationTimestamp: 2024-05-01T10:00:00Z
spec:
  parentRefs:
    - group: ""
      kind: Service
      name: web
      port: 80
  rules:
    - matches:
        - headers:
            - name: x-canary
              value: "true"
      backendRefs:
        - name: web-v2
          port: 80
    - backendRefs:
        - name: web-v1
          port: 80
          weight: 90
        - name: web-v2
          port: 80
          weight: 10
      timeouts:
        request: 10s
        backendRequest: 2s
`;

// The GRPCRoute example of the Gateway API GRPCRoute guide (a Gateway parent), as published.
const GRPC_GUIDE = `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata:
  name: foo-route
spec:
  parentRefs:
  - name: example-gateway
  hostnames:
  - "foo.example.com"
  rules:
  - matches:
    - method:
        service: com.example.User
        method: Login
    backendRefs:
    - name: foo-svc
      port: 50051
  - matches:
    - headers:
      - type: Exact
        name: magic
        value: foo
      method:
        service: com.Example.Login
        method: Login
    backendRefs:
    - name: foo-svc
      port: 50051
`;

// Line numbers below count from the top of this text.
const BROKEN = `# a broken route
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: broken
spec:
  parentRefs:
    - {group: "", kind: Service, name: web, port: 80}
  rules:
    - matches:
        - path:
            type: PathPrefix
            value: /a//b
      backendRefs:
        - name: web
          weight: 2000000
`;

describe('parseRoutesYaml', () => {
  test('reads the canary HTTPRoute, and its split sends 10% to the canary', () => {
    const [result] = parseRoutesYaml(CANARY, 'canary.yaml');
    assert.ok(result?.ok, result?.ok === false ? result.error.message : '');
    const route = result.route as HttpRoute;
    assert.equal(route.metadata.creationTimestamp, '2024-05-01T10:00:00Z');
    assert.deepEqual(route.rules[1]?.timeouts, {
      request: '10s',
      requestMs: 10_000,
      backendRequest: '2s',
      backendRequestMs: 2000,
    });
    const target = { parent: { namespace: 'shop', name: 'web', port: 80 }, clientNamespace: 'frontend' };
    const tester = selectHttpRoute([route], target, { method: 'GET', path: '/', headers: { 'x-canary': 'true' } });
    assert.equal(tester?.ruleIndex, 0);
    const user = selectHttpRoute([route], target, { method: 'GET', path: '/cart', headers: {} });
    assert.equal(user?.ruleIndex, 1);
    const picks = [0, 0.5, 0.89, 0.9, 0.99].map((r) => pickWeighted(user?.rule.backendRefs ?? [], r)?.name);
    assert.deepEqual(picks, ['web-v1', 'web-v1', 'web-v1', 'web-v2', 'web-v2']);
  });

  test('reads the GRPCRoute of the Gateway API guide, keeping its Gateway parent as not ours', () => {
    const [result] = parseRoutesYaml(GRPC_GUIDE, 'grpc.yaml', { defaultNamespace: 'apps' });
    assert.ok(result?.ok, result?.ok === false ? result.error.message : '');
    const route = result.route as GrpcRoute;
    assert.deepEqual(route.parentRefs, [
      { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'example-gateway', namespace: 'apps', mesh: false },
    ]);
    assert.deepEqual(route.hostnames, ['foo.example.com']);
    assert.deepEqual(route.rules[1]?.matches[0], {
      method: { type: 'Exact', service: 'com.Example.Login', method: 'Login' },
      headers: [{ type: 'Exact', name: 'magic', value: 'foo' }],
    });
  });

  test('returns the good documents and reports the bad one with file, line and field', () => {
    const results = parseRoutesYaml(`${BROKEN}---\n${CANARY}`, 'routes.yaml');
    assert.deepEqual(
      results.map((r) => [r.ok, r.line, r.index]),
      [
        [false, 2, 0],
        [true, 18, 1],
      ],
    );
    const bad = results[0];
    assert.ok(bad !== undefined && !bad.ok && bad.error instanceof RouteValidationError);
    assert.deepEqual(
      bad.error.problems.map((p) => [p.path, p.line, p.value]),
      [
        ['spec.rules[0].matches[0].path.value', 13, '/a//b'],
        ['spec.rules[0].backendRefs[0].port', 15, undefined],
        ['spec.rules[0].backendRefs[0].weight', 16, 2_000_000],
      ],
    );
    assert.match(
      bad.error.message,
      /routes\.yaml:13: spec\.rules\[0\]\.matches\[0\]\.path\.value: contains "\/\/" \(got "\/a\/\/b"\)/,
    );
  });

  test('reports YAML syntax errors with line and column, and skips other kinds on request', () => {
    const results = parseRoutesYaml('kind: HTTPRoute\n  bad: [\n', 'x.yaml');
    assert.ok(results[0] !== undefined && !results[0].ok && results[0].error instanceof RouteYamlError);
    assert.equal(results[0].error.code, 'MESH_ERR_ROUTE_YAML');
    const service = 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\n';
    assert.equal(parseRoutesYaml(`${service}---\n${CANARY}`, 'y.yaml', { otherKinds: 'skip' }).length, 1);
    const reported = parseRoutesYaml(service, 'y.yaml');
    assert.ok(reported[0] !== undefined && !reported[0].ok);
    assert.match(reported[0].error.message, /kind: is not a route kind/);
  });

  test('reads the items of a List', () => {
    const items = CANARY.trimEnd()
      .split('\n')
      .map((line, i) => (i === 0 ? `  - ${line}` : `    ${line}`));
    const results = parseRoutesYaml(`apiVersion: v1\nkind: List\nitems:\n${items.join('\n')}\n`, 'list.yaml');
    assert.equal(results.length, 1);
    assert.ok(results[0]?.ok);
    assert.equal(results[0].item, 0);
  });
});
