import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { compilePathRegex, parseServiceProfile, type RouteSpec } from '../../profiles/index.ts';
import { catchError } from '../../testing/index.ts';
import { decodeDocument } from './profile-input.ts';
import { formatPath, openApiToProfile, type OpenApiOptions } from './profile-openapi.ts';
import { ProfileSourceError } from './profile-source-error.ts';

const FIXTURES = new URL('../../../test/fixtures/openapi/', import.meta.url);
const NAME = { service: 'pets', namespace: 'shop', clusterDomain: 'cluster.local' };

function fixture(file: string): string {
  return readFileSync(new URL(file, FIXTURES), 'utf8');
}

function generate(text: string, opts: Partial<OpenApiOptions> = {}): ReturnType<typeof openApiToProfile> {
  const file = opts.file ?? 'spec.yaml';
  return openApiToProfile(decodeDocument(text, file), { file, name: NAME, ...opts });
}

function summary(routes: readonly RouteSpec[] | undefined): unknown[] {
  return (routes ?? []).map((r) => [r.name, r.condition.method, r.condition.pathRegex, r.isRetryable, r.timeout]);
}

/** The name of the first route whose condition matches the request, as the proxy picks it. */
function routeFor(routes: readonly RouteSpec[], method: string, path: string): string | undefined {
  return routes.find((r) => {
    const compiled = compilePathRegex(r.condition.pathRegex ?? '');
    return r.condition.method === method && compiled.ok && compiled.regex.test(path);
  })?.name;
}

