import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../../src/testing/index.ts';
import { RetryBudget, type RetryBudgetOptions } from './budget.ts';

const T0 = 1_000_000;

/** Withdraws until refused (at most `limit` times); returns how many were allowed. */
function drain(budget: RetryBudget, limit = 10_000): number {
  let n = 0;
  while (n < limit && budget.withdraw()) n++;
  return n;
}

function budgetAt(options?: RetryBudgetOptions): { clock: FakeClock; budget: RetryBudget } {
  const clock = new FakeClock(T0);
  return { clock, budget: new RetryBudget(clock, options) };
}

describe('RetryBudget', () => {
  test('with the defaults (0.2, 10/s, 10 s) allows 100 + K/5 retries after K requests', () => {
    const cases = [
      { deposits: 0, retries: 100 },
      { deposits: 4, retries: 100 },
      { deposits: 5, retries: 101 },
      { deposits: 50, retries: 110 },
      { deposits: 1000, retries: 300 },
    ];
    for (const c of cases) {
      const { budget } = budgetAt();
      for (let i = 0; i < c.deposits; i++) budget.deposit();
      assert.equal(budget.available(), c.retries, `available after ${c.deposits} deposits`);
      assert.equal(drain(budget), c.retries, `withdrawals after ${c.deposits} deposits`);
      assert.equal(budget.available(), 0);
    }
  });

  test('counts deposits made after retries toward further retries', () => {
    const { budget } = budgetAt({ minRetriesPerSecond: 0 });
    assert.equal(budget.withdraw(), false, 'nothing deposited, no reserve');
    for (let i = 0; i < 4; i++) budget.deposit();
    assert.equal(budget.withdraw(), false, '4 × 0.2 < 1');
    budget.deposit();
    assert.equal(budget.withdraw(), true);
    assert.equal(budget.withdraw(), false);
  });

  test('keeps ratios exact (0.3 allows 30 retries per 100 requests, not Tower’s 33)', () => {
    const { budget } = budgetAt({ retryRatio: 0.3, minRetriesPerSecond: 0 });
    for (let i = 0; i < 100; i++) budget.deposit();
    assert.equal(drain(budget), 30);
  });

  test('allows ratio × deposits above 1 (2.0: two retries per request)', () => {
    const { budget } = budgetAt({ retryRatio: 2, minRetriesPerSecond: 0 });
    for (let i = 0; i < 7; i++) budget.deposit();
    assert.equal(drain(budget), 14);
  });

  test('with ratio 0 allows only the reserve', () => {
    const { budget } = budgetAt({ retryRatio: 0, minRetriesPerSecond: 2, ttlMs: 5000 });
    for (let i = 0; i < 1000; i++) budget.deposit();
    assert.equal(drain(budget), 10);
  });

  test('forgets deposits between ttl and ttl + ttl/10 after they were made', async () => {
    const { clock, budget } = budgetAt({ retryRatio: 1, minRetriesPerSecond: 0 });
    for (let i = 0; i < 5; i++) budget.deposit();
    await clock.advance(10_999);
    assert.equal(budget.available(), 5, 'still counted just before 11 s');
    await clock.advance(1);
    assert.equal(budget.available(), 0, 'forgotten at 11 s');
  });

  test('forgets withdrawals too, so the reserve comes back', async () => {
    const { clock, budget } = budgetAt();
    assert.equal(drain(budget), 100);
    await clock.advance(10_000);
    assert.equal(budget.withdraw(), false, 'retries of the last 10 s still count');
    await clock.advance(1000);
    assert.equal(budget.available(), 100);
  });

  test('keeps recent deposits while older ones expire', async () => {
    const { clock, budget } = budgetAt({ retryRatio: 1, minRetriesPerSecond: 0 });
    budget.deposit();
    await clock.advance(5000);
    budget.deposit();
    budget.deposit();
    await clock.advance(6000);
    assert.equal(budget.available(), 2, 'the first deposit is gone, the two later ones stay');
    await clock.advance(5000);
    assert.equal(budget.available(), 0);
  });

  test('handles a long idle gap in constant work', async () => {
    const { clock, budget } = budgetAt();
    for (let i = 0; i < 50; i++) budget.deposit();
    assert.equal(drain(budget, 5), 5);
    await clock.advance(3_600_000);
    assert.equal(budget.available(), 100);
  });

  test('reproduces Tower’s tps_slots case (ttl 1 s, ratio 0.5)', async () => {
    const { clock, budget } = budgetAt({ ttlMs: 1000, minRetriesPerSecond: 0, retryRatio: 0.5 });
    budget.deposit();
    budget.deposit();
    await clock.advance(901);
    assert.equal(budget.withdraw(), true, '900 ms later the deposits still count');
    await clock.advance(2001);
    budget.deposit();
    await clock.advance(301);
    budget.deposit();
    await clock.advance(801);
    budget.deposit();
    assert.equal(budget.withdraw(), true, 'the first deposit expired, the second and third make one retry');
    assert.equal(budget.withdraw(), false);
  });

  test('refuses options outside Finagle’s bounds', () => {
    const clock = new FakeClock(T0);
    const bad: RetryBudgetOptions[] = [
      { retryRatio: -0.1 },
      { retryRatio: 1001 },
      { retryRatio: Number.NaN },
      { minRetriesPerSecond: -1 },
      { ttlMs: 999 },
      { ttlMs: 60_001 },
    ];
    for (const options of bad)
      assert.throws(() => new RetryBudget(clock, options), RangeError, JSON.stringify(options));
  });
});
