import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RouteValidationError } from './route-errors.ts';
import { parseRoute, type RouteParseResult } from './route-parse.ts';
import type { GrpcRoute, HttpRoute, Route } from './route-types.ts';

type Obj = Record<string, unknown>;

const SERVICE_PARENT = { group: '', kind: 'Service', name: 'web', port: 80 };

function route(kind: 'HTTPRoute' | 'GRPCRoute', spec: Obj, metadata: Obj = {}): Obj {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind,
    metadata: { name: 'web-route', namespace: 'shop', ...metadata },
    spec: { parentRefs: [SERVICE_PARENT], ...spec },
  };
}
const http = (spec: Obj, metadata?: Obj): Obj => route('HTTPRoute', spec, metadata);
const grpc = (spec: Obj): Obj => route('GRPCRoute', spec);
const httpRule = (rule: Obj): Obj => http({ rules: [{ backendRefs: [{ name: 'web', port: 80 }], ...rule }] });
const httpMatch = (match: Obj): Obj => httpRule({ matches: [match] });
const httpFilter = (filter: Obj): Obj => httpRule({ filters: [filter] });
const httpBackend = (backend: Obj): Obj => http({ rules: [{ backendRefs: [{ name: 'web', port: 80, ...backend }] }] });
const grpcRule = (rule: Obj): Obj => grpc({ rules: [{ backendRefs: [{ name: 'api', port: 50051 }], ...rule }] });
const grpcMethod = (method: Obj): Obj => grpcRule({ matches: [{ method }] });
const modifier = (m: Obj): Obj => httpFilter({ type: 'RequestHeaderModifier', requestHeaderModifier: m });
const redirect = (r: Obj, rule: Obj = {}): Obj =>
  http({ rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: r }], ...rule }] });
const repeat = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

function accepted(result: RouteParseResult): Route {
  if (!result.ok) assert.fail(result.error.message);
  return result.route;
}
function refused(result: RouteParseResult): RouteValidationError {
  assert.ok(!result.ok, 'expected the route to be refused');
  return result.error;
}