describe('openApiToProfile', () => {
  test('makes one route per path and method of an OpenAPI 3.0 document, in file order', () => {
    const { profile, warnings } = generate(fixture('petstore-3.0.yaml'));
    assert.deepEqual(profile.metadata, { name: 'pets.shop.svc.cluster.local', namespace: 'shop' });
    assert.deepEqual(summary(profile.spec.routes), [
      ['GET /api/v1/pets', 'GET', '/api/v1/pets', true, '2s'],
      ['POST /api/v1/pets', 'POST', '/api/v1/pets', undefined, undefined],
      // x-nodemesh-retryable on the path item applies to its operations…
      ['GET /api/v1/pets/{petId}', 'GET', '/api/v1/pets/[^/]*', true, '500ms'],
      // …unless the operation says otherwise.
      ['DELETE /api/v1/pets/{petId}', 'DELETE', '/api/v1/pets/[^/]*', undefined, undefined],
      ['GET /api/v1/pets/mine', 'GET', '/api/v1/pets/mine', undefined, undefined],
      ['PUT /api/v1/pets/{petId}/photo.v2+jpg', 'PUT', '/api/v1/pets/[^/]*/photo\\.v2\\+jpg', undefined, undefined],
      // A path-level server URL of "/" replaces the document's /api/v1.
      ['HEAD /health', 'HEAD', '/health', undefined, undefined],
    ]);
    assert.equal(
      profile.spec.routes?.some((r) => r.responseClasses !== undefined),
      false,
    );
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0] ?? '',
      /"GET \/api\/v1\/pets\/mine" \(paths\.\/pets\/mine\.get\) is shadowed by the earlier "GET \/api\/v1\/pets\/\{petId\}"/,
    );
    // The generated profile is valid, and routes match requests as the proxy would match them.
    const routes = parseServiceProfile(profile).spec.routes ?? [];
    assert.equal(routeFor(routes, 'GET', '/api/v1/pets/42'), 'GET /api/v1/pets/{petId}');
    assert.equal(routeFor(routes, 'GET', '/api/v1/pets/42/x'), undefined);
    assert.equal(routeFor(routes, 'PUT', '/api/v1/pets/7/photo.v2+jpg'), 'PUT /api/v1/pets/{petId}/photo.v2+jpg');
    assert.equal(routeFor(routes, 'PUT', '/api/v1/pets/7/photoxv2jpg'), undefined);
    assert.equal(routeFor(routes, 'GET', '/pets'), undefined);
  });

  test('applies a Swagger 2.0 basePath and reads the x-linkerd-* spellings', () => {
    const { profile, warnings } = generate(fixture('swagger-2.0-basepath.json'), { file: 'books.json' });
    assert.deepEqual(summary(profile.spec.routes), [
      ['GET /v2/books', 'GET', '/v2/books', true, undefined],
      ['POST /v2/books', 'POST', '/v2/books', undefined, '1s'],
      ['GET /v2/books/{isbn}/reviews/{reviewId}', 'GET', '/v2/books/[^/]*/reviews/[^/]*', undefined, undefined],
      ['PATCH /v2/books/{isbn}/reviews/{reviewId}', 'PATCH', '/v2/books/[^/]*/reviews/[^/]*', undefined, '1m30s'],
      ['OPTIONS /v2/search/', 'OPTIONS', '/v2/search/', undefined, undefined],
    ]);
    assert.deepEqual(warnings, []);
  });

  test('uses --base-path instead of basePath or servers', () => {
    const swagger = generate(fixture('swagger-2.0-basepath.json'), { basePath: '' });
    assert.equal(swagger.profile.spec.routes?.[0]?.name, 'GET /books');
    const openapi = generate(fixture('petstore-3.0.yaml'), { basePath: '/pets-api' });
    assert.deepEqual(
      openapi.profile.spec.routes
        ?.map((r) => r.name)
        .slice(0, 1)
        .concat(openapi.profile.spec.routes?.at(-1)?.name ?? ''),
      ['GET /pets-api/pets', 'HEAD /pets-api/health'],
    );
  });

  test('reports every bad extension and path at once, with field paths and lines', () => {
    const err = catchError(
      () => generate(fixture('invalid-extensions.yaml'), { file: 'bad.yaml' }),
      ProfileSourceError,
    );
    assert.equal(err.code, 'MESH_ERR_PROFILE_SOURCE');
    assert.deepEqual(
      err.problems.map((p) => [p.line, p.path, p.problem]),
      [
        [7, 'paths./users/{id}.get.x-nodemesh-timeout', '"fast" is not a duration'],
        [8, 'paths./users/{id}.get.x-nodemesh-retryable', '"yes" is not a boolean'],
        [10, 'paths./users/{id}.put.x-nodemesh-timeout', '"0s" is not above 0'],
        [11, 'paths./users/{id}.put.x-nodemesh-retries', 'is not an extension nodemesh profile reads'],
        [12, 'paths.users', '"users" does not start with "/"'],
      ],
    );
    assert.match(
      err.message,
      /^bad\.yaml: cannot generate a ServiceProfile: 5 problems:\n {2}- bad\.yaml:7: paths\.\/users\/\{id\}\.get\.x-nodemesh-timeout: "fast" is not a duration; allowed: a duration above 0, e\.g\. 2s, 500ms\n/,
    );
  });

  test('refuses documents that are not OpenAPI, have no paths, or no operations', () => {
    const cases: readonly (readonly [string, string, RegExp])[] = [
      [fixture('not-openapi.yaml'), '(document)', /no "openapi" or "swagger" field/],
      [fixture('no-paths.json'), 'paths', /is empty/],
      ['openapi: 3.0.0\ninfo: {}\n', 'paths', /is missing/],
      ['openapi: 3.0.0\npaths:\n  /a:\n    summary: nothing\n', 'paths', /has no operations/],
      ['swagger: "1.2"\npaths: {}\n', 'swagger', /"1\.2" is not a Swagger version/],
      ['openapi: 4.0.0\npaths: {}\n', 'openapi', /"4\.0\.0" is not an OpenAPI version/],
      ['- a list\n', '(document)', /is a list, not an OpenAPI document/],
      ['openapi: 3.0.0\npaths:\n  /a:\n    get: 1\n', 'paths./a.get', /is 1/],
    ];
    for (const [text, path, problem] of cases) {
      const err = catchError(() => generate(text), ProfileSourceError);
      assert.equal(err.problems[0]?.path, path, text);
      assert.match(err.problems[0]?.problem ?? '', problem, text);
    }
  });

  test('reads YAML 2.0 numbers for versions and follows local path item references', () => {
    const { profile } = generate(`swagger: 2.0
paths:
  /a: { $ref: '#/x-items/a' }
x-items:
  a:
    get: { x-nodemesh-timeout: 1s }
`);
    assert.deepEqual(summary(profile.spec.routes), [['GET /a', 'GET', '/a', undefined, '1s']]);
    const err = catchError(
      () => generate(`openapi: 3.1.0\npaths:\n  /a: { $ref: 'other.yaml#/a' }\n`),
      ProfileSourceError,
    );
    assert.equal(err.problems[0]?.path, 'paths./a.$ref');
    assert.match(err.problems[0]?.problem ?? '', /not a local reference/);
  });

  test('refuses a nodemesh and a Linkerd extension that disagree, and servers it cannot use', () => {
    const err = catchError(
      () =>
        generate(`openapi: 3.0.0
servers: [{ url: 'https://{host}/v1' }]
paths:
  /a:
    get: { x-nodemesh-timeout: 1s, x-linkerd-timeout: 2s }
`),
      ProfileSourceError,
    );
    assert.deepEqual(
      err.problems.map((p) => p.path),
      ['servers[0]', 'paths./a.get.x-linkerd-timeout'],
    );
    assert.match(err.problems[0]?.problem ?? '', /\{host\} without a default in variables \(or pass --base-path\)/);
  });
});

describe('formatPath', () => {
  test('writes keys with dots and list indexes in brackets', () => {
    assert.equal(formatPath([]), '(document)');
    assert.equal(formatPath(['paths', '/a/{b}', 'get']), 'paths./a/{b}.get');
    assert.equal(formatPath(['servers', 0, 'url']), 'servers[0].url');
  });
});
