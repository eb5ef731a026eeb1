import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pickWeighted } from './route-weight.ts';

const b = (name: string, weight: number) => ({ name, weight });

describe('pickWeighted', () => {
  const canary = [b('stable', 90), b('canary', 10)];
  const withZero = [b('off', 0), b('a', 1), b('off2', 0), b('b', 3)];
  const cases: readonly [
    name: string,
    backends: readonly { name: string; weight: number }[],
    random: number,
    expected: string | undefined,
  ][] = [
    ['0 picks the first backend', canary, 0, 'stable'],
    ['just below the 90% edge stays on the first', canary, 0.8999999, 'stable'],
    ['exactly the 90% edge moves to the second', canary, 0.9, 'canary'],
    ['just below 1 picks the last', canary, 0.9999999999, 'canary'],
    ['1 (out of range) is clamped to the last', canary, 1, 'canary'],
    ['a negative number is clamped to the first', canary, -0.5, 'stable'],
    ['NaN counts as 0', canary, Number.NaN, 'stable'],
    ['weight 0 backends are skipped at 0', withZero, 0, 'a'],
    ['weight 0 backends are skipped at the edge', withZero, 0.25, 'b'],
    ['weight 0 backends are skipped at the end', withZero, 0.999, 'b'],
    ['a single backend takes everything', [b('only', 1)], 0.73, 'only'],
    ['the largest weights stay exact', [b('a', 1_000_000), b('b', 1)], 1_000_000 / 1_000_001, 'b'],
    ['every weight 0 gives nothing', [b('a', 0), b('b', 0)], 0.5, undefined],
    ['no backend gives nothing', [], 0.5, undefined],
  ];
  for (const [name, backends, random, expected] of cases) {
    test(name, () => {
      assert.equal(pickWeighted(backends, random)?.name, expected);
    });
  }

  test('splits a uniform sweep in proportion to the weights', () => {
    const counts = new Map<string, number>();
    const steps = 10_000;
    for (let i = 0; i < steps; i++) {
      const name = pickWeighted(withZero, i / steps)?.name ?? 'none';
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(counts), { a: 2500, b: 7500 });
  });
});
