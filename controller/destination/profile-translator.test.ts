// profileFor's gateway_routes (ADR 0012) on a folder of YAML: which routes apply to a client,
// their JSON and order, and the ServiceProfile precedence table.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { RouteValidationError } from '../../src/routes/index.ts';
import { profileFor } from './profile-translator.ts';
import { RouteIndex, type RouteObject } from './route-index.ts';
import { TempFolderSource, serviceYaml } from './test-fixtures.ts';

const OPTIONS = { clusterDomain: 'cluster.local', defaultOpaquePorts: [] };

interface RouteYaml {
  readonly name: string;
  readonly namespace?: string;
  readonly kind?: 'HTTPRoute' | 'GRPCRoute';
  readonly port?: number;
  readonly sectionName?: string;
  readonly created?: string;
  readonly extra?: string;
}

function routeYaml(r: RouteYaml): string {
  const ref = {
    group: '',
    kind: 'Service',
    name: 'web',
    namespace: 'shop',
    ...(r.port === undefined ? {} : { port: r.port }),
    ...(r.sectionName === undefined ? {} : { sectionName: r.sectionName }),
  };
  return `apiVersion: gateway.networking.k8s.io/v1
kind: ${r.kind ?? 'HTTPRoute'}
metadata:
  name: ${r.name}
  namespace: ${r.namespace ?? 'shop'}
  creationTimestamp: ${r.created ?? '2026-01-01T00:00:00Z'}
  generation: 2
  labels: { team: shop }
spec:
  parentRefs: [${JSON.stringify(ref)}]
  rules: [{ backendRefs: [{ name: web, namespace: shop, port: 80 }] }]
${r.extra ?? ''}
status: { parents: [] }
`;
}

function spYaml(namespace: string, spec: string): string {
  return `apiVersion: nodemesh.io/v1alpha2
kind: ServiceProfile
metadata: { name: web.shop.svc.cluster.local, namespace: ${namespace} }
spec:
${spec}
`;
}

const SP_ROUTES = '  routes: [{ name: books, condition: { method: GET, pathRegex: /books } }]';
const SP_BUDGET = '  retryBudget: { retryRatio: 0.2, minRetriesPerSecond: 10, ttl: 10s }';
const SP_SPLIT = '  dstOverrides: [{ authority: web-v2.shop.svc.cluster.local:80, weight: 1 }]';

