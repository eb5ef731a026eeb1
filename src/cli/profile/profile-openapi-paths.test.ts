import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compilePathRegex } from '../../profiles/index.ts';
import { joinPath, pathTemplateToRegex, serverUrlPath, swaggerBasePath } from './profile-openapi-paths.ts';

describe('pathTemplateToRegex', () => {
  const cases: readonly (readonly [string, string, readonly string[], readonly string[]])[] = [
    ['/users', '/users', ['/users'], ['/users/', '/users/1', '/x/users']],
    ['/users/{id}', '/users/[^/]*', ['/users/1', '/users/'], ['/users/1/2', '/users']],
    ['/a/{x}/b/{y}', '/a/[^/]*/b/[^/]*', ['/a/1/b/2'], ['/a/1/c/2', '/a/1/b/2/3']],
    ['/files/{name}.{ext}', '/files/[^/]*\\.[^/]*', ['/files/a.txt'], ['/files/atxt']],
    ['/v1.0/price+tax', '/v1\\.0/price\\+tax', ['/v1.0/price+tax'], ['/v1x0/price+tax', '/v1.0/pricetax']],
    ['/a(b)|c[d]^$*?', '/a\\(b\\)\\|c\\[d\\]\\^\\$\\*\\?', ['/a(b)|c[d]^$*?'], ['/a', 'c[d]^$*?']],
    ['/odd/{unclosed', '/odd/\\{unclosed', ['/odd/{unclosed'], ['/odd/x']],
    ['/caf\u00e9 menu', '/caf%C3%A9%20menu', ['/caf%C3%A9%20menu'], ['/café menu']],
  ];
  for (const [path, regex, matching, other] of cases) {
    test(`turns ${path} into ${regex}, matching only the whole path`, () => {
      assert.equal(pathTemplateToRegex(path), regex);
      const compiled = compilePathRegex(regex);
      assert.ok(compiled.ok, compiled.ok ? '' : compiled.reason);
      for (const p of matching) assert.ok(compiled.regex.test(p), `${regex} should match ${p}`);
      for (const p of other) assert.ok(!compiled.regex.test(p), `${regex} should not match ${p}`);
    });
  }
});

describe('joinPath', () => {
  for (const [prefix, rel, joined] of [
    ['', '/users', '/users'],
    ['/v1', '/users', '/v1/users'],
    ['/v1/', '/users/', '/v1/users/'],
    ['/v1', 'users', '/v1/users'],
    ['', '/', '/'],
  ] as const) {
    test(`joins ${JSON.stringify(prefix)} and ${JSON.stringify(rel)} as ${joined}`, () => {
      assert.equal(joinPath(prefix, rel), joined);
    });
  }
});

describe('server prefixes', () => {
  test('takes the path of absolute, relative and templated server URLs', () => {
    const cases: readonly (readonly [unknown, string])[] = [
      [{ url: 'https://api.example.com/v1/' }, '/v1'],
      [{ url: 'https://api.example.com' }, ''],
      [{ url: '/api' }, '/api'],
      [{ url: '/' }, ''],
      [{ url: '.' }, ''],
      [{ url: 'v2' }, '/v2'],
      [{ url: '//cdn.example.com/x' }, '/x'],
      [{ url: '/api?debug=1' }, '/api'],
      [{ url: 'https://{host}/{base}', variables: { host: { default: 'a.b' }, base: { default: 'v3' } } }, '/v3'],
    ];
    for (const [server, prefix] of cases) {
      const result = serverUrlPath(server);
      assert.deepEqual(result, { ok: true, prefix }, JSON.stringify(server));
    }
  });

  test('refuses a server URL variable without a default, and a missing url', () => {
    const noDefault = serverUrlPath({ url: 'https://x/{base}', variables: { base: {} } });
    assert.ok(!noDefault.ok);
    assert.match(noDefault.problem, /\{base\} without a default/);
    assert.ok(!serverUrlPath({}).ok);
    assert.ok(!serverUrlPath('https://x').ok);
  });

  test('reads a Swagger basePath and refuses one without a leading slash', () => {
    assert.deepEqual(swaggerBasePath(undefined), { ok: true, prefix: '' });
    assert.deepEqual(swaggerBasePath('/v2/'), { ok: true, prefix: '/v2/' });
    const bad = swaggerBasePath('v2');
    assert.ok(!bad.ok);
    assert.match(bad.problem, /"v2" is not a path starting with "\/"/);
  });
});
