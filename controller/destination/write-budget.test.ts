// WriteBudget: grants what fits (and a lone message of any size), serves waiters in order, and
// WriteBudgets keeps one budget per connection for as long as it has streams.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WriteBudget, WriteBudgets } from './write-budget.ts';

describe('WriteBudget', () => {
  test('grants up to the limit, and one message of any size when nothing is in flight', () => {
    const budget = new WriteBudget(100);
    assert.ok(budget.take(60));
    assert.ok(budget.take(40));
    assert.equal(budget.take(1), false);
    budget.give(100);
    assert.equal(budget.inFlight, 0);
    assert.ok(budget.take(500), 'larger than the limit, alone');
    assert.equal(budget.take(1), false);
  });

  test('wakes waiters in order as bytes come back; a small one does not overtake a large one', () => {
    const budget = new WriteBudget(100);
    const woken: string[] = [];
    assert.ok(budget.take(80));
    budget.wait(50, () => woken.push('large'));
    assert.equal(budget.take(10), false, 'someone is waiting');
    budget.wait(10, () => woken.push('small'));
    budget.give(20);
    assert.deepEqual(woken, []);
    budget.give(60);
    assert.deepEqual(woken, ['large', 'small']);
    assert.equal(budget.inFlight, 60);
  });

  test('a cancelled waiter is never woken and lets the next one through', () => {
    const budget = new WriteBudget(100);
    const woken: string[] = [];
    assert.ok(budget.take(100));
    const cancel = budget.wait(100, () => woken.push('first'));
    budget.wait(10, () => woken.push('second'));
    cancel();
    budget.give(100);
    assert.deepEqual(woken, ['second']);
  });

  test('refuses a limit that is not positive', () => {
    assert.throws(() => new WriteBudget(0), RangeError);
  });
});

describe('WriteBudgets', () => {
  test('one budget per connection while it has streams', () => {
    const budgets = new WriteBudgets(100);
    const a1 = budgets.acquire('127.0.0.1:1');
    const a2 = budgets.acquire('127.0.0.1:1');
    const b = budgets.acquire('127.0.0.1:2');
    assert.equal(a1.budget, a2.budget);
    assert.notEqual(a1.budget, b.budget);
    assert.equal(budgets.size, 2);
    a1.release();
    a1.release();
    assert.equal(budgets.size, 2, 'a second release of the same stream counts once');
    a2.release();
    b.release();
    assert.equal(budgets.size, 0);
    assert.notEqual(budgets.acquire('127.0.0.1:1').budget, a1.budget, 'a new connection starts afresh');
  });
});
