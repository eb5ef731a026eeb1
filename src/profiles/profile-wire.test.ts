import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DestinationProfile,
  type DestinationProfile as DestinationProfileMessage,
  HttpMethod_Registered,
} from '../api/index.ts';
import { catchError } from '../testing/index.ts';
import { ProfileValidationError } from './profile-errors.ts';
import { parseServiceProfile } from './profile-parse.ts';
import type { ServiceProfile } from './profile-types.ts';
import { defaultDestinationProfile, toDestinationProfile } from './profile-wire.ts';

const TARGET = { fqn: 'web.shop.svc.cluster.local', port: 8080, clusterDomain: 'cluster.local' };

const FULL = parseServiceProfile({
  apiVersion: 'nodemesh.io/v1alpha2',
  kind: 'ServiceProfile',
  metadata: { name: 'web.shop.svc.cluster.local', namespace: 'shop' },
  spec: {
    routes: [
      {
        name: 'GET /books/{id}',
        condition: { method: 'GET', pathRegex: '/books/\\d+' },
        responseClasses: [
          { condition: { status: { min: 500, max: 599 } }, isFailure: true },
          { condition: { status: { min: 404 } } },
          { condition: { not: { status: { max: 299 } }, all: [{ status: { min: 200, max: 499 } }] }, isFailure: true },
        ],
        isRetryable: true,
        timeout: '1.5s',
      },
      { name: 'PROPFIND', condition: { method: 'PROPFIND' } },
      { name: 'any', condition: { any: [{ pathRegex: '/a|/b' }, { not: { method: 'DELETE' } }] } },
    ],
    retryBudget: { retryRatio: 0.25, minRetriesPerSecond: 5, ttl: '30s' },
    dstOverrides: [
      { authority: 'web.shop.svc.cluster.local', weight: '900m' },
      { authority: 'web-v2.shop.svc.cluster.local:9090', weight: 0.1 },
      { authority: 'web-old.shop.svc.example.org', weight: 0 },
    ],
    opaquePorts: ['3306', '8000-8080'],
  },
});

function service(name: string, namespace: string, port: number) {
  return {
    kind: {
      $case: 'resource' as const,
      resource: { group: 'core', kind: 'Service', name, namespace, section: '', port },
    },
  };
}
const GET = { type: { $case: 'registered' as const, registered: HttpMethod_Registered.GET } };

const EXPECTED: DestinationProfileMessage = {
  gatewayRoutes: [],
  routes: [
    {
      condition: {
        match: {
          $case: 'all',
          all: {
            matches: [
              { match: { $case: 'method', method: GET } },
              { match: { $case: 'path', path: { regex: '^(?:/books/\\d+)$' } } },
            ],
          },
        },
      },
      responseClasses: [
        { condition: { match: { $case: 'status', status: { min: 500, max: 599 } } }, isFailure: true },
        { condition: { match: { $case: 'status', status: { min: 404, max: 404 } } }, isFailure: false },
        {
          condition: {
            match: {
              $case: 'all',
              all: {
                matches: [
                  {
                    match: {
                      $case: 'all',
                      all: { matches: [{ match: { $case: 'status', status: { min: 200, max: 499 } } }] },
                    },
                  },
                  { match: { $case: 'not', not: { match: { $case: 'status', status: { min: 299, max: 299 } } } } },
                ],
              },
            },
          },
          isFailure: true,
        },
      ],
      metricsLabels: { route: 'GET /books/{id}' },
      isRetryable: true,
      timeout: { seconds: 1n, nanos: 500_000_000 },
    },
    {
      condition: { match: { $case: 'method', method: { type: { $case: 'unregistered', unregistered: 'PROPFIND' } } } },
      responseClasses: [],
      metricsLabels: { route: 'PROPFIND' },
      isRetryable: false,
    },
    {
      condition: {
        match: {
          $case: 'any',
          any: {
            matches: [
              { match: { $case: 'path', path: { regex: '^(?:/a|/b)$' } } },
              {
                match: {
                  $case: 'not',
                  not: {
                    match: {
                      $case: 'method',
                      method: { type: { $case: 'registered', registered: HttpMethod_Registered.DELETE } },
                    },
                  },
                },
              },
            ],
          },
        },
      },
      responseClasses: [],
      metricsLabels: { route: 'any' },
      isRetryable: false,
    },
  ],
  retryBudget: { retryRatio: 0.25, minRetriesPerSecond: 5, ttl: { seconds: 30n, nanos: 0 } },
  dstOverrides: [
    { authority: 'web.shop.svc.cluster.local:8080', weight: 9000, backendRef: service('web', 'shop', 8080) },
    { authority: 'web-v2.shop.svc.cluster.local:9090', weight: 1000, backendRef: service('web-v2', 'shop', 9090) },
    { authority: 'web-old.shop.svc.example.org:8080', weight: 0 },
  ],
  opaqueProtocol: true,
  fullyQualifiedName: 'web.shop.svc.cluster.local',
  parentRef: service('web', 'shop', 8080),
  profileRef: {
    kind: {
      $case: 'resource',
      resource: {
        group: 'nodemesh.io',
        kind: 'ServiceProfile',
        name: 'web.shop.svc.cluster.local',
        namespace: 'shop',
        section: '',
        port: 0,
      },
    },
  },
};

