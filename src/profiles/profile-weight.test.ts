import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_WEIGHT_DECIMILLIS, parseWeight } from './profile-weight.ts';

describe('parseWeight', () => {
  const cases: readonly [name: string, value: number | string, decimillis: number][] = [
    ['reads a whole number', 1, 10_000],
    ['reads a whole number given as a string', '1', 10_000],
    ['reads milli units', '500m', 5_000],
    ['reads a decimal', 0.5, 5_000],
    ['reads a decimal string with a trailing dot', '5.', 50_000],
    ['reads a decimal string with no whole part', '.25', 2_500],
    ['reads kilo units', '1k', 10_000_000],
    ['reads binary units', '1Ki', 10_240_000],
    ['reads an exponent', '1e2', 1_000_000],
    ['reads a negative exponent', '5e-1', 5_000],
    ['reads a YAML float written with an exponent', 1e-7, 10],
    ['rounds a fraction of a milli up, like Quantity.MilliValue', '0.0001', 10],
    ['rounds micro units up to a milli', '1u', 10],
    ['reads zero', 0, 0],
    ['reads a negative zero as zero', '-0', 0],
    ['reads an explicit plus sign', '+2', 20_000],
    ['reads the largest weight the wire carries', '429496.729', MAX_WEIGHT_DECIMILLIS - 5],
    ['reads a tiny exponent without building a huge number', '1e-999999999', 10],
  ];
  for (const [name, value, decimillis] of cases) {
    test(name, () => assert.deepEqual(parseWeight(value), { ok: true, decimillis }));
  }

  const refused: readonly [name: string, value: number | string, reason: RegExp][] = [
    ['refuses a negative weight', '-1', /is negative/],
    ['refuses a weight above the uint32 range', '429496.7291', /too large/],
    ['refuses a huge exponent', '1e99', /too large/],
    ['refuses a word', 'half', /not a Kubernetes quantity/],
    ['refuses a unit alone', 'm', /not a Kubernetes quantity/],
    ['refuses an unknown suffix', '1Q', /not a Kubernetes quantity/],
    ['refuses infinity', Number.POSITIVE_INFINITY, /not a Kubernetes quantity/],
    ['refuses an empty string', '', /not a Kubernetes quantity/],
  ];
  for (const [name, value, reason] of refused) {
    test(name, () => {
      const result = parseWeight(value);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.reason, reason);
    });
  }
});
