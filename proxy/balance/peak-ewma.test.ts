import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../../src/testing/index.ts';
import { PeakEwma } from './peak-ewma.ts';

const T0 = 1_000_000;

function near(actual: number, expected: number, message?: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-9, `${message ?? 'value'}: expected ${expected}, got ${actual}`);
}

describe('PeakEwma', () => {
  test('starts at the default RTT and multiplies it by in-flight + 1', () => {
    const clock = new FakeClock(T0);
    const ewma = new PeakEwma(clock);
    assert.equal(ewma.cost(), 30);
    ewma.start();
    ewma.start();
    assert.equal(ewma.inFlight, 2);
    assert.equal(ewma.cost(), 90);
  });

  test('decays an idle estimate with the decay as time constant (1/e after 10 s)', async () => {
    const clock = new FakeClock(T0);
    const ewma = new PeakEwma(clock);
    await clock.advance(10_000);
    near(ewma.estimate(), 30 * Math.exp(-1), 'after 10 s');
    await clock.advance(10_000);
    near(ewma.estimate(), 30 * Math.exp(-2), 'after 20 s');
  });

  test('decays the same however often it is read', () => {
    const clock = new FakeClock(T0);
    const often = new PeakEwma(clock);
    const once = new PeakEwma(clock);
    for (let i = 0; i < 10; i++) {
      // Move the fake clock by hand: 10 reads, 700 ms apart.
      const now = T0 + (i + 1) * 700;
      often.cost(now);
    }
    near(often.cost(T0 + 7000), once.cost(T0 + 7000));
    near(once.estimate(T0 + 7000), 30 * Math.exp(-0.7));
  });

  test('jumps to a peak at once and smooths a lower RTT by the time since the last update', async () => {
    const clock = new FakeClock(T0);
    const ewma = new PeakEwma(clock);
    const slow = ewma.start();
    await clock.advance(100);
    ewma.finish(slow);
    assert.equal(ewma.estimate(), 100, 'the peak replaces the estimate');
    assert.equal(ewma.inFlight, 0);

    await clock.advance(990);
    const fast = ewma.start();
    await clock.advance(10);
    ewma.finish(fast);
    // 1 s after the peak: 100·e^−0.1 + 10·(1 − e^−0.1) = 91.4354…
    const w = Math.exp(-0.1);
    near(ewma.estimate(), 100 * w + 10 * (1 - w));
    assert.equal(Math.round(ewma.estimate() * 1000) / 1000, 91.435);
  });

  test('reproduces Tower’s compound_decay numbers (default 20 ms, decay 1 s)', async () => {
    const clock = new FakeClock(T0);
    const ewma = new PeakEwma(clock, { defaultRttMs: 20, decayMs: 1000 });
    assert.equal(ewma.cost(), 20);
    await clock.advance(100);
    const rsp0 = ewma.start();
    near(ewma.cost(), 20 * Math.exp(-0.1) * 2); // 36.19: Tower asserts > 20
    await clock.advance(100);
    const rsp1 = ewma.start();
    near(ewma.cost(), 20 * Math.exp(-0.2) * 3); // 49.12: Tower asserts > 40
    await clock.advance(100);
    ewma.finish(rsp0); // rtt 200 ms > estimate: a peak
    near(ewma.cost(), 400);
    await clock.advance(100);
    ewma.finish(rsp1); // rtt 200 ms = estimate
    near(ewma.cost(), 200);
    await clock.advance(1000);
    near(ewma.cost(), 200 * Math.exp(-1));
    assert.ok(ewma.cost() < 100);
    await clock.advance(10_000);
    assert.ok(ewma.cost() < 0.1);
  });

  test('never counts in-flight below zero and treats a clock going back as rtt 0', () => {
    const clock = new FakeClock(T0);
    const ewma = new PeakEwma(clock);
    ewma.finish(T0 + 50);
    assert.equal(ewma.inFlight, 0);
    assert.equal(ewma.estimate(), 30, 'rtt 0 with no time elapsed leaves the estimate');
  });

  test('refuses a non-positive default RTT or decay', () => {
    const clock = new FakeClock(T0);
    assert.throws(() => new PeakEwma(clock, { defaultRttMs: 0 }), RangeError);
    assert.throws(() => new PeakEwma(clock, { decayMs: -1 }), RangeError);
    assert.throws(() => new PeakEwma(clock, { decayMs: Number.NaN }), RangeError);
  });
});
