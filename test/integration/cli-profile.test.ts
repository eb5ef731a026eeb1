// `nodemesh profile` run as a person runs it: the binary as a child process, its stdout read back
// with our ServiceProfile parser, its exit codes, and a spec piped in on stdin.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { parseServiceProfilesYaml, type ServiceProfile } from '../../src/profiles/index.ts';
import { BIN, nodemesh, type RunResult } from '../support/processes.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** Runs `nodemesh ...args` with `input` on stdin; killed after 30 s if it has not exited. */
async function nodemeshWithStdin(args: readonly string[], input: string): Promise<RunResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 30_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code: code ?? 1, stdout, stderr };
}

function onlyProfile(text: string): ServiceProfile {
  const results = parseServiceProfilesYaml(text, 'stdout');
  assert.equal(results.length, 1, text);
  const [result] = results;
  assert.ok(result?.ok, result?.ok === false ? result.error.message : 'no profile');
  return result.profile;
}

describe('nodemesh profile (the binary)', () => {
  test('--template prints a profile that parses, and is listed in --help', async () => {
    const run = await nodemesh(['profile', '--template', 'web', '--namespace', 'shop']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(onlyProfile(run.stdout).metadata.name, 'web.shop.svc.cluster.local');
    const help = await nodemesh(['--help']);
    assert.match(help.stdout, /^ {2}profile +Write a ServiceProfile/m);
  });

  test('--from-openapi turns a Swagger 2.0 file with a basePath into routes, as YAML and as JSON', async () => {
    const file = `${FIXTURES}openapi/swagger-2.0-basepath.json`;
    const yaml = await nodemesh(['profile', '--from-openapi', file, 'books', '-n', 'shop']);
    assert.equal(yaml.code, 0, yaml.stderr);
    const profile = onlyProfile(yaml.stdout);
    assert.deepEqual(
      profile.spec.routes?.map((r) => [r.name, r.condition.pathRegex]),
      [
        ['GET /v2/books', '/v2/books'],
        ['POST /v2/books', '/v2/books'],
        ['GET /v2/books/{isbn}/reviews/{reviewId}', '/v2/books/[^/]*/reviews/[^/]*'],
        ['PATCH /v2/books/{isbn}/reviews/{reviewId}', '/v2/books/[^/]*/reviews/[^/]*'],
        ['OPTIONS /v2/search/', '/v2/search/'],
      ],
    );
    const json = await nodemesh(['profile', '--from-openapi', file, 'books', '-n', 'shop', '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), profile);
  });

  test('--from-openapi - reads the spec from stdin', async () => {
    const spec =
      'openapi: 3.0.3\nservers: [{ url: /api }]\npaths:\n  /items/{id}:\n    get: { x-nodemesh-timeout: 250ms }\n';
    const run = await nodemeshWithStdin(['profile', '--from-openapi', '-', 'items'], spec);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(onlyProfile(run.stdout).spec.routes, [
      { name: 'GET /api/items/{id}', condition: { method: 'GET', pathRegex: '/api/items/[^/]*' }, timeout: '250ms' },
    ]);
  });

  test('--proto prints a POST route per rpc', async () => {
    const run = await nodemesh(['profile', '--proto', `${FIXTURES}proto/ratings.proto`, 'ratings']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(onlyProfile(run.stdout).spec.routes?.length, 5);
  });

  test('exits 1 naming the file and field of a bad spec, and prints nothing on stdout', async () => {
    const file = `${FIXTURES}openapi/invalid-extensions.yaml`;
    const run = await nodemesh(['profile', '--from-openapi', file, 'web']);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(
      run.stderr,
      /^error \[MESH_ERR_PROFILE_SOURCE\]: .*invalid-extensions\.yaml: cannot generate a ServiceProfile: 5 problems:/,
    );
    assert.match(
      run.stderr,
      /invalid-extensions\.yaml:7: paths\.\/users\/\{id\}\.get\.x-nodemesh-timeout: "fast" is not a duration/,
    );
    const notOpenApi = await nodemesh(['profile', '--from-openapi', `${FIXTURES}openapi/not-openapi.yaml`, 'web']);
    assert.equal(notOpenApi.code, 1);
    assert.match(notOpenApi.stderr, /not an OpenAPI or Swagger document/);
  });

  test('exits 2 on a usage error', async () => {
    const run = await nodemesh(['profile', 'web']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /give exactly one of --template, --from-openapi FILE or --proto FILE/);
    assert.match(run.stderr, /Run 'nodemesh profile --help' for usage\./);
  });
});
