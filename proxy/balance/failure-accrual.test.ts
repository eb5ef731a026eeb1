import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InternalError } from '../../src/errors/index.ts';
import { FakeClock, catchError } from '../../src/testing/index.ts';
import {
  ConsecutiveFailures,
  penaltyMs,
  resolveFailureAccrualOptions,
  type FailureAccrualOptions,
  type FailureAccrualState,
} from './failure-accrual.ts';

const T0 = 1_000_000;

function breaker(options: FailureAccrualOptions, random: () => number = () => 0) {
  const clock = new FakeClock(T0);
  const changes: FailureAccrualState[] = [];
  const b = new ConsecutiveFailures({ clock, random, onChange: (s) => changes.push(s) }, options);
  return { clock, b, changes };
}

/** Admits one request and reports its outcome. */
function request(b: ConsecutiveFailures, success: boolean): void {
  b.onResult(b.admit(), success);
}

describe('ConsecutiveFailures', () => {
  test('uses Linkerd’s defaults: 7 failures, 1 s to 60 s, jitter 0.5', () => {
    assert.deepEqual(new ConsecutiveFailures().options, {
      maxFailures: 7,
      minPenaltyMs: 1000,
      maxPenaltyMs: 60_000,
      jitterRatio: 0.5,
    });
  });

  test('trips after exactly maxFailures consecutive failures; a success resets the count', () => {
    const { b, changes } = breaker({ maxFailures: 3, jitterRatio: 0 });
    request(b, false);
    request(b, false);
    request(b, true);
    request(b, false);
    request(b, false);
    assert.deepEqual(b.state, { kind: 'open', failures: 2 });
    assert.equal(b.available(), true);
    assert.deepEqual(changes, []);
    request(b, false);
    assert.deepEqual(b.state, { kind: 'shut', until: T0 + 1000, penaltyMs: 1000, ejections: 0 });
    assert.equal(b.available(), false);
    assert.equal(changes.length, 1);
  });

  test('stays shut for the penalty, then admits exactly one probe', async () => {
    const { b, clock } = breaker({ maxFailures: 1, jitterRatio: 0 });
    request(b, false);
    await clock.advance(999);
    assert.equal(b.state.kind, 'shut');
    assert.equal(b.available(), false);
    await clock.advance(1);
    assert.deepEqual(b.state, { kind: 'probation', probing: false, ejections: 0 });
    assert.equal(b.available(), true);
    const probe = b.admit();
    assert.deepEqual(b.state, { kind: 'probation', probing: true, ejections: 0 });
    assert.equal(b.available(), false);
    const err = catchError(() => b.admit(), InternalError);
    assert.equal(err.code, 'MESH_ERR_INTERNAL');
    b.onResult(probe, true);
    assert.deepEqual(b.state, { kind: 'open', failures: 0 });
    assert.equal(b.available(), true);
  });

  test('backs off exponentially on failed probes up to the max, and starts over after a success', async () => {
    const { b, clock } = breaker({ maxFailures: 1, minPenaltyMs: 1000, maxPenaltyMs: 5000, jitterRatio: 0 });
    request(b, false);
    const penalties: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = b.state;
      assert.equal(s.kind, 'shut');
      penalties.push(s.penaltyMs);
      await clock.advance(s.penaltyMs);
      assert.equal(b.state.kind, 'probation');
      request(b, false);
    }
    assert.deepEqual(penalties, [1000, 2000, 4000, 5000, 5000]);
    assert.deepEqual(clock.pending(), [clock.now() + 5000]);
    await clock.advance(5000);
    request(b, true);
    assert.equal(b.state.kind, 'open');
    request(b, false);
    assert.deepEqual(b.state, { kind: 'shut', until: clock.now() + 1000, penaltyMs: 1000, ejections: 0 });
  });

  test('adds jitter from [0, base × ratio), never past the max penalty', () => {
    const options = resolveFailureAccrualOptions({ minPenaltyMs: 1000, maxPenaltyMs: 5000, jitterRatio: 0.5 });
    const cases: { ejection: number; random: number; expected: number }[] = [
      { ejection: 0, random: 0, expected: 1000 },
      { ejection: 0, random: 0.5, expected: 1250 },
      { ejection: 0, random: 0.999, expected: 1499.5 },
      { ejection: 1, random: 0.5, expected: 2500 },
      { ejection: 2, random: 0.25, expected: 4500 },
      { ejection: 2, random: 0.999, expected: 5000 }, // 4000 + 1998, capped
      { ejection: 3, random: 0.7, expected: 5000 },
      { ejection: 1000, random: 0.7, expected: 5000 },
    ];
    for (const c of cases) {
      assert.equal(
        penaltyMs(options, c.ejection, () => c.random),
        c.expected,
        JSON.stringify(c),
      );
    }
    const zeroMin = resolveFailureAccrualOptions({ minPenaltyMs: 0, maxPenaltyMs: 5000 });
    assert.equal(
      penaltyMs(zeroMin, 2000, () => 0.9),
      0,
    );
  });

  test('draws its jitter from the injected random source', () => {
    const { b } = breaker({ maxFailures: 1, jitterRatio: 1 }, () => 0.25);
    request(b, false);
    assert.deepEqual(b.state, { kind: 'shut', until: T0 + 1250, penaltyMs: 1250, ejections: 0 });
  });

  test('ignores results of requests admitted before the last change (stragglers)', async () => {
    const { b, clock } = breaker({ maxFailures: 2, jitterRatio: 0 });
    const tickets = [b.admit(), b.admit(), b.admit(), b.admit()];
    b.onResult(tickets[0] ?? -1, false);
    b.onResult(tickets[1] ?? -1, false);
    assert.equal(b.state.kind, 'shut');
    b.onResult(tickets[2] ?? -1, true);
    assert.equal(b.state.kind, 'shut', 'a success while shut changes nothing');
    await clock.advance(1000);
    const probe = b.admit();
    b.onResult(tickets[3] ?? -1, true);
    assert.deepEqual(b.state, { kind: 'probation', probing: true, ejections: 0 }, 'only the probe decides');
    b.onResult(probe, false);
    assert.equal(b.state.kind, 'shut');
    b.onResult(probe, true);
    assert.equal(b.state.kind, 'shut', 'a second result for the probe is ignored');
  });

  test('a cancelled request charges nothing; a cancelled probe lets another probe in', async () => {
    const { b, clock } = breaker({ maxFailures: 2, jitterRatio: 0 });
    request(b, false);
    b.onCancel(b.admit());
    b.onCancel(b.admit());
    assert.deepEqual(b.state, { kind: 'open', failures: 1 }, 'cancellations neither fail nor reset');
    request(b, false);
    await clock.advance(1000);
    const probe = b.admit();
    assert.equal(b.available(), false);
    b.onCancel(probe);
    assert.deepEqual(b.state, { kind: 'probation', probing: false, ejections: 0 });
    assert.equal(b.available(), true);
    b.onCancel(probe);
    request(b, true);
    assert.equal(b.state.kind, 'open');
  });

  test('reports every change: shut, probation, probe admitted, open', async () => {
    const { b, clock, changes } = breaker({ maxFailures: 1, jitterRatio: 0 });
    request(b, false);
    await clock.advance(1000);
    request(b, true);
    assert.deepEqual(
      changes.map((s) => (s.kind === 'probation' ? `probation:${s.probing}` : s.kind)),
      ['shut', 'probation:false', 'probation:true', 'open'],
    );
  });

  test('close() cancels the penalty timer and admits nothing more', async () => {
    const { b, clock, changes } = breaker({ maxFailures: 1 });
    request(b, false);
    assert.equal(clock.pending().length, 1);
    b.close();
    assert.deepEqual(clock.pending(), []);
    await clock.advance(120_000);
    assert.deepEqual(b.state, { kind: 'closed' });
    assert.equal(b.available(), false);
    assert.equal(changes.length, 1, 'no change reported after close');
  });

  test('refuses options outside Linkerd’s bounds', () => {
    const bad: FailureAccrualOptions[] = [
      { maxFailures: 0 },
      { maxFailures: 1.5 },
      { minPenaltyMs: -1 },
      { maxPenaltyMs: 0, minPenaltyMs: 0 },
      { minPenaltyMs: 2000, maxPenaltyMs: 1000 },
      { jitterRatio: -0.1 },
      { jitterRatio: 100.5 },
      { jitterRatio: Number.NaN },
    ];
    for (const options of bad) {
      assert.throws(() => resolveFailureAccrualOptions(options), RangeError, JSON.stringify(options));
    }
    assert.equal(resolveFailureAccrualOptions({ jitterRatio: 100, minPenaltyMs: 0 }).jitterRatio, 100);
  });
});