describe('parseRoute accepts', () => {
  const valid: readonly [name: string, obj: Obj][] = [
    ['an HTTPRoute with no rules (one default rule)', http({})],
    [
      'a path of every type',
      httpRule({
        matches: [
          { path: { type: 'Exact', value: '/a' } },
          { path: { type: 'PathPrefix', value: '/b/' } },
          { path: { type: 'RegularExpression', value: '/c/[0-9]+' } },
        ],
      }),
    ],
    ['percent-encoded path characters', httpMatch({ path: { value: '/a%20b/~user' } })],
    [
      'header, query and method matches',
      httpMatch({
        headers: [
          { name: 'x-canary', value: 'true' },
          { type: 'RegularExpression', name: 'x-v', value: 'v[12]' },
        ],
        queryParams: [{ name: 'debug', value: '1' }],
        method: 'PATCH',
      }),
    ],
    [
      'a leading (?i) in a regex',
      httpMatch({ headers: [{ type: 'RegularExpression', name: 'x-v', value: '(?i)beta' }] }),
    ],
    ['RE2 named groups', httpMatch({ path: { type: 'RegularExpression', value: '/users/(?P<id>[0-9]+)' } })],
    ['16 rules of 8 matches (128 in all)', http({ rules: repeat(16, () => ({ matches: repeat(8, () => ({})) })) })],
    ['64 matches in one rule', httpRule({ matches: repeat(64, (i) => ({ path: { value: `/p${i}` } })) })],
    [
      'header modifiers with one action per header',
      modifier({ set: [{ name: 'x-a', value: '1' }], add: [{ name: 'x-b', value: 'a, b' }], remove: ['x-c'] }),
    ],
    [
      'a response header modifier',
      httpFilter({ type: 'ResponseHeaderModifier', responseHeaderModifier: { remove: ['server'] } }),
    ],
    [
      'a redirect with every field',
      redirect({
        scheme: 'https',
        hostname: 'www.example.com',
        path: { type: 'ReplaceFullPath', replaceFullPath: '/new' },
        port: 8443,
        statusCode: 301,
      }),
    ],
    [
      'ReplacePrefixMatch with exactly one PathPrefix match',
      redirect(
        { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } },
        { matches: [{ path: { type: 'PathPrefix', value: '/v1' } }] },
      ),
    ],
    [
      'ReplacePrefixMatch with the default match',
      redirect({ path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } }),
    ],
    [
      'weights 0 and 1,000,000',
      http({
        rules: [
          {
            backendRefs: [
              { name: 'a', port: 80, weight: 0 },
              { name: 'b', port: 80, weight: 1_000_000 },
            ],
          },
        ],
      }),
    ],
    [
      'a backend of another kind without a port',
      httpBackend({ group: 'example.com', kind: 'Bucket', port: undefined }),
    ],
    [
      'timeouts with backendRequest equal to request',
      httpRule({ timeouts: { request: '10s', backendRequest: '10s' } }),
    ],
    ['a backendRequest longer than a request of 0s', httpRule({ timeouts: { request: '0s', backendRequest: '1h' } })],
    [
      'two parentRefs to one Service with distinct ports',
      http({ parentRefs: [SERVICE_PARENT, { ...SERVICE_PARENT, port: 8080 }] }),
    ],
    ['a Gateway parent (kept, not ours)', http({ parentRefs: [{ name: 'gw' }] })],
    ['wildcard hostnames', http({ hostnames: ['*.shop.svc.cluster.local', 'web'] })],
    ['unique rule names', http({ rules: [{ name: 'a' }, { name: 'b' }] })],
    [
      'a gRPC service-only, method-only and regex match',
      grpcRule({
        matches: [
          { method: { service: 'helloworld.Greeter' } },
          { method: { method: 'SayHello' } },
          { method: { type: 'RegularExpression', service: 'helloworld\\..*' } },
        ],
      }),
    ],
    ['a gRPC rule without matches', grpcRule({})],
    ['a GRPCRoute without rules', grpc({})],
    [
      'a gRPC header modifier',
      grpcRule({
        filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'x-a', value: '1' }] } }],
      }),
    ],
    [
      'a status stanza and other ObjectMeta fields',
      {
        ...http(
          {},
          { uid: 'u', generation: 3, creationTimestamp: '2024-01-01T00:00:00Z', labels: { a: 'b' }, managedFields: [] },
        ),
        status: { parents: [] },
      },
    ],
  ];
  for (const [name, obj] of valid) {
    test(name, () => {
      accepted(parseRoute(obj));
    });
  }

  test('applies the CRD defaults and resolves namespaces', () => {
    const r = accepted(
      parseRoute(
        http({
          parentRefs: [
            { group: '', kind: 'Service', name: 'web' },
            { name: 'gw', namespace: 'infra' },
          ],
          rules: [
            {
              matches: [{ headers: [{ name: 'a', value: 'b' }] }],
              backendRefs: [{ name: 'web', port: 80 }],
              filters: [],
            },
          ],
        }),
      ),
    ) as HttpRoute;
    assert.deepEqual(r.parentRefs, [
      { group: '', kind: 'Service', name: 'web', namespace: 'shop', mesh: true },
      { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw', namespace: 'infra', mesh: false },
    ]);
    assert.deepEqual(r.rules[0]?.matches, [
      {
        path: { type: 'PathPrefix', value: '/' },
        headers: [{ type: 'Exact', name: 'a', value: 'b' }],
        queryParams: [],
      },
    ]);
    assert.deepEqual(r.rules[0]?.backendRefs, [
      { group: '', kind: 'Service', name: 'web', namespace: 'shop', port: 80, weight: 1, filters: [] },
    ]);
    assert.ok(Object.isFrozen(r) && Object.isFrozen(r.rules[0]?.matches[0]?.path));
  });

  test('gives a route without rules one rule that matches everything', () => {
    const r = accepted(parseRoute(http({}))) as HttpRoute;
    assert.deepEqual(r.rules, [
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] }],
        filters: [],
        backendRefs: [],
      },
    ]);
  });

  test('defaults a redirect to 302 and keeps timeouts in milliseconds', () => {
    const r = accepted(parseRoute(redirect({ hostname: 'example.com' }))) as HttpRoute;
    assert.deepEqual(r.rules[0]?.filters, [
      { type: 'RequestRedirect', requestRedirect: { hostname: 'example.com', statusCode: 302 } },
    ]);
    const t = accepted(parseRoute(httpRule({ timeouts: { request: '1m30s', backendRequest: '500ms' } }))) as HttpRoute;
    assert.deepEqual(t.rules[0]?.timeouts, {
      request: '1m30s',
      requestMs: 90_000,
      backendRequest: '500ms',
      backendRequestMs: 500,
    });
  });

  test('uses the default namespace for an object without one', () => {
    const obj = http({});
    (obj['metadata'] as Obj)['namespace'] = undefined;
    assert.equal(accepted(parseRoute(obj, { defaultNamespace: 'dev' })).metadata.namespace, 'dev');
    assert.equal(accepted(parseRoute(obj)).metadata.namespace, 'default');
  });

  test('notes what nodemesh does not implement without refusing it', () => {
    const result = parseRoute(
      http({
        rules: [
          {
            filters: [{ type: 'URLRewrite', urlRewrite: { hostname: 'x' } }],
            retry: { attempts: 2 },
            backendRefs: [{ name: 'web', port: 80 }],
          },
        ],
      }),
    );
    assert.ok(result.ok);
    assert.deepEqual(
      result.unsupported.map((p) => p.path),
      ['spec.rules[0].retry', 'spec.rules[0].filters[0].type'],
    );
    assert.deepEqual((result.route as HttpRoute).rules[0]?.filters, [
      { type: 'Unsupported', filterType: 'URLRewrite' },
    ]);
  });

  test('reads a GRPCRoute method match with its default type', () => {
    const r = accepted(parseRoute(grpcMethod({ service: 'helloworld.Greeter', method: 'SayHello' }))) as GrpcRoute;
    assert.deepEqual(r.rules[0]?.matches, [
      { method: { type: 'Exact', service: 'helloworld.Greeter', method: 'SayHello' }, headers: [] },
    ]);
  });
});

