import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type HttpRequestInfo, compileHttpRouter, selectHttpRoute } from './route-match.ts';
import { parseRoute } from './route-parse.ts';
import type { RouteTarget } from './route-select.ts';
import type { HttpRoute } from './route-types.ts';

type Obj = Record<string, unknown>;

const PARENT = { group: '', kind: 'Service', name: 'web', namespace: 'shop', port: 80 };
const TARGET: RouteTarget = { parent: { namespace: 'shop', name: 'web', port: 80 }, clientNamespace: 'shop' };

/** An HTTPRoute attached to shop/web:80; each rule is named so results read `route:rule`. */
function httpRoute(
  name: string,
  rules: readonly Obj[],
  options: { namespace?: string; created?: string; spec?: Obj } = {},
): HttpRoute {
  const result = parseRoute({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: {
      name,
      namespace: options.namespace ?? 'shop',
      creationTimestamp: options.created ?? '2024-01-01T00:00:00Z',
    },
    spec: {
      parentRefs: [PARENT],
      rules: rules.map((r) => ({ backendRefs: [{ name: 'web', port: 80 }], ...r })),
      ...options.spec,
    },
  });
  if (!result.ok) assert.fail(result.error.message);
  return result.route as HttpRoute;
}
const path = (type: string, value: string): Obj => ({ path: { type, value } });

function request(method: string, target: string, headers: Record<string, string> = {}, host?: string): HttpRequestInfo {
  const [p = '', query] = target.split('?');
  return {
    method,
    path: p,
    headers,
    ...(query === undefined ? {} : { query }),
    ...(host === undefined ? {} : { host }),
  };
}

function label(routes: readonly HttpRoute[], req: HttpRequestInfo, target: RouteTarget = TARGET): string | undefined {
  const s = selectHttpRoute(routes, target, req);
  return s === undefined ? undefined : `${s.route.metadata.name}:${s.rule.name ?? s.ruleIndex}`;
}

describe('HTTPRoute precedence', () => {
  const routes = [
    httpRoute('r1', [
      { name: 'root' },
      { name: 'regex', matches: [path('RegularExpression', '/books/[0-9]+')] },
      { name: 'prefix-books', matches: [path('PathPrefix', '/books')] },
      { name: 'prefix-books-v2', matches: [path('PathPrefix', '/books/v2/')] },
      { name: 'exact', matches: [path('Exact', '/books')] },
      { name: 'tie', matches: [path('Exact', '/tie')] },
      { name: 'dup-first', matches: [path('Exact', '/dup')] },
      { name: 'dup-second', matches: [path('Exact', '/dup')] },
      { name: 'api-regex', matches: [path('RegularExpression', '/api/v[0-9]+/.*')] },
      {
        name: 'q-regex',
        matches: [
          { ...path('Exact', '/search'), queryParams: [{ type: 'RegularExpression', name: 'q', value: '[a-z]+' }] },
        ],
      },
    ]),
    httpRoute(
      'r2',
      [
        { name: 'get-books', matches: [{ ...path('PathPrefix', '/books'), method: 'GET' }] },
        {
          name: 'canary',
          matches: [{ ...path('PathPrefix', '/books'), method: 'GET', headers: [{ name: 'x-canary', value: 'true' }] }],
        },
        {
          name: 'canary-debug',
          matches: [
            {
              ...path('PathPrefix', '/books'),
              method: 'GET',
              headers: [{ name: 'X-Canary', value: 'true' }],
              queryParams: [{ name: 'debug', value: '1' }],
            },
          ],
        },
        { name: 'tie', matches: [path('Exact', '/tie')] },
        { name: 'alpha', matches: [path('Exact', '/alpha')] },
        { name: 'api-exact', matches: [path('Exact', '/api/v1/users')] },
      ],
      { created: '2024-02-01T00:00:00Z' },
    ),
    httpRoute('a-route', [{ name: 'alpha', matches: [path('Exact', '/alpha')] }], { created: '2024-02-01T00:00:00Z' }),
  ];

  const table: readonly [name: string, req: HttpRequestInfo, expected: string | undefined][] = [
    ['an Exact path beats every prefix, even with a method match', request('GET', '/books'), 'r1:exact'],
    ['with equal prefixes, a method match wins', request('GET', '/books/'), 'r2:get-books'],
    ['a longer prefix beats a method match', request('GET', '/books/v2/x'), 'r1:prefix-books-v2'],
    ['a prefix with a trailing slash matches the bare path', request('POST', '/books/v2'), 'r1:prefix-books-v2'],
    ['a regex counts the whole path, so it beats a shorter prefix', request('POST', '/books/1'), 'r1:regex'],
    ['more header matches win', request('GET', '/books/x', { 'x-canary': 'true' }), 'r2:canary'],
    [
      'then more query param matches win',
      request('GET', '/books/x?debug=1', { 'x-canary': 'true' }),
      'r2:canary-debug',
    ],
    ['a header value must match exactly', request('GET', '/books/x', { 'x-canary': 'TRUE' }), 'r2:get-books'],
    ['a prefix matches whole path elements only', request('GET', '/booksx'), 'r1:root'],
    ['an Exact path beats a regex', request('GET', '/api/v1/users'), 'r2:api-exact'],
    ['a regex beats the catch-all "/" prefix', request('GET', '/api/v2/users'), 'r1:api-regex'],
    ['a query param regex matches the whole first value', request('GET', '/search?q=abc&q=1'), 'r1:q-regex'],
    ['a query param regex does not match part of a value', request('GET', '/search?q=abc1'), 'r1:root'],
    ['on a full tie the older route wins', request('GET', '/tie'), 'r1:tie'],
    ['on a tie of age, namespace/name decides', request('GET', '/alpha'), 'a-route:alpha'],
    ['within a route, the first rule wins', request('GET', '/dup'), 'r1:dup-first'],
    ['anything else falls to the default rule', request('DELETE', '/other'), 'r1:root'],
  ];
  for (const [name, req, expected] of table) {
    test(name, () => {
      assert.equal(label(routes, req), expected);
    });
  }

  test('a regex rule wins when no prefix rule matches', () => {
    const r = [
      httpRoute('rx', [
        { name: 'regex', matches: [path('RegularExpression', '/api/v[0-9]+/.*')] },
        { name: 'exact', matches: [path('Exact', '/health')] },
      ]),
    ];
    assert.equal(label(r, request('GET', '/api/v2/users')), 'rx:regex');
    assert.equal(label(r, request('GET', '/api/vx/users')), undefined);
  });

  test('the order of the input routes does not matter', () => {
    const reversed = [...routes].reverse();
    for (const [, req, expected] of table) assert.equal(label(reversed, req), expected);
  });

  test('no route means no match (the proxy answers 404)', () => {
    assert.equal(label([], request('GET', '/')), undefined);
    const narrow = [httpRoute('only', [{ name: 'x', matches: [path('Exact', '/x')] }])];
    assert.equal(label(narrow, request('GET', '/y')), undefined);
  });

  test('a multi-valued header is matched as its values joined with ", "', () => {
    const r = [httpRoute('h', [{ name: 'both', matches: [{ headers: [{ name: 'x-a', value: '1, 2' }] }] }])];
    assert.equal(label(r, { method: 'GET', path: '/', headers: { 'x-a': ['1', '2'] } }), 'h:both');
  });

  test('a path given with its query string is matched without it', () => {
    const r = [httpRoute('e', [{ name: 'x', matches: [path('Exact', '/x')] }])];
    assert.equal(label(r, { method: 'GET', path: '/x?y=1', headers: {} }), 'e:x');
  });
});

