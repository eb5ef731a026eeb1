import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { catchError } from '../testing/index.ts';
import { ProfileValidationError } from './profile-errors.ts';
import { MAX_MATCH_DEPTH } from './profile-parse-match.ts';
import { parseServiceProfile } from './profile-parse.ts';

type Obj = Record<string, unknown>;

const NAME = 'web.shop.svc.cluster.local';

function profile(spec: unknown = {}, rest: Obj = {}): Obj {
  return {
    apiVersion: 'nodemesh.io/v1alpha2',
    kind: 'ServiceProfile',
    metadata: { name: NAME, namespace: 'shop' },
    spec,
    ...rest,
  };
}
function withRoute(route: Obj): Obj {
  return profile({ routes: [{ name: 'r', condition: { method: 'GET' }, ...route }] });
}
function withCondition(condition: unknown): Obj {
  return withRoute({ condition });
}
function withResponse(condition: unknown): Obj {
  return withRoute({ responseClasses: [{ condition, isFailure: true }] });
}
function withBudget(retryBudget: unknown): Obj {
  return profile({ retryBudget });
}
function withOverrides(dstOverrides: unknown): Obj {
  return profile({ dstOverrides });
}
function nested(depth: number): Obj {
  let match: Obj = { method: 'GET' };
  for (let i = 0; i < depth; i++) match = { not: match };
  return match;
}

describe('parseServiceProfile accepts', () => {
  const valid: readonly [name: string, obj: Obj][] = [
    ['a profile with an empty spec', profile()],
    [
      'a profile with no spec at all',
      { apiVersion: 'nodemesh.io/v1alpha2', kind: 'ServiceProfile', metadata: { name: NAME } },
    ],
    ["Linkerd's apiVersion", profile({}, { apiVersion: 'linkerd.io/v1alpha2' })],
    ['another cluster domain', profile({}, { metadata: { name: 'web.shop.svc.example.org' } })],
    [
      'a route with every field',
      withRoute({
        name: 'GET /books/{id}',
        condition: { method: 'GET', pathRegex: '/books/\\d+' },
        responseClasses: [{ condition: { status: { min: 500, max: 599 } }, isFailure: true }],
        isRetryable: true,
        timeout: '1m30s',
      }),
    ],
    [
      'a condition combining all, any and not',
      withCondition({ all: [{ method: 'GET' }, { not: { pathRegex: '/x' } }], any: [{ pathRegex: '/a' }] }),
    ],
    ['an extension method', withCondition({ method: 'PROPFIND' })],
    ['RE2 syntax Linkerd users write', withCondition({ pathRegex: '\\A/books/(?P<id>\\d+)\\z' })],
    ['a status with only min', withResponse({ status: { min: 404 } })],
    ['a status with only max', withResponse({ status: { max: 503 } })],
    ['a status range of one code', withResponse({ status: { min: 418, max: 418 } })],
    [
      'a response condition combining all, any and not',
      withResponse({ all: [{ status: { min: 500 } }], any: [{ not: { status: { min: 200, max: 299 } } }] }),
    ],
    ['the smallest retry budget', withBudget({ retryRatio: 0, minRetriesPerSecond: 0, ttl: '1s' })],
    ['the largest retry budget', withBudget({ retryRatio: 1000, minRetriesPerSecond: 2_147_483_647, ttl: '60s' })],
    [
      'weights of every form, one of them 0',
      withOverrides([
        { authority: 'web.shop.svc.cluster.local:80', weight: 1 },
        { authority: 'web-v2.shop.svc.cluster.local', weight: '500m' },
        { authority: 'web-v3.shop.svc.cluster.local', weight: 0.5 },
        { authority: 'web-v4.shop.svc.cluster.local', weight: 0 },
      ]),
    ],
    ['an empty dstOverrides list', withOverrides([])],
    ['opaque ports and ranges as strings', profile({ opaquePorts: ['3306', '4000-4100'] })],
    ['null for optional fields, as absent', withRoute({ timeout: null, responseClasses: null, isRetryable: null })],
    [
      'ObjectMeta fields the API server adds',
      profile(
        {},
        {
          metadata: {
            name: NAME,
            uid: 'u',
            resourceVersion: '7',
            generation: 2,
            creationTimestamp: '2024-01-01T00:00:00Z',
            managedFields: [],
          },
        },
      ),
    ],
    [`matches nested ${MAX_MATCH_DEPTH - 1} levels deep`, withCondition(nested(MAX_MATCH_DEPTH - 1))],
  ];
  for (const [name, obj] of valid) {
    test(name, () => {
      const parsed = parseServiceProfile(obj);
      assert.equal(parsed.metadata.name, (obj['metadata'] as Obj)['name']);
    });
  }

  test('keeps known fields only, and freezes the result all the way down', () => {
    const parsed = parseServiceProfile(
      profile(
        { routes: [{ name: 'r', condition: { all: [{ method: 'GET' }] } }] },
        { metadata: { name: NAME, labels: { app: 'web' }, managedFields: [{}] } },
      ),
    );
    assert.deepEqual(parsed, {
      apiVersion: 'nodemesh.io/v1alpha2',
      kind: 'ServiceProfile',
      metadata: { name: NAME, labels: { app: 'web' } },
      spec: { routes: [{ name: 'r', condition: { all: [{ method: 'GET' }] } }] },
    });
    assert.ok(Object.isFrozen(parsed));
    assert.ok(Object.isFrozen(parsed.spec.routes?.[0]?.condition.all?.[0]));
    assert.ok(Object.isFrozen(parsed.metadata.labels));
  });
});

