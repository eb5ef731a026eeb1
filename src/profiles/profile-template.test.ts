import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { catchError } from '../testing/index.ts';
import { ProfileValidationError } from './profile-errors.ts';
import { profileTemplate } from './profile-template.ts';
import { parseServiceProfilesYaml } from './profile-yaml.ts';

describe('profileTemplate', () => {
  test('prints a profile that parses back as valid, with the example routes', () => {
    const text = profileTemplate({ service: 'web', namespace: 'shop', clusterDomain: 'cluster.local' });
    const [result, ...rest] = parseServiceProfilesYaml(text, 'template.yaml');
    assert.deepEqual(rest, []);
    assert.ok(result?.ok, result?.ok === false ? result.error.message : '');
    const { metadata, spec } = result.profile;
    assert.equal(result.profile.apiVersion, 'nodemesh.io/v1alpha2');
    assert.deepEqual(metadata, { name: 'web.shop.svc.cluster.local', namespace: 'shop' });
    assert.deepEqual(
      spec.routes?.map((r) => [r.name, r.condition.pathRegex, r.condition.method, r.timeout]),
      [
        ['GET /books/{id}', '/books/\\d+', 'GET', '300ms'],
        ['POST /books', '/books', 'POST', '1s'],
      ],
    );
    assert.deepEqual(spec.retryBudget, { retryRatio: 0.2, minRetriesPerSecond: 10, ttl: '10s' });
    assert.equal(spec.dstOverrides, undefined);
  });

  test('keeps names that YAML 1.1 would read as booleans or numbers as strings', () => {
    for (const namespace of ['yes', 'on', 'no', 'y', '123']) {
      const text = profileTemplate({ service: 'web', namespace, clusterDomain: 'cluster.local' });
      const [result] = parseServiceProfilesYaml(text, 'template.yaml');
      assert.ok(result?.ok, `namespace ${namespace}: ${result?.ok === false ? result.error.message : ''}`);
      assert.equal(result.profile.metadata.namespace, namespace);
    }
  });

  test('shows a traffic split in comments that is valid once uncommented', () => {
    const text = profileTemplate({ service: 'web', namespace: 'shop', clusterDomain: 'example.org' }).replace(
      /^ {2}# (dstOverrides:| {2}[- ] )/gm,
      '  $1',
    );
    const [result] = parseServiceProfilesYaml(text, 'template.yaml');
    assert.ok(result?.ok, result?.ok === false ? result.error.message : '');
    assert.deepEqual(result.profile.spec.dstOverrides, [
      { authority: 'web.shop.svc.example.org', weight: '900m' },
      { authority: 'web-canary.shop.svc.example.org', weight: '100m' },
    ]);
  });

  test('refuses names that do not make a profile name', () => {
    const err = catchError(
      () => profileTemplate({ service: 'Web', namespace: 'shop', clusterDomain: 'cluster.local' }),
      ProfileValidationError,
    );
    assert.equal(err.problems[0]?.path, 'metadata.name');
    assert.match(err.message, /upper-case/);
  });
});
