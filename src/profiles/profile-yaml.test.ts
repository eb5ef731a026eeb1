import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProfileValidationError, ProfileYamlError } from './profile-errors.ts';
import { type ProfileDocumentResult, parseServiceProfilesYaml } from './profile-yaml.ts';

const GOOD = `apiVersion: nodemesh.io/v1alpha2
kind: ServiceProfile
metadata:
  name: web.shop.svc.cluster.local
  namespace: shop
spec:
  routes:
    - name: GET /books
      condition:
        method: GET
        pathRegex: /books
`;

// Line numbers below count from the top of GOOD + '---\n' + BAD.
const BAD = `# a broken profile
apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata:
  name: api.shop.svc.cluster.local
spec:
  routes:
    - name: ok
      condition:
        method: GET
    - name: broken
      condition:
        pathRegex: "("
      timeout: soon
`;

function errorOf(result: ProfileDocumentResult | undefined): ProfileValidationError | ProfileYamlError {
  assert.ok(result !== undefined && !result.ok, 'expected a failed result');
  return result.error;
}

describe('parseServiceProfilesYaml', () => {
  test('returns the good document and reports the bad one with file, line and field', () => {
    const results = parseServiceProfilesYaml(`${GOOD}---\n${BAD}`, 'profiles.yaml');
    assert.equal(results.length, 2);
    const [good, bad] = results;
    assert.ok(good?.ok);
    assert.equal(good.profile.metadata.name, 'web.shop.svc.cluster.local');
    assert.deepEqual(
      { file: good.file, line: good.line, index: good.index },
      { file: 'profiles.yaml', line: 1, index: 0 },
    );

    const err = errorOf(bad);
    assert.ok(err instanceof ProfileValidationError);
    assert.equal(bad?.line, 14);
    assert.deepEqual(
      err.problems.map((p) => [p.path, p.line]),
      [
        ['spec.routes[1].condition.pathRegex', 25],
        ['spec.routes[1].timeout', 26],
      ],
    );
    const lines = err.message.split('\n');
    assert.equal(lines[0], 'invalid ServiceProfile "api.shop.svc.cluster.local" (profiles.yaml:14): 2 problems:');
    assert.match(
      lines[1] ?? '',
      /^ {2}- profiles\.yaml:25: spec\.routes\[1\]\.condition\.pathRegex: invalid regular expression "\("/,
    );
    assert.match(lines[2] ?? '', /^ {2}- profiles\.yaml:26: spec\.routes\[1\]\.timeout: "soon" is not a Go duration/);
  });

  test('points a missing field at the object that lacks it', () => {
    const text = `${GOOD}    - condition:\n        method: POST\n`;
    const err = errorOf(parseServiceProfilesYaml(text, 'p.yaml')[0]);
    assert.ok(err instanceof ProfileValidationError);
    assert.deepEqual(
      err.problems.map((p) => [p.path, p.line]),
      [['spec.routes[1].name', 12]],
    );
  });

  test('reports a YAML syntax error with file, line and column, and keeps the other documents', () => {
    const text = `${GOOD}---\nkind: ServiceProfile\nmetadata: {name: [\n---\n${GOOD}`;
    const results = parseServiceProfilesYaml(text, 'p.yaml');
    assert.deepEqual(
      results.map((r) => r.ok),
      [true, false, true],
    );
    const err = errorOf(results[1]);
    assert.ok(err instanceof ProfileYamlError);
    assert.equal(err.code, 'MESH_ERR_PROFILE_YAML');
    // The flow sequence opened on line 14 is found unclosed where the next document starts.
    assert.equal(err.problems[0]?.line, 15);
    assert.match(
      err.message,
      /^p\.yaml: invalid YAML:\n {2}- p\.yaml:15:1: Flow sequence in block collection must be sufficiently indented and end with a \]\n/,
    );
  });

  test('treats a duplicate key as a YAML error', () => {
    const err = errorOf(parseServiceProfilesYaml(`${GOOD}kind: ServiceProfile\n`, 'p.yaml')[0]);
    assert.ok(err instanceof ProfileYamlError);
    assert.match(err.message, /unique/);
  });

  test('reads YAML 1.1 as kubectl does: yes is a boolean', () => {
    const text = GOOD.replace('pathRegex: /books', 'pathRegex: /books\n      isRetryable: yes');
    const [result] = parseServiceProfilesYaml(text, 'p.yaml');
    assert.ok(result?.ok);
    assert.equal(result.profile.spec.routes?.[0]?.isRetryable, true);
  });

  test('keeps timestamps as strings', () => {
    const text = GOOD.replace('namespace: shop', 'namespace: shop\n  annotations:\n    updated: 2024-01-01');
    const [result] = parseServiceProfilesYaml(text, 'p.yaml');
    assert.ok(result?.ok);
    assert.deepEqual(result.profile.metadata.annotations, { updated: '2024-01-01' });
  });

  test('skips empty documents and comments (a comment before --- belongs to the next document)', () => {
    const results = parseServiceProfilesYaml(`# profiles\n---\n---\n${GOOD}---\n# the end\n`, 'p.yaml');
    assert.deepEqual(
      results.map((r) => [r.ok, r.index, r.line]),
      [[true, 1, 4]],
    );
    assert.deepEqual(parseServiceProfilesYaml('', 'empty.yaml'), []);
  });

  test('reads each item of a List, as kubectl get -o yaml writes it', () => {
    const text = `apiVersion: v1
kind: List
items:
  - apiVersion: nodemesh.io/v1alpha2
    kind: ServiceProfile
    metadata:
      name: web.shop.svc.cluster.local
    spec: {}
  - apiVersion: linkerd.io/v1alpha2
    kind: ServiceProfile
    metadata:
      name: api.shop.svc.cluster.local
    spec:
      routes:
        - name: broken
          condition:
            pathRegex: "("
`;
    const results = parseServiceProfilesYaml(text, 'list.yaml');
    assert.deepEqual(
      results.map((r) => [r.ok, r.index, r.item, r.line]),
      [
        [true, 0, 0, 4],
        [false, 0, 1, 9],
      ],
    );
    const err = errorOf(results[1]);
    assert.ok(err instanceof ProfileValidationError);
    assert.deepEqual(
      err.problems.map((p) => [p.path, p.line]),
      [['spec.routes[0].condition.pathRegex', 17]],
    );
  });

  test('reports objects of another kind, or leaves them out when asked', () => {
    const service = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n';
    const text = `${service}---\n${GOOD}`;
    const reported = parseServiceProfilesYaml(text, 'p.yaml');
    assert.deepEqual(
      reported.map((r) => r.ok),
      [false, true],
    );
    assert.match(errorOf(reported[0]).message, /kind: "Service" is not ServiceProfile/);
    const skipped = parseServiceProfilesYaml(text, 'p.yaml', { otherKinds: 'skip' });
    assert.deepEqual(
      skipped.map((r) => [r.ok, r.index]),
      [[true, 1]],
    );
  });

  test('refuses alias bombs instead of expanding them', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++)
      levels.push(
        `${'abcdefgh'[i]}: &${'abcdefgh'[i]} [${Array(10)
          .fill(`*${'abcdefgh'[i - 1]}`)
          .join(', ')}]`,
      );
    const err = errorOf(parseServiceProfilesYaml(levels.join('\n'), 'bomb.yaml')[0]);
    assert.ok(err instanceof ProfileYamlError);
  });
});
