import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  FAILURE_ACCRUAL_ANNOTATION as MODE,
  FAILURE_ACCRUAL_JITTER_RATIO_ANNOTATION as JITTER,
  FAILURE_ACCRUAL_MAX_FAILURES_ANNOTATION as FAILURES,
  FAILURE_ACCRUAL_MAX_PENALTY_ANNOTATION as MAX,
  FAILURE_ACCRUAL_MIN_PENALTY_ANNOTATION as MIN,
  parseFailureAccrualAnnotations,
} from './failure-accrual-annotations.ts';

describe('parseFailureAccrualAnnotations', () => {
  test('turns accrual off without the mode annotation, even when tuning annotations are set', () => {
    for (const annotations of [undefined, {}, { [FAILURES]: '3', [MIN]: '5s' }]) {
      assert.deepEqual(parseFailureAccrualAnnotations(annotations), { kind: 'none' });
    }
  });

  test('reads the consecutive mode, with Linkerd’s defaults for what is left out', () => {
    const cases: { name: string; annotations: Record<string, string>; options: object }[] = [
      {
        name: 'mode only',
        annotations: { [MODE]: 'consecutive' },
        options: { maxFailures: 7, minPenaltyMs: 1000, maxPenaltyMs: 60_000, jitterRatio: 0.5 },
      },
      {
        name: 'everything set',
        annotations: { [MODE]: 'consecutive', [FAILURES]: '4', [MIN]: '250ms', [MAX]: '1m30s', [JITTER]: '1.0' },
        options: { maxFailures: 4, minPenaltyMs: 250, maxPenaltyMs: 90_000, jitterRatio: 1 },
      },
      {
        name: 'zero min penalty and jitter',
        annotations: { [MODE]: 'consecutive', [MIN]: '0', [JITTER]: '0' },
        options: { maxFailures: 7, minPenaltyMs: 0, maxPenaltyMs: 60_000, jitterRatio: 0 },
      },
    ];
    for (const c of cases) {
      assert.deepEqual(
        parseFailureAccrualAnnotations(c.annotations),
        { kind: 'consecutive', options: c.options },
        c.name,
      );
    }
  });

  test('reports every bad annotation at once, with its value and what is allowed', () => {
    const result = parseFailureAccrualAnnotations({
      [MODE]: 'unified',
      [FAILURES]: '0',
      [MIN]: '5',
      [MAX]: '0s',
      [JITTER]: '101',
    });
    assert.equal(result.kind, 'invalid');
    assert.deepEqual(
      result.problems.map((p) => [p.name, p.value]),
      [
        [MODE, 'unified'],
        [FAILURES, '0'],
        [MIN, '5'],
        [MAX, '0s'],
        [JITTER, '101'],
      ],
    );
    assert.match(result.problems[0]?.allowed ?? '', /consecutive/);
    assert.equal(result.problems[0]?.detail, 'the unified mode is not supported');
    assert.match(result.problems[1]?.allowed ?? '', /whole number from 1/);
    assert.match(result.problems[2]?.allowed ?? '', /duration with units/);
    assert.match(result.problems[4]?.allowed ?? '', /from 0 to 100/);
  });

  test('refuses values that are not numbers', () => {
    const result = parseFailureAccrualAnnotations({ [MODE]: 'consecutive', [FAILURES]: 'seven', [JITTER]: '' });
    assert.equal(result.kind, 'invalid');
    assert.deepEqual(
      result.problems.map((p) => p.name),
      [FAILURES, JITTER],
    );
  });

  test('blames the max penalty when it is below the min, or the min when it exceeds the default max', () => {
    const both = parseFailureAccrualAnnotations({ [MODE]: 'consecutive', [MIN]: '10s', [MAX]: '5s' });
    assert.equal(both.kind, 'invalid');
    assert.deepEqual(both.problems, [
      { name: MAX, value: '5s', allowed: 'a duration no less than the min penalty (10s)' },
    ]);
    const minOnly = parseFailureAccrualAnnotations({ [MODE]: 'consecutive', [MIN]: '2m' });
    assert.equal(minOnly.kind, 'invalid');
    assert.deepEqual(minOnly.problems, [
      { name: MIN, value: '2m', allowed: 'a duration no more than the max penalty (1m, the default)' },
    ]);
  });
});
