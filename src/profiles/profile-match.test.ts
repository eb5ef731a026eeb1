import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DestinationProfile, type DestinationProfile as DestinationProfileMessage, type Route } from '../api/index.ts';
import { type CompiledProfile, GRPC_FAILURE_STATUS_CODES, compileProfile, requestPath } from './profile-match.ts';
import { parseServiceProfile } from './profile-parse.ts';
import { parseServiceProfilesYaml } from './profile-yaml.ts';
import { defaultDestinationProfile, toDestinationProfile } from './profile-wire.ts';

const TARGET = { fqn: 'web.shop.svc.cluster.local', port: 80, clusterDomain: 'cluster.local' };

/** A compiled profile from a spec, through validation, the wire conversion and protobuf bytes. */
function compiled(spec: object): CompiledProfile {
  const profile = parseServiceProfile({
    apiVersion: 'nodemesh.io/v1alpha2',
    kind: 'ServiceProfile',
    metadata: { name: TARGET.fqn },
    spec,
  });
  const bytes = DestinationProfile.encode(toDestinationProfile(profile, TARGET)).finish();
  return compileProfile(DestinationProfile.decode(bytes));
}

function wire(routes: Route[], extra: Partial<DestinationProfileMessage> = {}): DestinationProfileMessage {
  return { ...defaultDestinationProfile(TARGET.fqn), routes, ...extra };
}

const ROUTES = compiled({
  routes: [
    { name: 'api', condition: { pathRegex: '/api/.*' } },
    { name: 'get books', condition: { method: 'GET', pathRegex: '/books/\\d+' } },
    { name: 'books', condition: { pathRegex: '/books/.*' } },
    { name: 'not delete', condition: { all: [{ pathRegex: '/admin/.*' }, { not: { method: 'DELETE' } }] } },
    { name: 'either', condition: { any: [{ method: 'PATCH' }, { all: [{ method: 'PUT' }, { pathRegex: '/put' }] }] } },
    { name: 'propfind', condition: { method: 'PROPFIND' } },
    { name: 'alternation', condition: { pathRegex: '/a|/b' } },
  ],
});

