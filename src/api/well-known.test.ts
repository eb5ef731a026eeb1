// Tests for well-known.ts: Timestamp and Duration to and from Date and milliseconds.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { InternalError, ProtobufDecodeError } from '../errors/index.ts';
import { dateFromTimestamp, durationFromMillis, millisFromDuration, timestampFromDate } from './well-known.ts';

describe('Timestamp', () => {
  const cases: [string, Date, { seconds: bigint; nanos: number }][] = [
    ['the epoch', new Date(0), { seconds: 0n, nanos: 0 }],
    ['a time with milliseconds', new Date('2026-11-21T12:00:00.123Z'), { seconds: 1_795_262_400n, nanos: 123_000_000 }],
    ['a time before the epoch', new Date(-1), { seconds: -1n, nanos: 999_000_000 }],
  ];
  for (const [what, date, timestamp] of cases) {
    test(`converts ${what} both ways`, () => {
      assert.deepStrictEqual(timestampFromDate(date), timestamp);
      assert.deepStrictEqual(dateFromTimestamp(timestamp), date);
    });
  }

  test('drops nanos below a millisecond when making a Date', () => {
    assert.deepStrictEqual(dateFromTimestamp({ seconds: 1n, nanos: 1_999_999 }), new Date(1001));
  });

  test('refuses nanos outside 0..999999999', () => {
    assert.throws(() => dateFromTimestamp({ seconds: 0n, nanos: 1_000_000_000 }), ProtobufDecodeError);
    assert.throws(() => dateFromTimestamp({ seconds: 0n, nanos: -1 }), ProtobufDecodeError);
  });

  test('refuses an invalid Date', () => {
    assert.throws(() => timestampFromDate(new Date(Number.NaN)), InternalError);
  });
});

describe('Duration', () => {
  const cases: [number, { seconds: bigint; nanos: number }][] = [
    [0, { seconds: 0n, nanos: 0 }],
    [10_000, { seconds: 10n, nanos: 0 }],
    [1_500, { seconds: 1n, nanos: 500_000_000 }],
    [0.25, { seconds: 0n, nanos: 250_000 }],
    [-1_500, { seconds: -1n, nanos: -500_000_000 }],
    [86_400_000, { seconds: 86_400n, nanos: 0 }],
  ];
  for (const [millis, duration] of cases) {
    test(`converts ${millis} ms both ways`, () => {
      assert.deepStrictEqual(durationFromMillis(millis), duration);
      assert.equal(millisFromDuration(duration), millis);
    });
  }

  test('carries a second when rounding reaches it', () => {
    assert.deepStrictEqual(durationFromMillis(999.9999999), { seconds: 1n, nanos: 0 });
  });

  test('refuses nanos out of range or of the other sign', () => {
    assert.throws(() => millisFromDuration({ seconds: 0n, nanos: 1_000_000_000 }), ProtobufDecodeError);
    assert.throws(() => millisFromDuration({ seconds: 1n, nanos: -1 }), ProtobufDecodeError);
    assert.throws(() => millisFromDuration({ seconds: -1n, nanos: 1 }), ProtobufDecodeError);
  });

  test('refuses a number of milliseconds that is not finite', () => {
    assert.throws(() => durationFromMillis(Number.POSITIVE_INFINITY), InternalError);
  });
});