function roundTrip(message: DestinationProfileMessage): DestinationProfileMessage {
  return DestinationProfile.decode(DestinationProfile.encode(message).finish());
}

describe('toDestinationProfile', () => {
  test('converts every field the way Linkerd’s translator does', () => {
    const dp = toDestinationProfile(FULL, TARGET);
    // Field by field first, so a failure names the part that differs.
    assert.equal(dp.routes.length, 3);
    dp.routes.forEach((route, i) => assert.deepEqual(route, EXPECTED.routes[i], `routes[${i}]`));
    assert.deepEqual(dp.retryBudget, EXPECTED.retryBudget);
    dp.dstOverrides.forEach((dst, i) => assert.deepEqual(dst, EXPECTED.dstOverrides[i], `dstOverrides[${i}]`));
    assert.equal(dp.opaqueProtocol, true);
    assert.equal(dp.fullyQualifiedName, TARGET.fqn);
    assert.deepEqual(dp.parentRef, EXPECTED.parentRef);
    assert.deepEqual(dp.profileRef, EXPECTED.profileRef);
    assert.deepEqual(dp, EXPECTED);
  });

  test('survives DestinationProfile.encode and decode unchanged', () => {
    const dp = toDestinationProfile(FULL, TARGET);
    assert.deepEqual(roundTrip(dp), DestinationProfile.fromPartial(dp));
  });

  const cases: readonly [
    name: string,
    spec: object,
    target: typeof TARGET,
    check: (dp: DestinationProfileMessage) => void,
  ][] = [
    [
      'sends the default retry budget when the profile has none',
      {},
      TARGET,
      (dp) =>
        assert.deepEqual(dp.retryBudget, { retryRatio: 0.2, minRetriesPerSecond: 10, ttl: { seconds: 10n, nanos: 0 } }),
    ],
    [
      'sends no timeout when the route has none',
      { routes: [{ name: 'r', condition: { method: 'GET' } }] },
      TARGET,
      (dp) => assert.equal(dp.routes[0]?.timeout, undefined),
    ],
    [
      'sends a single-field condition without wrapping it in all',
      { routes: [{ name: 'r', condition: { pathRegex: '/x' } }] },
      TARGET,
      (dp) => assert.deepEqual(dp.routes[0]?.condition, { match: { $case: 'path', path: { regex: '^(?:/x)$' } } }),
    ],
    [
      'orders ANDed request fields as Linkerd does: all, any, method, not, path',
      {
        routes: [
          {
            name: 'r',
            condition: {
              pathRegex: '/x',
              not: { method: 'PUT' },
              method: 'GET',
              any: [{ method: 'HEAD' }],
              all: [{ method: 'POST' }],
            },
          },
        ],
      },
      TARGET,
      (dp) => {
        const match = dp.routes[0]?.condition?.match;
        assert.equal(match?.$case, 'all');
        if (match?.$case === 'all')
          assert.deepEqual(
            match.all.matches.map((m) => m.match?.$case),
            ['all', 'any', 'method', 'not', 'path'],
          );
      },
    ],
    [
      'sends a max-only status as a range of that one code',
      {
        routes: [
          { name: 'r', condition: { method: 'GET' }, responseClasses: [{ condition: { status: { max: 503 } } }] },
        ],
      },
      TARGET,
      (dp) =>
        assert.deepEqual(dp.routes[0]?.responseClasses[0]?.condition, {
          match: { $case: 'status', status: { min: 503, max: 503 } },
        }),
    ],
    [
      'is not opaque when the port is outside opaquePorts',
      { opaquePorts: ['3306'] },
      TARGET,
      (dp) => assert.equal(dp.opaqueProtocol, false),
    ],
    [
      'leaves out parentRef when the name is not in the cluster domain',
      {},
      { ...TARGET, fqn: 'web.example.com' },
      (dp) => {
        assert.equal(dp.parentRef, undefined);
        assert.equal(dp.fullyQualifiedName, 'web.example.com');
      },
    ],
    [
      'uses the target port for a backend without one',
      { dstOverrides: [{ authority: 'web-v2.shop.svc.cluster.local', weight: 1 }] },
      { ...TARGET, port: 80 },
      (dp) =>
        assert.deepEqual(dp.dstOverrides, [
          { authority: 'web-v2.shop.svc.cluster.local:80', weight: 10_000, backendRef: service('web-v2', 'shop', 80) },
        ]),
    ],
  ];
  for (const [name, spec, target, check] of cases) {
    test(name, () => {
      const profile = parseServiceProfile({
        apiVersion: 'nodemesh.io/v1alpha2',
        kind: 'ServiceProfile',
        metadata: { name: 'web.shop.svc.cluster.local' },
        spec,
      });
      check(toDestinationProfile(profile, target));
    });
  }

  test("names Linkerd's group in profileRef for a linkerd.io profile", () => {
    const profile = parseServiceProfile({
      apiVersion: 'linkerd.io/v1alpha2',
      kind: 'ServiceProfile',
      metadata: { name: 'web.shop.svc.cluster.local' },
    });
    const ref = toDestinationProfile(profile, TARGET).profileRef?.kind;
    assert.ok(ref?.$case === 'resource');
    assert.equal(ref.resource.group, 'linkerd.io');
    assert.equal(ref.resource.namespace, '');
  });

  test('refuses a hand-built profile whose weight is not a quantity', () => {
    const profile: ServiceProfile = {
      apiVersion: 'nodemesh.io/v1alpha2',
      kind: 'ServiceProfile',
      metadata: { name: 'web.shop.svc.cluster.local' },
      spec: { dstOverrides: [{ authority: 'web.shop.svc.cluster.local', weight: 'lots' }] },
    };
    const err = catchError(() => toDestinationProfile(profile, TARGET), ProfileValidationError);
    assert.equal(err.problems[0]?.path, 'spec.dstOverrides[0].weight');
  });
});

describe('defaultDestinationProfile', () => {
  test('has no routes, the default retry budget and the name', () => {
    const dp = defaultDestinationProfile('web.shop.svc.cluster.local');
    assert.deepEqual(dp, {
      routes: [],
      retryBudget: { retryRatio: 0.2, minRetriesPerSecond: 10, ttl: { seconds: 10n, nanos: 0 } },
      dstOverrides: [],
      opaqueProtocol: false,
      fullyQualifiedName: 'web.shop.svc.cluster.local',
      gatewayRoutes: [],
    });
  });

  test('carries the retry ratio as a 32-bit float on the wire', () => {
    const decoded = roundTrip(defaultDestinationProfile('web.shop.svc.cluster.local'));
    assert.equal(decoded.retryBudget?.retryRatio, Math.fround(0.2));
    assert.equal(decoded.fullyQualifiedName, 'web.shop.svc.cluster.local');
  });
});