describe('compileProfile matchRoute', () => {
  const cases: readonly [name: string, method: string, path: string, route: string | undefined][] = [
    ['anchors the path regex at the start', 'GET', '/xapi/1', undefined],
    ['anchors the path regex at the end', 'GET', '/api/1', 'api'],
    ['lets the first matching route win', 'GET', '/books/12', 'get books'],
    ['moves to the next route when the method differs', 'POST', '/books/12', 'books'],
    ['ignores the query string', 'GET', '/books/12?page=2&sort=asc', 'get books'],
    ['does not match the query string against the regex', 'GET', '/books?x=/books/1', undefined],
    ['reads the path of an absolute-form target', 'GET', 'http://web.shop:80/books/7?x=1', 'get books'],
    ['treats an absolute-form target without a path as /', 'GET', 'http://web.shop', undefined],
    ['applies not inside all', 'GET', '/admin/users', 'not delete'],
    ['excludes what not matches', 'DELETE', '/admin/users', undefined],
    ['matches the first branch of any', 'PATCH', '/anything', 'either'],
    ['matches a nested all inside any', 'PUT', '/put', 'either'],
    ['requires every part of a nested all', 'PUT', '/other', undefined],
    ['compares methods case-sensitively', 'patch', '/anything', undefined],
    ['matches an extension method', 'PROPFIND', '/dav', 'propfind'],
    ['keeps a top-level alternation anchored', 'GET', '/a/x', undefined],
    ['matches each alternative whole', 'GET', '/b', 'alternation'],
  ];
  for (const [name, method, path, route] of cases) {
    test(name, () => assert.equal(ROUTES.matchRoute({ method, path })?.name, route));
  }

  test('returns undefined for a profile without routes', () => {
    assert.equal(
      compileProfile(defaultDestinationProfile(TARGET.fqn)).matchRoute({ method: 'GET', path: '/' }),
      undefined,
    );
  });

  test('anchors a regex from a Linkerd control plane, which arrives without anchors', () => {
    const profile = compileProfile(
      wire([
        {
          condition: { match: { $case: 'path', path: { regex: '/api/.*' } } },
          responseClasses: [],
          metricsLabels: { route: 'api' },
          isRetryable: false,
        },
      ]),
    );
    assert.equal(profile.matchRoute({ method: 'GET', path: '/api/1' })?.name, 'api');
    assert.equal(profile.matchRoute({ method: 'GET', path: '/v1/api/1' }), undefined);
  });

  test('drops a route whose regex does not compile and says why, keeping the others', () => {
    const bad: Route = {
      condition: { match: { $case: 'path', path: { regex: '(' } } },
      responseClasses: [],
      metricsLabels: { route: 'bad' },
      isRetryable: false,
    };
    const good: Route = {
      ...bad,
      condition: { match: { $case: 'path', path: { regex: '/.*' } } },
      metricsLabels: { route: 'good' },
    };
    const profile = compileProfile(wire([bad, good]));
    assert.deepEqual(
      profile.routes.map((r) => r.name),
      ['good'],
    );
    assert.equal(profile.skipped[0]?.path, 'routes[0]');
    assert.match(profile.skipped[0]?.reason ?? '', /Unterminated group/);
  });

  test('drops a whole route when part of its all cannot be used, rather than widening it', () => {
    const route: Route = {
      condition: {
        match: {
          $case: 'all',
          all: {
            matches: [
              { match: { $case: 'path', path: { regex: '/.*' } } },
              { match: { $case: 'path', path: { regex: '(?=x)' } } },
            ],
          },
        },
      },
      responseClasses: [],
      metricsLabels: { route: 'r' },
      isRetryable: false,
    };
    const profile = compileProfile(wire([route]));
    assert.equal(profile.routes.length, 0);
    assert.match(profile.skipped[0]?.reason ?? '', /lookaround/);
  });

  test('matches an empty all from the wire and nothing with an empty any, as Linkerd’s proxy does', () => {
    const route = (match: Route['condition']): Route => ({
      condition: match,
      responseClasses: [],
      metricsLabels: { route: 'r' },
      isRetryable: false,
    });
    const all = compileProfile(wire([route({ match: { $case: 'all', all: { matches: [] } } })]));
    const any = compileProfile(wire([route({ match: { $case: 'any', any: { matches: [] } } })]));
    assert.equal(all.matchRoute({ method: 'GET', path: '/' })?.name, 'r');
    assert.equal(any.matchRoute({ method: 'GET', path: '/' }), undefined);
  });

  test('reads the route settings: name, labels, retryable, timeout', () => {
    const profile = compiled({
      routes: [{ name: 'r', condition: { method: 'GET' }, isRetryable: true, timeout: '250ms' }],
    });
    const route = profile.routes[0];
    assert.deepEqual(
      { name: route?.name, labels: route?.metricsLabels, retryable: route?.isRetryable, timeoutMs: route?.timeoutMs },
      { name: 'r', labels: { route: 'r' }, retryable: true, timeoutMs: 250 },
    );
    assert.ok(Object.isFrozen(profile) && Object.isFrozen(route));
  });

  test('matches every generated path the same way as a direct anchored test (seeded, bounded)', () => {
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const segments = ['api', 'books', '12', 'admin', 'a', 'b', 'x', 'put'];
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
    for (let i = 0; i < 300; i++) {
      let path = '';
      for (let n = next(4); n >= 0; n--) path += `/${segments[next(segments.length)] ?? ''}`;
      const method = methods[next(methods.length)] ?? 'GET';
      const query = next(2) === 0 ? '' : `?q=/api/${i}`;
      const expected = [
        ['api', /^\/api\/.*$/.test(path)],
        ['get books', method === 'GET' && /^\/books\/\d+$/.test(path)],
        ['books', /^\/books\/.*$/.test(path)],
        ['not delete', /^\/admin\/.*$/.test(path) && method !== 'DELETE'],
        ['either', method === 'PATCH' || (method === 'PUT' && path === '/put')],
        ['propfind', false],
        ['alternation', path === '/a' || path === '/b'],
      ].find(([, hit]) => hit === true)?.[0];
      assert.equal(ROUTES.matchRoute({ method, path: path + query })?.name, expected, `${method} ${path}${query}`);
    }
  });
});

