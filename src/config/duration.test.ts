import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDurationMs, parseDurationMs } from './duration.ts';

describe('parseDurationMs', () => {
  const cases: [string, number | undefined][] = [
    ['250ms', 250],
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['24h', 86_400_000],
    ['1.5s', 1500],
    ['100us', 0.1],
    ['0', 0],
    [' 3s ', 3000],
    ['10', undefined],
    ['s', undefined],
    ['10 s', undefined],
    ['-1s', undefined],
    ['1d', undefined],
    ['', undefined],
    ['1s garbage', undefined],
  ];
  for (const [text, expected] of cases) {
    test(`reads ${JSON.stringify(text)} as ${String(expected)}`, () => {
      assert.equal(parseDurationMs(text), expected);
    });
  }
});

describe('formatDurationMs', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [250, '250ms'],
    [10_000, '10s'],
    [90_000, '1m30s'],
    [86_400_000, '24h'],
    [3_723_500, '1h2m3.5s'],
  ];
  for (const [ms, expected] of cases) {
    test(`writes ${ms} ms as ${expected}`, () => assert.equal(formatDurationMs(ms), expected));
  }
});