describe('HTTPRoute selection by parent and client namespace (GEP-1426)', () => {
  const all = (name: string) => [{ name }];
  const producer = httpRoute('producer', all('p'));
  const consumer = httpRoute('consumer', all('c'), { namespace: 'frontend' });
  const narrowConsumer = httpRoute('narrow', [{ name: 'n', matches: [path('Exact', '/only')] }], {
    namespace: 'checkout',
  });
  const otherPort = httpRoute('other-port', all('o'), {
    spec: { parentRefs: [{ ...PARENT, port: 8080 }] },
    created: '2023-01-01T00:00:00Z',
  });
  const anyPort = httpRoute('any-port', all('a'), {
    spec: { parentRefs: [{ ...PARENT, port: undefined }] },
    namespace: 'admin',
  });
  const gateway = httpRoute('gateway', all('g'), {
    spec: { parentRefs: [{ name: 'web' }] },
    created: '2020-01-01T00:00:00Z',
  });
  const routes = [producer, consumer, narrowConsumer, otherPort, anyPort, gateway];
  const from = (clientNamespace: string, port = 80): RouteTarget => ({
    parent: { namespace: 'shop', name: 'web', port },
    clientNamespace,
  });

  const table: readonly [name: string, target: RouteTarget, path: string, expected: string | undefined][] = [
    ['a client in the Service namespace gets the producer route', from('shop'), '/', 'producer:p'],
    ['a client in another namespace without routes gets the producer route', from('billing'), '/', 'producer:p'],
    ['a client with a consumer route gets it instead', from('frontend'), '/', 'consumer:c'],
    ['consumer routes replace producer routes entirely', from('checkout'), '/', undefined],
    ['a consumer route matches its own requests', from('checkout'), '/only', 'narrow:n'],
    ['a parentRef without a port applies to every port', from('admin', 9090), '/', 'any-port:a'],
    ['a route for port 8080 applies there', from('shop', 8080), '/', 'other-port:o'],
    ['a Gateway parent never applies', from('shop', 9090), '/', undefined],
  ];
  for (const [name, target, p, expected] of table) {
    test(name, () => {
      assert.equal(label(routes, request('GET', p), target), expected);
    });
  }

  test('the router exposes the routes it applies, oldest first', () => {
    const older = httpRoute('older', all('o'), { created: '2023-01-01T00:00:00Z' });
    const router = compileHttpRouter([producer, older, gateway], from('shop'));
    assert.deepEqual(
      router.routes.map((r) => r.metadata.name),
      ['older', 'producer'],
    );
  });
});

describe('HTTPRoute hostnames', () => {
  const exact = httpRoute('exact-host', [{ name: 'x', matches: [path('Exact', '/x')] }], {
    spec: { hostnames: ['web.shop.svc.cluster.local'] },
    created: '2024-03-01T00:00:00Z',
  });
  const wildcard = httpRoute('wildcard-host', [{ name: 'x', matches: [path('Exact', '/x')] }], {
    spec: { hostnames: ['*.svc.cluster.local'] },
    created: '2024-02-01T00:00:00Z',
  });
  const none = httpRoute('no-host', [{ name: 'x', matches: [path('Exact', '/x')] }]);
  const routes = [exact, wildcard, none];
  const table: readonly [name: string, host: string | undefined, expected: string][] = [
    ['an exact hostname beats a wildcard and none', 'web.shop.svc.cluster.local:80', 'exact-host:x'],
    ['a wildcard beats no hostname', 'api.shop.svc.cluster.local', 'wildcard-host:x'],
    ['routes whose hostnames do not match are skipped', 'example.com', 'no-host:x'],
    ['without a host, hostnames are not compared', undefined, 'no-host:x'],
  ];
  for (const [name, host, expected] of table) {
    test(name, () => {
      assert.equal(label(routes, request('GET', '/x', {}, host)), expected);
    });
  }
});