describe('compileProfile classify', () => {
  const profile = compiled({
    routes: [
      {
        name: 'classes',
        condition: { pathRegex: '/classes' },
        responseClasses: [
          { condition: { status: { min: 503 } }, isFailure: false },
          { condition: { status: { min: 400, max: 499 } }, isFailure: true },
          {
            condition: { all: [{ status: { min: 200, max: 299 } }, { not: { status: { min: 204 } } }] },
            isFailure: true,
          },
        ],
      },
      { name: 'plain', condition: { pathRegex: '/plain' } },
    ],
  });
  const classes = profile.matchRoute({ method: 'GET', path: '/classes' });
  const plain = profile.matchRoute({ method: 'GET', path: '/plain' });
  const { DATA_LOSS, DEADLINE_EXCEEDED, INTERNAL, PERMISSION_DENIED, UNAVAILABLE, UNKNOWN } = GRPC_FAILURE_STATUS_CODES;

  const cases: readonly [
    name: string,
    route: typeof plain,
    status: number,
    grpcStatus: number | undefined,
    expected: 'success' | 'failure',
  ][] = [
    ['counts 200 as a success by default', plain, 200, undefined, 'success'],
    ['counts 404 as a success by default', plain, 404, undefined, 'success'],
    ['counts 500 as a failure by default', plain, 500, undefined, 'failure'],
    ['counts 599 as a failure by default', plain, 599, undefined, 'failure'],
    ['counts a status above 599 as a success by default', plain, 600, undefined, 'success'],
    ['counts gRPC OK as a success', plain, 200, 0, 'success'],
    ['counts gRPC CANCELLED as a success', plain, 200, 1, 'success'],
    ['counts gRPC NOT_FOUND as a success', plain, 200, 5, 'success'],
    ['counts gRPC RESOURCE_EXHAUSTED as a success', plain, 200, 8, 'success'],
    ['counts gRPC UNKNOWN as a failure', plain, 200, UNKNOWN, 'failure'],
    ['counts gRPC DEADLINE_EXCEEDED as a failure', plain, 200, DEADLINE_EXCEEDED, 'failure'],
    ['counts gRPC PERMISSION_DENIED as a failure', plain, 200, PERMISSION_DENIED, 'failure'],
    ['counts gRPC INTERNAL as a failure', plain, 200, INTERNAL, 'failure'],
    ['counts gRPC UNAVAILABLE as a failure', plain, 200, UNAVAILABLE, 'failure'],
    ['counts gRPC DATA_LOSS as a failure', plain, 200, DATA_LOSS, 'failure'],
    ['lets a gRPC status decide over an HTTP 5xx', plain, 503, 0, 'success'],
    ['classifies without a route by the defaults', undefined, 502, undefined, 'failure'],
    ['lets a response class turn a 5xx into a success', classes, 503, undefined, 'success'],
    ['applies a single-bound class to that code only', classes, 502, undefined, 'failure'],
    ['lets a response class turn a 4xx into a failure', classes, 404, undefined, 'failure'],
    ['lets a response class decide over a gRPC status', classes, 503, UNAVAILABLE, 'success'],
    ['applies all with not inside a class', classes, 201, undefined, 'failure'],
    ['falls through a class whose not excludes the status', classes, 204, undefined, 'success'],
    ['falls back to the gRPC defaults when no class matches', classes, 200, INTERNAL, 'failure'],
  ];
  for (const [name, route, status, grpcStatus, expected] of cases) {
    test(name, () => assert.equal(profile.classify(route, { status, grpcStatus }), expected));
  }

  test('reads a status bound of 0 from the wire as unset, and drops classes it cannot use', () => {
    const route: Route = {
      condition: { match: { $case: 'method', method: { type: { $case: 'unregistered', unregistered: 'GET' } } } },
      responseClasses: [
        { condition: { match: { $case: 'status', status: { min: 404, max: 0 } } }, isFailure: true },
        { condition: { match: { $case: 'status', status: { min: 0, max: 0 } } }, isFailure: true },
        { condition: { match: { $case: 'status', status: { min: 500, max: 400 } } }, isFailure: true },
        { condition: { match: { $case: 'any', any: { matches: [] } } }, isFailure: true },
        { isFailure: true },
      ],
      metricsLabels: {},
      isRetryable: false,
    };
    const p = compileProfile(wire([route]));
    const r = p.matchRoute({ method: 'GET', path: '/' });
    assert.equal(r?.name, '');
    assert.equal(p.classify(r, { status: 404 }), 'failure');
    assert.equal(p.classify(r, { status: 405 }), 'success');
    assert.deepEqual(
      p.skipped.map((s) => s.path),
      [
        'routes[0].responseClasses[1]',
        'routes[0].responseClasses[2]',
        'routes[0].responseClasses[3]',
        'routes[0].responseClasses[4]',
      ],
    );
  });
});