describe('profileFor: gateway_routes', () => {
  let folder: TempFolderSource;
  let index: RouteIndex;
  const invalid: { object: RouteObject; error: RouteValidationError }[] = [];

  before(async () => {
    folder = await TempFolderSource.create({
      'web.yaml': serviceYaml({
        name: 'web',
        ports: [
          { name: 'http', port: 80 },
          { name: 'admin', port: 9000 },
        ],
      }),
    });
    await folder.source.start();
  });
  after(() => folder.close());
  beforeEach(async () => {
    const names = ['r1.yaml', 'r2.yaml', 'r3.yaml', 'sp-shop.yaml', 'sp-client.yaml'];
    await folder.set(Object.fromEntries(names.map((n) => [n, undefined])));
    invalid.length = 0;
    index = new RouteIndex(folder.source, (object, error) => invalid.push({ object, error }));
  });

  async function files(set: Readonly<Record<string, string>>): Promise<void> {
    await folder.set(set);
    index.invalidate();
  }

  /** The names (`ns/name`) of the routes sent to `client` for web.shop:`port`. */
  function served(client: string | undefined, port = 80): string[] {
    const p = profileFor(folder.source, { namespace: 'shop', name: 'web', port, clientNamespace: client }, OPTIONS, {
      routes: index,
      onInvalid: () => undefined,
    });
    return p.gatewayRoutes.map((json) => {
      const { metadata } = JSON.parse(json) as { metadata: { namespace: string; name: string } };
      return `${metadata.namespace}/${metadata.name}`;
    });
  }

  test('sends the route object as JSON: apiVersion, kind, four metadata fields and spec', async () => {
    // The fixture's creationTimestamp is unquoted: a YAML 1.1 timestamp, sent as the string written.
    await files({ 'r1.yaml': routeYaml({ name: 'web-split', port: 80 }) });
    const [json, ...more] = profileFor(
      folder.source,
      { namespace: 'shop', name: 'web', port: 80, clientNamespace: 'shop' },
      OPTIONS,
      { routes: index, onInvalid: () => undefined },
    ).gatewayRoutes;
    assert.deepEqual(more, []);
    assert.deepEqual(JSON.parse(json ?? ''), {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'web-split', namespace: 'shop', creationTimestamp: '2026-01-01T00:00:00Z', generation: 2 },
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name: 'web', namespace: 'shop', port: 80 }],
        rules: [{ backendRefs: [{ name: 'web', namespace: 'shop', port: 80 }] }],
      },
    });
  });

  test('ServiceProfile precedence: routes or dstOverrides win, a retry budget alone does not', async () => {
    await files({ 'r1.yaml': routeYaml({ name: 'web-split' }) });
    const table: [string, Record<string, string>, string | undefined, string[]][] = [
      ['no ServiceProfile', {}, 'shop', ['shop/web-split']],
      ['SP with routes', { 'sp-shop.yaml': spYaml('shop', SP_ROUTES) }, 'shop', []],
      ['SP with dstOverrides', { 'sp-shop.yaml': spYaml('shop', SP_SPLIT) }, 'shop', []],
      ['SP with only a retry budget', { 'sp-shop.yaml': spYaml('shop', SP_BUDGET) }, 'shop', ['shop/web-split']],
      [
        "the client's SP (budget only) is the one that covers",
        { 'sp-shop.yaml': spYaml('shop', SP_ROUTES), 'sp-client.yaml': spYaml('shopper', SP_BUDGET) },
        'shopper',
        ['shop/web-split'],
      ],
      [
        "the client's SP with routes hides them",
        { 'sp-shop.yaml': spYaml('shop', SP_BUDGET), 'sp-client.yaml': spYaml('shopper', SP_ROUTES) },
        'shopper',
        [],
      ],
      ['an invalid SP is absent', { 'sp-shop.yaml': spYaml('shop', '  routes: 42') }, 'shop', ['shop/web-split']],
    ];
    for (const [what, set, client, want] of table) {
      await folder.set({ 'sp-shop.yaml': undefined, 'sp-client.yaml': undefined });
      await files(set);
      assert.deepEqual(served(client), want, what);
    }
  });

  test('consumer routes replace producer routes for their namespace only', async () => {
    await files({
      'r1.yaml': routeYaml({ name: 'producer' }),
      'r2.yaml': routeYaml({ name: 'consumer', namespace: 'shopper' }),
      'r3.yaml': routeYaml({ name: 'elsewhere', namespace: 'other' }).replace('name: web-', 'name: nothing-'),
    });
    assert.deepEqual(served('shopper'), ['shopper/consumer']);
    assert.deepEqual(served('shop'), ['shop/producer']);
    assert.deepEqual(served('billing'), ['shop/producer']);
    assert.deepEqual(served(undefined), ['shop/producer'], 'no client namespace: the producer routes');
  });

  test('a port-specific parentRef applies to that port only; sectionName must name the port', async () => {
    await files({
      'r1.yaml': routeYaml({ name: 'http-only', port: 80 }),
      'r2.yaml': routeYaml({ name: 'admin-section', sectionName: 'admin' }),
      'r3.yaml': routeYaml({ name: 'every-port' }),
    });
    assert.deepEqual(served('shop', 80), ['shop/every-port', 'shop/http-only']);
    assert.deepEqual(served('shop', 9000), ['shop/admin-section', 'shop/every-port']);
  });

  test('orders routes oldest first, then by namespace/name', async () => {
    await files({
      'r1.yaml': routeYaml({ name: 'b-new', created: '2026-03-01T00:00:00Z' }),
      'r2.yaml': routeYaml({ name: 'z-old', created: '2025-01-01T00:00:00Z' }),
      'r3.yaml': routeYaml({ name: 'a-new', created: '2026-03-01T00:00:00Z' }),
    });
    assert.deepEqual(served('shop'), ['shop/z-old', 'shop/a-new', 'shop/b-new']);
  });

  test('leaves out an invalid route and reports it once, with its problems', async () => {
    await files({
      'r1.yaml': routeYaml({ name: 'good' }),
      'r2.yaml': routeYaml({ name: 'bad', extra: '  hostnames: ["Not A Host"]' }),
    });
    assert.deepEqual(served('shop'), ['shop/good']);
    assert.deepEqual(served('shop'), ['shop/good']);
    index.invalidate();
    assert.deepEqual(served('shop'), ['shop/good']);
    assert.deepEqual(
      invalid.map((i) => i.object.metadata.name),
      ['bad'],
    );
    assert.equal(invalid[0]?.error.code, 'MESH_ERR_ROUTE_INVALID');
    assert.match(invalid[0]?.error.message ?? '', /spec\.hostnames\[0\]/);
  });

  test('GRPCRoutes are served too, beside HTTPRoutes', async () => {
    await files({
      'r1.yaml': routeYaml({ name: 'grpc', kind: 'GRPCRoute', created: '2025-06-01T00:00:00Z' }),
      'r2.yaml': routeYaml({ name: 'http' }),
    });
    const kinds = profileFor(
      folder.source,
      { namespace: 'shop', name: 'web', port: 80, clientNamespace: 'shop' },
      OPTIONS,
      { routes: index, onInvalid: () => undefined },
    ).gatewayRoutes.map((json) => (JSON.parse(json) as { kind: string }).kind);
    assert.deepEqual(kinds, ['GRPCRoute', 'HTTPRoute']);
  });
});