describe('parseRoute refuses', () => {
  // [name, object, the field path reported, a word of the problem]
  const invalid: readonly [name: string, obj: unknown, path: string, problem: RegExp][] = [
    ['something that is not an object', 'HTTPRoute', '(document)', /mapping/],
    [
      'another apiVersion',
      { ...http({}), apiVersion: 'gateway.networking.k8s.io/v1beta1' },
      'apiVersion',
      /v1 version/,
    ],
    ['another kind', { ...http({}), kind: 'TCPRoute' }, 'kind', /route kind/],
    ['a missing metadata.name', http({}, { name: undefined }), 'metadata.name', /missing/],
    ['an upper-case name', http({}, { name: 'Web' }), 'metadata.name', /not allowed/],
    ['a bad namespace', http({}, { namespace: 'shop.prod' }), 'metadata.namespace', /not allowed/],
    [
      'a bad creationTimestamp',
      http({}, { creationTimestamp: 'yesterday' }),
      'metadata.creationTimestamp',
      /not a time/,
    ],
    [
      'a missing spec',
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'a' } },
      'spec',
      /missing/,
    ],
    ['an unknown spec field', http({ parentRef: [] }), 'spec.parentRef', /did you mean "parentRefs"/],
    [
      '33 parentRefs',
      http({ parentRefs: repeat(33, (i) => ({ ...SERVICE_PARENT, port: i + 1 })) }),
      'spec.parentRefs',
      /more than 32/,
    ],
    [
      'a parentRef without a name',
      http({ parentRefs: [{ group: '', kind: 'Service' }] }),
      'spec.parentRefs[0].name',
      /missing/,
    ],
    [
      'a parentRef port of 0',
      http({ parentRefs: [{ ...SERVICE_PARENT, port: 0 }] }),
      'spec.parentRefs[0].port',
      /out of range/,
    ],
    [
      'a parentRef port of 65536',
      http({ parentRefs: [{ ...SERVICE_PARENT, port: 65_536 }] }),
      'spec.parentRefs[0].port',
      /out of range/,
    ],
    [
      'the same parent twice',
      http({ parentRefs: [SERVICE_PARENT, SERVICE_PARENT] }),
      'spec.parentRefs[1]',
      /same parent/,
    ],
    [
      'one parent with and without a port',
      http({ parentRefs: [SERVICE_PARENT, { ...SERVICE_PARENT, port: undefined }] }),
      'spec.parentRefs[1]',
      /other optional fields/,
    ],
    ['17 hostnames', http({ hostnames: repeat(17, (i) => `h${i}.example.com`) }), 'spec.hostnames', /more than 16/],
    ['an upper-case hostname', http({ hostnames: ['Web.example.com'] }), 'spec.hostnames[0]', /not allowed/],
    ['an IP hostname', http({ hostnames: ['10.0.0.1'] }), 'spec.hostnames[0]', /IP address/],
    ['a wildcard not first', http({ hostnames: ['web.*.com'] }), 'spec.hostnames[0]', /not allowed/],
    ['an empty rules list', http({ rules: [] }), 'spec.rules', /empty/],
    ['17 rules', http({ rules: repeat(17, () => ({})) }), 'spec.rules', /more than 16/],
    ['65 matches in a rule', httpRule({ matches: repeat(65, () => ({})) }), 'spec.rules[0].matches', /more than 64/],
    [
      '129 matches in all',
      http({ rules: repeat(3, () => ({ matches: repeat(43, () => ({})) })) }),
      'spec.rules',
      /129 matches/,
    ],
    ['a repeated rule name', http({ rules: [{ name: 'a' }, { name: 'a' }] }), 'spec.rules[1].name', /repeats/],
    [
      'a path without a leading slash',
      httpMatch({ path: { type: 'PathPrefix', value: 'api' } }),
      'spec.rules[0].matches[0].path.value',
      /start with/,
    ],
    [
      'a path with //',
      httpMatch({ path: { type: 'Exact', value: '/a//b' } }),
      'spec.rules[0].matches[0].path.value',
      /"\/\/"/,
    ],
    ['a path with /./', httpMatch({ path: { value: '/a/./b' } }), 'spec.rules[0].matches[0].path.value', /"\/\.\/"/],
    [
      'a path with /../',
      httpMatch({ path: { value: '/a/../b' } }),
      'spec.rules[0].matches[0].path.value',
      /"\/\.\.\/"/,
    ],
    ['a path with %2f', httpMatch({ path: { value: '/a%2fb' } }), 'spec.rules[0].matches[0].path.value', /%2f/],
    ['a path with #', httpMatch({ path: { value: '/a#b' } }), 'spec.rules[0].matches[0].path.value', /#/],
    ['a path ending in /.', httpMatch({ path: { value: '/a/.' } }), 'spec.rules[0].matches[0].path.value', /ends with/],
    ['a path with a space', httpMatch({ path: { value: '/a b' } }), 'spec.rules[0].matches[0].path.value', /character/],
    [
      'a path of 1025 characters',
      httpMatch({ path: { value: `/${'a'.repeat(1024)}` } }),
      'spec.rules[0].matches[0].path.value',
      /1025/,
    ],
    [
      'an unknown path type',
      httpMatch({ path: { type: 'Prefix', value: '/' } }),
      'spec.rules[0].matches[0].path.type',
      /path match type/,
    ],
    [
      'a regex with a backreference',
      httpMatch({ path: { type: 'RegularExpression', value: '/(a)\\1' } }),
      'spec.rules[0].matches[0].path.value',
      /backreference/,
    ],
    [
      'a regex with lookahead',
      httpMatch({ path: { type: 'RegularExpression', value: '/(?!admin).*' } }),
      'spec.rules[0].matches[0].path.value',
      /lookaround/,
    ],
    [
      'a regex that does not compile',
      httpMatch({ path: { type: 'RegularExpression', value: '/(a' } }),
      'spec.rules[0].matches[0].path.value',
      /not a valid regular expression/,
    ],
    [
      'a header name with a colon',
      httpMatch({ headers: [{ name: ':authority', value: 'x' }] }),
      'spec.rules[0].matches[0].headers[0].name',
      /not allowed/,
    ],
    [
      'a header name with a space',
      httpMatch({ headers: [{ name: 'x a', value: 'x' }] }),
      'spec.rules[0].matches[0].headers[0].name',
      /not allowed/,
    ],
    [
      'a header matched twice (ignoring case)',
      httpMatch({
        headers: [
          { name: 'X-A', value: '1' },
          { name: 'x-a', value: '2' },
        ],
      }),
      'spec.rules[0].matches[0].headers[1].name',
      /repeats/,
    ],
    [
      'an empty header value',
      httpMatch({ headers: [{ name: 'x-a', value: '' }] }),
      'spec.rules[0].matches[0].headers[0].value',
      /empty/,
    ],
    [
      'a header value with a newline',
      httpMatch({ headers: [{ name: 'x-a', value: 'a\nb' }] }),
      'spec.rules[0].matches[0].headers[0].value',
      /control character/,
    ],
    [
      'a header value of 4097 characters',
      httpMatch({ headers: [{ name: 'x-a', value: 'a'.repeat(4097) }] }),
      'spec.rules[0].matches[0].headers[0].value',
      /4097/,
    ],
    [
      'a header regex with lookbehind',
      httpMatch({ headers: [{ type: 'RegularExpression', name: 'x-a', value: '(?<=a)b' }] }),
      'spec.rules[0].matches[0].headers[0].value',
      /lookaround/,
    ],
    [
      'an unknown header match type',
      httpMatch({ headers: [{ type: 'Prefix', name: 'x-a', value: 'a' }] }),
      'spec.rules[0].matches[0].headers[0].type',
      /match type/,
    ],
    [
      '17 header matches',
      httpMatch({ headers: repeat(17, (i) => ({ name: `x-${i}`, value: 'a' })) }),
      'spec.rules[0].matches[0].headers',
      /more than 16/,
    ],
    [
      'a query param matched twice',
      httpMatch({
        queryParams: [
          { name: 'a', value: '1' },
          { name: 'a', value: '2' },
        ],
      }),
      'spec.rules[0].matches[0].queryParams[1].name',
      /repeats/,
    ],
    [
      'a query regex with \\k',
      httpMatch({ queryParams: [{ type: 'RegularExpression', name: 'a', value: '(?<x>a)\\k<x>' }] }),
      'spec.rules[0].matches[0].queryParams[0].value',
      /backreference/,
    ],
    [
      'a query value of 1025 characters',
      httpMatch({ queryParams: [{ name: 'a', value: 'a'.repeat(1025) }] }),
      'spec.rules[0].matches[0].queryParams[0].value',
      /1025/,
    ],
    ['a lower-case method', httpMatch({ method: 'get' }), 'spec.rules[0].matches[0].method', /upper case/],
    [
      'an unknown filter type',
      httpFilter({ type: 'Rewrite' }),
      'spec.rules[0].filters[0].type',
      /not a HTTPRoute filter type/,
    ],
    [
      'a filter without its settings',
      httpFilter({ type: 'RequestHeaderModifier' }),
      'spec.rules[0].filters[0].requestHeaderModifier',
      /missing/,
    ],
    [
      'a filter with the settings of another type',
      httpFilter({ type: 'RequestHeaderModifier', requestHeaderModifier: {}, responseHeaderModifier: {} }),
      'spec.rules[0].filters[0].responseHeaderModifier',
      /must not be set/,
    ],
    [
      'two RequestHeaderModifier filters',
      httpRule({
        filters: [
          { type: 'RequestHeaderModifier', requestHeaderModifier: {} },
          { type: 'RequestHeaderModifier', requestHeaderModifier: {} },
        ],
      }),
      'spec.rules[0].filters',
      /2 RequestHeaderModifier/,
    ],
    [
      'RequestRedirect with URLRewrite',
      http({
        rules: [
          {
            filters: [
              { type: 'RequestRedirect', requestRedirect: {} },
              { type: 'URLRewrite', urlRewrite: {} },
            ],
          },
        ],
      }),
      'spec.rules[0].filters',
      /RequestRedirect and URLRewrite/,
    ],
    [
      'a header set twice',
      modifier({
        set: [
          { name: 'x-a', value: '1' },
          { name: 'X-A', value: '2' },
        ],
      }),
      'spec.rules[0].filters[0].requestHeaderModifier.set[1].name',
      /already handled by set\[0\]/,
    ],
    [
      'a header set and removed',
      modifier({ set: [{ name: 'x-a', value: '1' }], remove: ['X-a'] }),
      'spec.rules[0].filters[0].requestHeaderModifier.remove[0]',
      /already handled/,
    ],
    [
      'a header added and set',
      modifier({ set: [{ name: 'x-a', value: '1' }], add: [{ name: 'x-a', value: '1' }] }),
      'spec.rules[0].filters[0].requestHeaderModifier.add[0].name',
      /already handled/,
    ],
    [
      '17 headers to remove',
      modifier({ remove: repeat(17, (i) => `x-${i}`) }),
      'spec.rules[0].filters[0].requestHeaderModifier.remove',
      /more than 16/,
    ],
    [
      'a modifier header value with CR',
      modifier({ set: [{ name: 'x-a', value: 'a\rb' }] }),
      'spec.rules[0].filters[0].requestHeaderModifier.set[0].value',
      /control/,
    ],
    [
      'a redirect with backendRefs',
      httpRule({ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https' } }] }),
      'spec.rules[0].filters',
      /RequestRedirect filter and the rule has backendRefs/,
    ],
    ['a redirect scheme ftp', redirect({ scheme: 'ftp' }), 'spec.rules[0].filters[0].requestRedirect.scheme', /scheme/],
    [
      'a redirect status 200',
      redirect({ statusCode: 200 }),
      'spec.rules[0].filters[0].requestRedirect.statusCode',
      /redirect status/,
    ],
    ['a redirect port of 0', redirect({ port: 0 }), 'spec.rules[0].filters[0].requestRedirect.port', /out of range/],
    [
      'a wildcard redirect hostname',
      redirect({ hostname: '*.example.com' }),
      'spec.rules[0].filters[0].requestRedirect.hostname',
      /not allowed/,
    ],
    [
      'ReplaceFullPath without its value',
      redirect({ path: { type: 'ReplaceFullPath' } }),
      'spec.rules[0].filters[0].requestRedirect.path.replaceFullPath',
      /missing/,
    ],
    [
      'ReplaceFullPath with replacePrefixMatch',
      redirect({ path: { type: 'ReplaceFullPath', replaceFullPath: '/a', replacePrefixMatch: '/b' } }),
      'spec.rules[0].filters[0].requestRedirect.path.replacePrefixMatch',
      /must not be set/,
    ],
    [
      'ReplacePrefixMatch with an Exact match',
      redirect(
        { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } },
        { matches: [{ path: { type: 'Exact', value: '/v1' } }] },
      ),
      'spec.rules[0].matches',
      /exactly one PathPrefix/,
    ],
    [
      'ReplacePrefixMatch with two matches',
      redirect({ path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } }, { matches: [{}, {}] }),
      'spec.rules[0].matches',
      /exactly one PathPrefix/,
    ],
    [
      '17 backendRefs',
      http({ rules: [{ backendRefs: repeat(17, (i) => ({ name: `b${i}`, port: 80 })) }] }),
      'spec.rules[0].backendRefs',
      /more than 16/,
    ],
    [
      'a Service backend without a port',
      httpBackend({ port: undefined }),
      'spec.rules[0].backendRefs[0].port',
      /missing/,
    ],
    ['a backend port of 70000', httpBackend({ port: 70_000 }), 'spec.rules[0].backendRefs[0].port', /out of range/],
    ['a negative weight', httpBackend({ weight: -1 }), 'spec.rules[0].backendRefs[0].weight', /out of range/],
    [
      'a weight above 1,000,000',
      httpBackend({ weight: 1_000_001 }),
      'spec.rules[0].backendRefs[0].weight',
      /out of range/,
    ],
    ['a weight that is not an integer', httpBackend({ weight: 1.5 }), 'spec.rules[0].backendRefs[0].weight', /integer/],
    ['a weight given as a string', httpBackend({ weight: '10' }), 'spec.rules[0].backendRefs[0].weight', /integer/],
    ['a backend without a name', httpBackend({ name: undefined }), 'spec.rules[0].backendRefs[0].name', /missing/],
    [
      'a bad backend namespace',
      httpBackend({ namespace: 'Shop' }),
      'spec.rules[0].backendRefs[0].namespace',
      /not allowed/,
    ],
    [
      'a Go duration the Gateway API does not take',
      httpRule({ timeouts: { request: '1.5s' } }),
      'spec.rules[0].timeouts.request',
      /Gateway API duration/,
    ],
    [
      'a duration with 5 parts',
      httpRule({ timeouts: { request: '1h1m1s1ms1s' } }),
      'spec.rules[0].timeouts.request',
      /Gateway API duration/,
    ],
    [
      'a duration with 6 digits',
      httpRule({ timeouts: { backendRequest: '100000s' } }),
      'spec.rules[0].timeouts.backendRequest',
      /Gateway API duration/,
    ],
    [
      'backendRequest longer than request',
      httpRule({ timeouts: { request: '1s', backendRequest: '2s' } }),
      'spec.rules[0].timeouts.backendRequest',
      /longer than request/,
    ],
    ['9 gRPC matches in a rule', grpcRule({ matches: repeat(9, () => ({})) }), 'spec.rules[0].matches', /more than 8/],
    [
      'a gRPC method match with neither service nor method',
      grpcMethod({ type: 'Exact' }),
      'spec.rules[0].matches[0].method',
      /neither/,
    ],
    [
      'a gRPC Exact service with a slash',
      grpcMethod({ service: 'helloworld/Greeter' }),
      'spec.rules[0].matches[0].method.service',
      /not allowed/,
    ],
    [
      'a gRPC Exact method with a dot',
      grpcMethod({ service: 'a.B', method: 'Say.Hello' }),
      'spec.rules[0].matches[0].method.method',
      /not allowed/,
    ],
    [
      'a gRPC regex with lookahead',
      grpcMethod({ type: 'RegularExpression', method: '(?=Say).*' }),
      'spec.rules[0].matches[0].method.method',
      /lookaround/,
    ],
    [
      'a gRPC RequestRedirect filter',
      grpcRule({ filters: [{ type: 'RequestRedirect', requestRedirect: {} }] }),
      'spec.rules[0].filters[0].type',
      /not a GRPCRoute filter type/,
    ],
    [
      'gRPC timeouts (HTTPRoute only)',
      grpcRule({ timeouts: { request: '1s' } }),
      'spec.rules[0].timeouts',
      /unknown field/,
    ],
    [
      'a gRPC header matched twice',
      grpcRule({
        matches: [
          {
            headers: [
              { name: 'a', value: '1' },
              { name: 'A', value: '1' },
            ],
          },
        ],
      }),
      'spec.rules[0].matches[0].headers[1].name',
      /repeats/,
    ],
  ];
  for (const [name, obj, path, problem] of invalid) {
    test(name, () => {
      const err = refused(parseRoute(obj));
      const found = err.problems.find((p) => p.path === path);
      assert.ok(found, `no problem at ${path}; got:\n${err.message}`);
      assert.match(`${found.problem}`, problem, err.message);
      assert.ok(found.allowed.length > 0);
    });
  }

  test('lists every problem at once, with values, in one MESH_ERR_ROUTE_INVALID', () => {
    const err = refused(
      parseRoute(
        http({
          hostnames: ['A'],
          rules: [{ matches: [{ path: { value: 'x' }, method: 'FETCH' }], backendRefs: [{ name: 'b', weight: -1 }] }],
        }),
      ),
    );
    assert.equal(err.code, 'MESH_ERR_ROUTE_INVALID');
    assert.deepEqual(
      err.problems.map((p) => p.path),
      [
        'spec.hostnames[0]',
        'spec.rules[0].matches[0].path.value',
        'spec.rules[0].matches[0].method',
        'spec.rules[0].backendRefs[0].port',
        'spec.rules[0].backendRefs[0].weight',
      ],
    );
    assert.equal(err.routeName, 'shop/web-route');
    assert.equal(err.routeKind, 'HTTPRoute');
    assert.match(err.message, /^invalid HTTPRoute "shop\/web-route": 5 problems:\n/);
    assert.match(
      err.message,
      /spec\.rules\[0\]\.matches\[0\]\.method: is not a method HTTPRoute can match \(upper case\) \(got "FETCH"\); allowed: GET, HEAD/,
    );
  });
});
