import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type GrpcRequestInfo, parseGrpcPath, selectGrpcRoute } from './route-match-grpc.ts';
import { parseRoute } from './route-parse.ts';
import type { RouteTarget } from './route-select.ts';
import type { GrpcRoute } from './route-types.ts';

type Obj = Record<string, unknown>;

const PARENT = { group: '', kind: 'Service', name: 'api', namespace: 'shop', port: 50051 };
const TARGET: RouteTarget = { parent: { namespace: 'shop', name: 'api', port: 50051 }, clientNamespace: 'web' };

function grpcRoute(
  name: string,
  rules: readonly Obj[],
  options: { namespace?: string; created?: string } = {},
): GrpcRoute {
  const result = parseRoute({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GRPCRoute',
    metadata: {
      name,
      namespace: options.namespace ?? 'shop',
      creationTimestamp: options.created ?? '2024-01-01T00:00:00Z',
    },
    spec: { parentRefs: [PARENT], rules: rules.map((r) => ({ backendRefs: [{ name: 'api', port: 50051 }], ...r })) },
  });
  if (!result.ok) assert.fail(result.error.message);
  return result.route as GrpcRoute;
}
const method = (m: Obj, headers: readonly Obj[] = []): Obj => ({ matches: [{ method: m, headers }] });
const call = (path: string, headers: Record<string, string> = {}): GrpcRequestInfo => ({ path, headers });

describe('GRPCRoute precedence', () => {
  const routes = [
    grpcRoute('g1', [
      { name: 'all' },
      { name: 'service', ...method({ service: 'shop.Cart' }) },
      { name: 'service-method', ...method({ service: 'shop.Cart', method: 'Add' }) },
      { name: 'method-only', ...method({ method: 'Remove' }) },
      { name: 'regex-service', ...method({ type: 'RegularExpression', service: 'shop\\..*' }) },
      { name: 'regex-method', ...method({ type: 'RegularExpression', service: 'shop\\.Cart', method: 'Add' }) },
      { name: 'dotted', ...method({ service: '.shop.Orders', method: 'Get' }) },
    ]),
    grpcRoute(
      'g2',
      [
        { name: 'canary', ...method({ service: 'shop.Cart', method: 'Add' }, [{ name: 'x-canary', value: 'true' }]) },
        { name: 'tie', ...method({ service: 'shop.Cart', method: 'List' }) },
      ],
      { created: '2024-02-01T00:00:00Z' },
    ),
    grpcRoute('g0', [{ name: 'tie', ...method({ service: 'shop.Cart', method: 'List' }) }], {
      created: '2023-01-01T00:00:00Z',
    }),
  ];
  const table: readonly [name: string, req: GrpcRequestInfo, expected: string | undefined][] = [
    ['service and method beat service only', call('/shop.Cart/Add'), 'g1:service-method'],
    ['service only beats a regex and no match', call('/shop.Cart/Clear'), 'g1:service'],
    ['an exact method beats a regex service', call('/shop.Users/Remove'), 'g1:method-only'],
    ['a regex beats a rule without matches', call('/shop.Users/Get'), 'g1:regex-service'],
    ['more header matches win', call('/shop.Cart/Add', { 'x-canary': 'true' }), 'g2:canary'],
    ['on a tie the older route wins', call('/shop.Cart/List'), 'g0:tie'],
    ['an Exact service may be written with a leading dot', call('/shop.Orders/Get'), 'g1:dotted'],
    ['a rule without matches takes every other call', call('/other.Svc/Do'), 'g1:all'],
    ['a path that is not a gRPC path matches nothing', call('/not-grpc'), undefined],
  ];
  for (const [name, req, expected] of table) {
    test(name, () => {
      const s = selectGrpcRoute(routes, TARGET, req);
      assert.equal(s === undefined ? undefined : `${s.route.metadata.name}:${s.rule.name ?? s.ruleIndex}`, expected);
    });
  }

  test('consumer routes in the client namespace replace producer routes', () => {
    const consumer = grpcRoute('mine', [{ name: 'only', ...method({ service: 'shop.Cart' }) }], { namespace: 'web' });
    const s = selectGrpcRoute([...routes, consumer], TARGET, call('/shop.Cart/Add'));
    assert.equal(s?.route.metadata.name, 'mine');
    assert.equal(selectGrpcRoute([...routes, consumer], TARGET, call('/shop.Users/Get')), undefined);
  });

  test('parseGrpcPath splits /package.Service/Method', () => {
    assert.deepEqual(parseGrpcPath('/helloworld.Greeter/SayHello'), {
      service: 'helloworld.Greeter',
      method: 'SayHello',
    });
    assert.equal(parseGrpcPath('/a/b/c'), undefined);
    assert.equal(parseGrpcPath('/a'), undefined);
  });
});