describe('parseServiceProfile rejects', () => {
  const invalid: readonly [name: string, obj: unknown, path: string, problem: RegExp][] = [
    ['a document that is not an object', 'web', '(document)', /must be a mapping/],
    ['a missing apiVersion', { kind: 'ServiceProfile', metadata: { name: NAME } }, 'apiVersion', /is missing/],
    [
      'the old v1alpha1 version',
      profile({}, { apiVersion: 'linkerd.io/v1alpha1' }),
      'apiVersion',
      /not a ServiceProfile version/,
    ],
    ['another kind', profile({}, { kind: 'Service' }), 'kind', /"Service" is not ServiceProfile/],
    ['a missing metadata', { apiVersion: 'nodemesh.io/v1alpha2', kind: 'ServiceProfile' }, 'metadata', /is missing/],
    ['a missing name', profile({}, { metadata: { namespace: 'shop' } }), 'metadata.name', /is missing/],
    [
      'a name that is not a service name',
      profile({}, { metadata: { name: 'web.shop' } }),
      'metadata.name',
      /form <service>\.<namespace>\.svc/,
    ],
    [
      'a name without svc',
      profile({}, { metadata: { name: 'web.shop.cluster.local' } }),
      'metadata.name',
      /form <service>/,
    ],
    [
      'a name in upper case',
      profile({}, { metadata: { name: 'Web.shop.svc.cluster.local' } }),
      'metadata.name',
      /upper-case/,
    ],
    [
      'a service name starting with a digit',
      profile({}, { metadata: { name: '1web.shop.svc.cluster.local' } }),
      'metadata.name',
      /start with a letter/,
    ],
    [
      'a name longer than 253 characters',
      profile(
        {},
        { metadata: { name: `${'a'.repeat(63)}.${'b'.repeat(63)}.svc.${'c'.repeat(63)}.${'d'.repeat(63)}` } },
      ),
      'metadata.name',
      /at most 253/,
    ],
    [
      'a namespace that is not a label',
      profile({}, { metadata: { name: NAME, namespace: 'Shop' } }),
      'metadata.namespace',
      /not a DNS-1123 label/,
    ],
    [
      'a label value that is not a string',
      profile({}, { metadata: { name: NAME, labels: { tier: 1 } } }),
      'metadata.labels.tier',
      /must be a string/,
    ],
    ['an unknown top-level field', profile({}, { status: {} }), 'status', /unknown field/],
    [
      'a misspelt metadata field',
      profile({}, { metadata: { nmae: NAME, name: NAME } }),
      'metadata.nmae',
      /did you mean "name"/,
    ],
    ['a misspelt spec field', profile({ route: [] }), 'spec.route', /did you mean "routes"/],
    ['a spec that is a list', profile([]), 'spec', /must be a mapping/],
    ['routes that are not a list', profile({ routes: {} }), 'spec.routes', /must be a list/],
    ['a route that is not an object', profile({ routes: ['GET /'] }), 'spec.routes[0]', /must be a mapping/],
    [
      'a misspelt route field',
      withRoute({ isRetriable: true }),
      'spec.routes[0].isRetriable',
      /did you mean "isRetryable"/,
    ],
    [
      'a route without a name',
      profile({ routes: [{ condition: { method: 'GET' } }] }),
      'spec.routes[0].name',
      /is missing/,
    ],
    ['a route with an empty name', withRoute({ name: '' }), 'spec.routes[0].name', /is empty/],
    [
      'a route name that is a number',
      withRoute({ name: 5 }),
      'spec.routes[0].name',
      /must be a string, got number 5 \(quote it/,
    ],
    ['a route without a condition', profile({ routes: [{ name: 'r' }] }), 'spec.routes[0].condition', /is missing/],
    ['a condition that is a string', withCondition('/books'), 'spec.routes[0].condition', /must be a mapping/],
    ['a condition with no field', withCondition({}), 'spec.routes[0].condition', /sets no match field/],
    [
      'a misspelt condition field',
      withCondition({ pathregex: '/x', method: 'GET' }),
      'spec.routes[0].condition.pathregex',
      /did you mean "pathRegex"/,
    ],
    [
      'an empty all',
      withCondition({ all: [] }),
      'spec.routes[0].condition.all',
      /empty list \(it would match everything\)/,
    ],
    [
      'an empty any',
      withCondition({ any: [] }),
      'spec.routes[0].condition.any',
      /empty list \(it would match nothing\)/,
    ],
    [
      'a not given as a list',
      withCondition({ not: [{ method: 'GET' }] }),
      'spec.routes[0].condition.not',
      /single match, not a list/,
    ],
    [
      'a bad match deep inside all and not',
      withCondition({ all: [{ method: 'GET' }, { not: { method: 'get' } }] }),
      'spec.routes[0].condition.all[1].not.method',
      /did you mean "GET"/,
    ],
    [
      'an empty match inside any',
      withCondition({ any: [{ method: 'GET' }, {}] }),
      'spec.routes[0].condition.any[1]',
      /sets no match field/,
    ],
    [
      `matches nested ${MAX_MATCH_DEPTH} levels deep`,
      withCondition(nested(MAX_MATCH_DEPTH)),
      `spec.routes[0].condition${'.not'.repeat(MAX_MATCH_DEPTH)}`,
      /nests/,
    ],
    [
      'a path regex that does not compile',
      withCondition({ pathRegex: '(' }),
      'spec.routes[0].condition.pathRegex',
      /^invalid regular expression "\(": Unterminated group$/,
    ],
    ['an empty path regex', withCondition({ pathRegex: '' }), 'spec.routes[0].condition.pathRegex', /is empty/],
    [
      'a path regex with a backreference',
      withCondition({ pathRegex: '/(a)\\1' }),
      'spec.routes[0].condition.pathRegex',
      /backreference/,
    ],
    [
      'a path regex with lookahead',
      withCondition({ pathRegex: '/(?!admin).*' }),
      'spec.routes[0].condition.pathRegex',
      /lookaround/,
    ],
    [
      'a path regex with an inline flag',
      withCondition({ pathRegex: '(?i)/api' }),
      'spec.routes[0].condition.pathRegex',
      /inline flags/,
    ],
    [
      'a lower-case method',
      withCondition({ method: 'post' }),
      'spec.routes[0].condition.method',
      /did you mean "POST"/,
    ],
    [
      'a method with a space',
      withCondition({ method: 'GE T' }),
      'spec.routes[0].condition.method',
      /not an HTTP method token/,
    ],
    [
      'a method that is not a string',
      withCondition({ method: true }),
      'spec.routes[0].condition.method',
      /must be a string/,
    ],
    ['isRetryable as a string', withRoute({ isRetryable: 'true' }), 'spec.routes[0].isRetryable', /must be a boolean/],
    ['a timeout without units', withRoute({ timeout: '10' }), 'spec.routes[0].timeout', /not a Go duration/],
    ['a zero timeout', withRoute({ timeout: '0s' }), 'spec.routes[0].timeout', /not greater than 0/],
    ['a negative timeout', withRoute({ timeout: '-1s' }), 'spec.routes[0].timeout', /not a Go duration/],
    ['a timeout given as a number', withRoute({ timeout: 10 }), 'spec.routes[0].timeout', /must be a string/],
    [
      'responseClasses that are not a list',
      withRoute({ responseClasses: {} }),
      'spec.routes[0].responseClasses',
      /must be a list/,
    ],
    [
      'a response class without a condition',
      withRoute({ responseClasses: [{ isFailure: true }] }),
      'spec.routes[0].responseClasses[0].condition',
      /is missing/,
    ],
    [
      'a response class with a misspelt field',
      withRoute({ responseClasses: [{ condition: { status: { min: 500 } }, failure: true }] }),
      'spec.routes[0].responseClasses[0].failure',
      /unknown field/,
    ],
    [
      'isFailure as a string',
      withRoute({ responseClasses: [{ condition: { status: { min: 500 } }, isFailure: 'yes' }] }),
      'spec.routes[0].responseClasses[0].isFailure',
      /must be a boolean/,
    ],
    [
      'a response condition with no field',
      withResponse({}),
      'spec.routes[0].responseClasses[0].condition',
      /sets no match field/,
    ],
    [
      'a status with neither bound',
      withResponse({ status: {} }),
      'spec.routes[0].responseClasses[0].condition.status',
      /neither min nor max/,
    ],
    [
      'a status below 100',
      withResponse({ status: { min: 99 } }),
      'spec.routes[0].responseClasses[0].condition.status.min',
      /99 is not an HTTP status code/,
    ],
    [
      'a status above 599',
      withResponse({ status: { min: 500, max: 600 } }),
      'spec.routes[0].responseClasses[0].condition.status.max',
      /600 is not/,
    ],
    [
      'a zero status bound',
      withResponse({ status: { min: 0, max: 504 } }),
      'spec.routes[0].responseClasses[0].condition.status.min',
      /0 is not/,
    ],
    [
      'a status range with max below min',
      withResponse({ status: { min: 504, max: 500 } }),
      'spec.routes[0].responseClasses[0].condition.status.max',
      /500 is below min 504/,
    ],
    [
      'a fractional status',
      withResponse({ status: { min: 500.5 } }),
      'spec.routes[0].responseClasses[0].condition.status.min',
      /500.5 is not/,
    ],
    [
      'a status given as a string',
      withResponse({ status: { min: '500' } }),
      'spec.routes[0].responseClasses[0].condition.status.min',
      /must be a number/,
    ],
    [
      'a misspelt status field',
      withResponse({ status: { from: 500, min: 500 } }),
      'spec.routes[0].responseClasses[0].condition.status.from',
      /unknown field/,
    ],
    [
      'a bad status inside not',
      withResponse({ not: { status: { min: 700 } } }),
      'spec.routes[0].responseClasses[0].condition.not.status.min',
      /700 is not/,
    ],
    [
      'a retry budget without ttl',
      withBudget({ retryRatio: 0.2, minRetriesPerSecond: 10 }),
      'spec.retryBudget.ttl',
      /is missing/,
    ],
    [
      'a negative retry ratio',
      withBudget({ retryRatio: -0.1, minRetriesPerSecond: 10, ttl: '10s' }),
      'spec.retryBudget.retryRatio',
      /outside 0-1000/,
    ],
    [
      'a retry ratio above 1000',
      withBudget({ retryRatio: 1001, minRetriesPerSecond: 10, ttl: '10s' }),
      'spec.retryBudget.retryRatio',
      /outside 0-1000/,
    ],
    [
      'a retry ratio given as a string',
      withBudget({ retryRatio: '0.2', minRetriesPerSecond: 10, ttl: '10s' }),
      'spec.retryBudget.retryRatio',
      /must be a number/,
    ],
    [
      'a fractional minRetriesPerSecond',
      withBudget({ retryRatio: 0.2, minRetriesPerSecond: 1.5, ttl: '10s' }),
      'spec.retryBudget.minRetriesPerSecond',
      /not an integer/,
    ],
    [
      'a ttl under 1s',
      withBudget({ retryRatio: 0.2, minRetriesPerSecond: 10, ttl: '999ms' }),
      'spec.retryBudget.ttl',
      /outside 1s-60s/,
    ],
    [
      'a ttl over 60s',
      withBudget({ retryRatio: 0.2, minRetriesPerSecond: 10, ttl: '1m1s' }),
      'spec.retryBudget.ttl',
      /outside 1s-60s/,
    ],
    [
      'a ttl that is not a duration',
      withBudget({ retryRatio: 0.2, minRetriesPerSecond: 10, ttl: 'ten seconds' }),
      'spec.retryBudget.ttl',
      /not a Go duration/,
    ],
    [
      'a misspelt retry budget field',
      withBudget({ retryRatio: 0.2, minRetriesPerSecond: 10, ttl: '10s', maxRetries: 3 }),
      'spec.retryBudget.maxRetries',
      /unknown field/,
    ],
    ['dstOverrides that are not a list', withOverrides({ authority: 'x' }), 'spec.dstOverrides', /must be a list/],
    [
      'an authority that is not a service name',
      withOverrides([{ authority: 'web', weight: 1 }]),
      'spec.dstOverrides[0].authority',
      /form <service>/,
    ],
    [
      'an authority with port 0',
      withOverrides([{ authority: 'web.shop.svc.cluster.local:0', weight: 1 }]),
      'spec.dstOverrides[0].authority',
      /port "0" is not in 1-65535/,
    ],
    [
      'an authority with a port too large',
      withOverrides([{ authority: 'web.shop.svc.cluster.local:70000', weight: 1 }]),
      'spec.dstOverrides[0].authority',
      /not in 1-65535/,
    ],
    ['a missing authority', withOverrides([{ weight: 1 }]), 'spec.dstOverrides[0].authority', /is missing/],
    [
      'a missing weight',
      withOverrides([{ authority: 'web.shop.svc.cluster.local' }]),
      'spec.dstOverrides[0].weight',
      /is missing/,
    ],
    [
      'a negative weight',
      withOverrides([{ authority: 'web.shop.svc.cluster.local', weight: '-1' }]),
      'spec.dstOverrides[0].weight',
      /is negative/,
    ],
    [
      'a weight that is not a quantity',
      withOverrides([{ authority: 'web.shop.svc.cluster.local', weight: 'half' }]),
      'spec.dstOverrides[0].weight',
      /not a Kubernetes quantity/,
    ],
    [
      'a weight given as a boolean',
      withOverrides([{ authority: 'web.shop.svc.cluster.local', weight: true }]),
      'spec.dstOverrides[0].weight',
      /number or a quantity string/,
    ],
    [
      'weights that are all 0',
      withOverrides([
        { authority: 'web.shop.svc.cluster.local', weight: 0 },
        { authority: 'web-v2.shop.svc.cluster.local', weight: '0m' },
      ]),
      'spec.dstOverrides',
      /every backend weight 0/,
    ],
    [
      'an opaque port given as a number',
      profile({ opaquePorts: [3306] }),
      'spec.opaquePorts[0]',
      /must be a string, got number 3306 \(quote it\)/,
    ],
    ['opaque port 0', profile({ opaquePorts: ['0'] }), 'spec.opaquePorts[0]', /not a port/],
    ['an opaque port range backwards', profile({ opaquePorts: ['5000-4000'] }), 'spec.opaquePorts[0]', /not a port/],
    ['an opaque port name', profile({ opaquePorts: ['mysql'] }), 'spec.opaquePorts[0]', /not a port/],
  ];
  for (const [name, obj, path, problem] of invalid) {
    test(name, () => {
      const err = catchError(() => parseServiceProfile(obj), ProfileValidationError);
      assert.equal(err.code, 'MESH_ERR_PROFILE_INVALID');
      assert.deepEqual(
        err.problems.map((p) => p.path),
        [path],
        err.message,
      );
      assert.match(err.problems[0]?.problem ?? '', problem);
      assert.ok(err.message.includes(`  - ${path}: `), err.message);
      assert.ok((err.problems[0]?.allowed ?? '') !== '');
    });
  }

  test('reports every problem at once, each with its path and what is allowed', () => {
    const obj = profile({
      routes: [
        { name: 'a', condition: { method: 'GET' } },
        { condition: { method: 'GET' } },
        { name: 'c', condition: { pathRegex: '(' } },
      ],
      retryBudget: { retryRatio: 2000, minRetriesPerSecond: 10, ttl: '10s' },
    });
    const err = catchError(() => parseServiceProfile(obj, { file: 'web.yaml', line: 3 }), ProfileValidationError);
    assert.deepEqual(
      err.problems.map((p) => p.path),
      ['spec.routes[1].name', 'spec.routes[2].condition.pathRegex', 'spec.retryBudget.retryRatio'],
    );
    assert.equal(err.profileName, NAME);
    const lines = err.message.split('\n');
    assert.equal(lines[0], `invalid ServiceProfile "${NAME}" (web.yaml:3): 3 problems:`);
    assert.equal(
      lines[2],
      '  - spec.routes[2].condition.pathRegex: invalid regular expression "(": Unterminated group; allowed: a regular expression matched against the whole path (no query string); RE2/JavaScript common syntax without backreferences, lookaround, inline flags or Unicode classes',
    );
    assert.deepEqual(
      err.fields['paths'],
      err.problems.map((p) => p.path),
    );
  });

  test('reports the three fields of a retry budget that has none of them', () => {
    const err = catchError(() => parseServiceProfile(withBudget({})), ProfileValidationError);
    assert.deepEqual(
      err.problems.map((p) => p.path),
      ['spec.retryBudget.retryRatio', 'spec.retryBudget.minRetriesPerSecond', 'spec.retryBudget.ttl'],
    );
    assert.match(err.problems[0]?.allowed ?? '', /all three fields are required/);
  });

  test('names fields that are not identifiers in brackets', () => {
    const err = catchError(() => parseServiceProfile(profile({ 'dst overrides': [] })), ProfileValidationError);
    assert.equal(err.problems[0]?.path, 'spec["dst overrides"]');
  });
});
