import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closest, editDistance } from './closest.ts';

test('closest suggests a known name within two edits, or equal ignoring case', () => {
  const known = ['routes', 'retryBudget', 'dstOverrides', 'opaquePorts'];
  assert.equal(closest('route', known), 'routes');
  assert.equal(closest('retrybudget', known), 'retryBudget');
  assert.equal(closest('dstOveride', known), 'dstOverrides');
  assert.equal(closest('timeout', known), undefined);
  assert.equal(closest('ro', known), undefined, 'too short to guess');
});

test('editDistance is Levenshtein, capped at the limit', () => {
  assert.equal(editDistance('kitten', 'sitting', 10), 3);
  assert.equal(editDistance('a', 'abcdef', 3), 3);
  assert.equal(editDistance('same', 'same', 3), 0);
});