describe('compileProfile budget and backends', () => {
  test('keeps a valid retry budget', () => {
    assert.deepEqual(compileProfile(defaultDestinationProfile(TARGET.fqn)).retryBudget, {
      retryRatio: 0.2,
      minRetriesPerSecond: 10,
      ttlMs: 10_000,
    });
  });

  const invalid: readonly [name: string, budget: DestinationProfileMessage['retryBudget'], reason: RegExp][] = [
    [
      'a ratio above 1000',
      { retryRatio: 1001, minRetriesPerSecond: 10, ttl: { seconds: 10n, nanos: 0 } },
      /retryRatio/,
    ],
    [
      'a ttl under 1s',
      { retryRatio: 0.2, minRetriesPerSecond: 10, ttl: { seconds: 0n, nanos: 999_000_000 } },
      /outside 1s-60s/,
    ],
    ['a ttl over 60s', { retryRatio: 0.2, minRetriesPerSecond: 10, ttl: { seconds: 61n, nanos: 0 } }, /outside 1s-60s/],
    ['a missing ttl', { retryRatio: 0.2, minRetriesPerSecond: 10 }, /ttl is missing/],
    [
      'too many retries per second',
      { retryRatio: 0.2, minRetriesPerSecond: 2 ** 31, ttl: { seconds: 10n, nanos: 0 } },
      /too large/,
    ],
  ];
  for (const [name, retryBudget, reason] of invalid) {
    test(`turns retries off for ${name}`, () => {
      const p = compileProfile(wire([], { retryBudget }));
      assert.equal(p.retryBudget, undefined);
      assert.equal(p.skipped[0]?.path, 'retryBudget');
      assert.match(p.skipped[0]?.reason ?? '', reason);
    });
  }

  test('drops weight-0 backends', () => {
    const p = compiled({
      dstOverrides: [
        { authority: 'web.shop.svc.cluster.local', weight: 1 },
        { authority: 'web-v2.shop.svc.cluster.local', weight: 0 },
      ],
    });
    assert.deepEqual(p.backends, [{ authority: 'web.shop.svc.cluster.local:80', weight: 10_000 }]);
    assert.deepEqual(p.skipped, []);
  });

  test('reads a profile from YAML through to a routed, classified request', () => {
    const [result] = parseServiceProfilesYaml(
      `apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata:
  name: web.shop.svc.cluster.local
spec:
  routes:
    - name: GET /books/{id}
      condition: {method: GET, pathRegex: '/books/\\d+'}
      responseClasses:
        - condition: {status: {min: 404}}
          isFailure: true
`,
      'web.yaml',
    );
    assert.ok(result?.ok);
    const p = compileProfile(
      DestinationProfile.decode(DestinationProfile.encode(toDestinationProfile(result.profile, TARGET)).finish()),
    );
    const route = p.matchRoute({ method: 'GET', path: '/books/42?x=1' });
    assert.equal(route?.name, 'GET /books/{id}');
    assert.equal(p.classify(route, { status: 404 }), 'failure');
  });
});

describe('requestPath', () => {
  const cases: readonly [target: string, path: string][] = [
    ['/a/b', '/a/b'],
    ['/a/b?c=d', '/a/b'],
    ['/?', '/'],
    ['http://host/a?b', '/a'],
    ['https://host:8443', '/'],
    ['*', '*'],
  ];
  for (const [target, path] of cases)
    test(`reads ${JSON.stringify(target)} as ${JSON.stringify(path)}`, () => assert.equal(requestPath(target), path));
});
