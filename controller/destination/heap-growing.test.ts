// The heap growing setting: 30 % by default, 0 sets nothing, out-of-range values are refused.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ENV_HEAP_GROWING_PERCENT, parseDestinationConfig } from './config.ts';
import { applyHeapGrowing, DEFAULT_HEAP_GROWING_PERCENT } from './heap-growing.ts';

describe('destination heap growing', () => {
  test('30 % by default, read from the environment', () => {
    assert.equal(DEFAULT_HEAP_GROWING_PERCENT, 30);
    assert.equal(parseDestinationConfig({}).heapGrowingPercent, 30);
    assert.equal(parseDestinationConfig({ [ENV_HEAP_GROWING_PERCENT]: '0' }).heapGrowingPercent, 0);
    assert.equal(parseDestinationConfig({ [ENV_HEAP_GROWING_PERCENT]: '75' }).heapGrowingPercent, 75);
  });

  test('sets --heap-growing-percent, and nothing for 0', () => {
    const set: string[] = [];
    assert.deepEqual(
      applyHeapGrowing(30, (f) => set.push(f)),
      ['--heap-growing-percent=30'],
    );
    assert.deepEqual(
      applyHeapGrowing(0, (f) => set.push(f)),
      [],
    );
    assert.deepEqual(set, ['--heap-growing-percent=30']);
  });

  test('a value out of range is refused, naming the variable', () => {
    for (const value of ['-1', '301', 'lots']) {
      assert.throws(
        () => parseDestinationConfig({ [ENV_HEAP_GROWING_PERCENT]: value }),
        (err: Error) => err.message.includes(ENV_HEAP_GROWING_PERCENT),
      );
    }
  });
});
