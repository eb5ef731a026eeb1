import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseServiceAccountUsername, serviceAccountUsername } from './service-account.ts';

describe('service-account usernames', () => {
  test('a namespace and name make a username that parses back', () => {
    const username = serviceAccountUsername({ namespace: 'shop', serviceAccount: 'web' });
    assert.equal(username, 'system:serviceaccount:shop:web');
    assert.deepEqual(parseServiceAccountUsername(username), { namespace: 'shop', serviceAccount: 'web' });
  });

  const refused: [string, string, RegExp][] = [
    ['a user', 'alice@example.com', /is not a service account/],
    ['a node', 'system:node:n1', /is not a service account/],
    ['too few parts', 'system:serviceaccount:shop', /does not have the form/],
    ['too many parts', 'system:serviceaccount:shop:web:extra', /does not have the form/],
    ['an empty namespace', 'system:serviceaccount::web', /namespace that is not a DNS-1123 label: it is empty/],
    [
      'a dotted name',
      'system:serviceaccount:shop:web.v2',
      /service account name that is not a DNS-1123 label: it contains "."/,
    ],
    ['upper case', 'system:serviceaccount:Shop:web', /upper-case/],
  ];
  for (const [name, username, problem] of refused) {
    test(`refuses ${name}, saying why`, () => {
      const parsed = parseServiceAccountUsername(username);
      assert.ok('problem' in parsed);
      assert.match(parsed.problem, problem);
    });
  }
});
