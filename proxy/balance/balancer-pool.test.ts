import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom, FakeClock, settle } from '../../src/testing/index.ts';
import {
  PICK_CANCELLED,
  PICK_FAILURE,
  PICK_SUCCESS,
  type AcquireResult,
  type Balancer,
  type BalancerEvent,
  type BalancerOptions,
  type ReadyPick,
} from './balancer.ts';
import { P2cBalancer } from './balancer-p2c.ts';
import { RoundRobinBalancer } from './balancer-round-robin.ts';

const T0 = 1_000_000;

interface Ep {
  readonly name: string;
  readonly version?: number;
}

const A: Ep = { name: 'a' };
const B: Ep = { name: 'b' };
const C: Ep = { name: 'c' };

/** No jitter on breaker penalties, so they are exactly minPenaltyMs, 2×, 4×…. */
const ACCRUAL = { maxFailures: 2, minPenaltyMs: 1000, maxPenaltyMs: 10_000, jitterRatio: 0 };

function setup(options: BalancerOptions = {}, strategy: 'p2c' | 'rr' = 'p2c') {
  const clock = new FakeClock(T0);
  const events: BalancerEvent[] = [];
  const deps = {
    keyOf: (e: Ep) => e.name,
    clock,
    random: seededRandom(3),
    onEvent: (e: BalancerEvent) => events.push(e),
  };
  const b: Balancer<Ep> = strategy === 'p2c' ? new P2cBalancer(deps, options) : new RoundRobinBalancer(deps, options);
  return { clock, b, events };
}

interface Tracked<T> {
  settled: boolean;
  value: T | undefined;
  error: unknown;
}

function track<T>(p: Promise<T>): Tracked<T> {
  const t: Tracked<T> = { settled: false, value: undefined, error: undefined };
  p.then(
    (v) => {
      t.settled = true;
      t.value = v;
    },
    (e: unknown) => {
      t.settled = true;
      t.error = e;
    },
  );
  return t;
}

function ready<E>(p: AcquireResult<E> | ReturnType<Balancer<E>['pick']> | undefined): ReadyPick<E> {
  assert.equal(p?.kind, 'ready');
  return p;
}

/** Fails a request to `name` (picking until it is chosen; other picks succeed at once). */
function fail(b: Balancer<Ep>, name: string): void {
  for (let i = 0; i < 100; i++) {
    const p = ready(b.pick());
    if (p.endpoint.name === name) {
      p.done(PICK_FAILURE);
      return;
    }
    p.done(PICK_SUCCESS);
  }
  assert.fail(`${name} was never picked`);
}

function names(b: Balancer<Ep>, picks: number): Set<string> {
  const seen = new Set<string>();
  for (let i = 0; i < picks; i++) {
    const p = ready(b.pick());
    seen.add(p.endpoint.name);
    p.done(PICK_SUCCESS);
  }
  return seen;
}

describe('PoolBalancer updates', () => {
  test('keeps the load of endpoints that stay, and picks up new objects for them', async () => {
    const { b, clock } = setup();
    b.update([A, B]);
    // Make `a` slow: 300 ms for one request.
    const slow = ready(b.pick());
    const slowName = slow.endpoint.name;
    await clock.advance(300);
    slow.done(PICK_SUCCESS);
    b.update([{ name: slowName, version: 2 }, slowName === 'a' ? B : A]);
    const fast = ready(b.pick());
    assert.notEqual(fast.endpoint.name, slowName, 'the kept endpoint still carries its 300 ms estimate');
    fast.done(PICK_SUCCESS);
    b.update([{ name: slowName, version: 2 }]);
    assert.deepEqual(ready(b.pick()).endpoint, { name: slowName, version: 2 });
  });

  test('stops picking removed endpoints but lets their requests finish', () => {
    const { b, clock } = setup({ accrual: ACCRUAL });
    b.update([A, B]);
    const inFlight: ReadyPick<Ep>[] = [];
    for (let i = 0; i < 10; i++) inFlight.push(ready(b.pick()));
    assert.ok(inFlight.some((p) => p.endpoint.name === 'a'));
    b.update([B, C]);
    for (const p of inFlight) if (p.endpoint.name === 'b') p.done(PICK_SUCCESS);
    assert.deepEqual(names(b, 50), new Set(['b', 'c']));
    for (const p of inFlight) if (p.endpoint.name === 'a') p.done(PICK_FAILURE);
    assert.deepEqual(b.stats(), { ready: 2, pending: 0, queued: 0, state: 'idle' });
    assert.deepEqual(clock.pending(), [], 'the removed endpoint’s breaker set no timer');
  });

  test('keeps the breaker state of endpoints that stay', () => {
    const { b } = setup({ accrual: ACCRUAL });
    b.update([A, B]);
    fail(b, 'a');
    fail(b, 'a');
    b.update([A, B, C]);
    assert.deepEqual(b.stats(), { ready: 2, pending: 1, queued: 0, state: 'idle' });
    assert.deepEqual(names(b, 50), new Set(['b', 'c']));
  });

  test('treats repeated keys in one update as one endpoint (the last object wins)', () => {
    const { b } = setup();
    b.update([A, { name: 'a', version: 2 }]);
    assert.deepEqual(b.stats(), { ready: 1, pending: 0, queued: 0, state: 'idle' });
    assert.deepEqual(ready(b.pick()).endpoint, { name: 'a', version: 2 });
  });
});

describe('PoolBalancer queue and fail-fast', () => {
  test('queues while there are no endpoints and serves the waiters in order when one appears', async () => {
    const { b, clock } = setup();
    assert.equal(b.pick().kind, 'queue');
    const first = track(b.acquire());
    const second = track(b.acquire());
    await clock.advance(2000);
    assert.equal(first.settled, false);
    assert.deepEqual(b.stats(), { ready: 0, pending: 0, queued: 2, state: 'waiting' });
    b.update([A]);
    await settle();
    assert.equal(ready(first.value).endpoint.name, 'a');
    assert.equal(ready(second.value).endpoint.name, 'a');
    assert.deepEqual(b.stats(), { ready: 1, pending: 0, queued: 0, state: 'idle' });
    assert.deepEqual(clock.pending(), [], 'the fail-fast timer was cancelled');
  });

  test('fails fast after the timeout, then at once until an endpoint is available', async () => {
    const { b, clock, events } = setup();
    const first = track(b.acquire());
    await clock.advance(2000);
    const second = track(b.acquire());
    await clock.advance(999);
    assert.equal(first.settled, false);
    await clock.advance(1);
    assert.deepEqual(first.value, { kind: 'fail-fast' });
    assert.deepEqual(second.value, { kind: 'fail-fast' }, 'the timer runs from the first waiter');
    assert.equal(b.stats().state, 'fail-fast');
    const later = track(b.acquire());
    await settle();
    assert.deepEqual(later.value, { kind: 'fail-fast' }, 'answered without waiting');
    assert.equal(clock.now(), T0 + 3000);
    b.update([A]);
    assert.equal(b.stats().state, 'idle');
    assert.equal(ready(await b.acquire()).endpoint.name, 'a');
    assert.deepEqual(events, [
      { kind: 'fail-fast', active: true },
      { kind: 'fail-fast', active: false },
    ]);
  });

  test('enters fail-fast on time even if every waiter gave up (as Linkerd does)', async () => {
    const { b, clock } = setup();
    const ac = new AbortController();
    const waiter = track(b.acquire(ac.signal));
    await clock.advance(500);
    ac.abort(new Error('client went away'));
    await settle();
    assert.equal((waiter.error as Error).message, 'client went away');
    assert.equal(b.stats().queued, 0);
    await clock.advance(2500);
    assert.equal(b.stats().state, 'fail-fast');
  });

  test('sheds at once when the queue is full', async () => {
    const { b } = setup({ queueCapacity: 2 });
    const waiting = [track(b.acquire()), track(b.acquire())];
    const shed = track(b.acquire());
    await settle();
    assert.deepEqual(shed.value, { kind: 'shed' });
    assert.equal(waiting[0]?.settled, false);
    assert.equal(b.stats().queued, 2);
  });

  test('with capacity 0 sheds whenever nothing is available', async () => {
    const { b } = setup({ queueCapacity: 0 });
    assert.deepEqual(await b.acquire(), { kind: 'shed' });
    b.update([A]);
    assert.equal(ready(await b.acquire()).endpoint.name, 'a');
  });

  test('rejects with the signal’s reason when aborted, and leaves the queue', async () => {
    const { b } = setup();
    const early = new AbortController();
    early.abort(new Error('already'));
    await assert.rejects(b.acquire(early.signal), /already/);
    const ac = new AbortController();
    const before = track(b.acquire());
    const aborted = track(b.acquire(ac.signal));
    const after = track(b.acquire());
    ac.abort(new Error('gone'));
    await settle();
    assert.match((aborted.error as Error).message, /gone/);
    assert.equal(b.stats().queued, 2);
    b.update([A]);
    await settle();
    assert.equal(ready(before.value).endpoint.name, 'a');
    assert.equal(ready(after.value).endpoint.name, 'a');
    assert.equal(b.stats().queued, 0);
  });

  test('close() answers every waiter, cancels every timer and refuses later calls', async () => {
    const { b, clock } = setup({ accrual: ACCRUAL });
    b.update([A]);
    fail(b, 'a');
    fail(b, 'a');
    const waiter = track(b.acquire());
    assert.equal(clock.pending().length, 2, 'the breaker penalty and the fail-fast timer');
    b.close();
    b.close();
    await settle();
    assert.deepEqual(waiter.value, { kind: 'closed' });
    assert.deepEqual(clock.pending(), []);
    assert.deepEqual(await b.acquire(), { kind: 'closed' });
    b.update([B]);
    assert.equal(b.pick().kind, 'queue');
    assert.deepEqual(b.stats(), { ready: 0, pending: 0, queued: 0, state: 'closed' });
  });

  test('refuses bad options', () => {
    assert.throws(() => setup({ queueCapacity: -1 }), RangeError);
    assert.throws(() => setup({ queueCapacity: 1.5 }), RangeError);
    assert.throws(() => setup({ failFastTimeoutMs: Number.NaN }), RangeError);
    assert.throws(() => setup({ accrual: { maxFailures: 0 } }), RangeError);
    assert.throws(() => setup({ ewma: { decayMs: 0 } }), RangeError);
  });
});

describe('PoolBalancer with failure accrual', () => {
  test('does not pick an endpoint whose breaker is shut', () => {
    const { b, events } = setup({ accrual: ACCRUAL });
    b.update([A, B, C]);
    fail(b, 'b');
    fail(b, 'b');
    assert.deepEqual(b.stats(), { ready: 2, pending: 1, queued: 0, state: 'idle' });
    assert.deepEqual(names(b, 60), new Set(['a', 'c']));
    assert.deepEqual(events.at(-1), {
      kind: 'endpoint',
      key: 'b',
      state: { kind: 'shut', until: T0 + 1000, penaltyMs: 1000, ejections: 0 },
    });
  });

  test('a cancelled probe lets the next waiter probe the endpoint', async () => {
    const { b, clock } = setup({ accrual: ACCRUAL });
    b.update([A]);
    fail(b, 'a');
    fail(b, 'a');
    const first = track(b.acquire());
    const second = track(b.acquire());
    await clock.advance(1000);
    assert.equal(second.settled, false);
    ready(first.value).done(PICK_CANCELLED);
    await settle();
    ready(second.value).done(PICK_SUCCESS);
    assert.deepEqual(b.stats(), { ready: 1, pending: 0, queued: 0, state: 'idle' });
  });

  test('does not count done() twice', () => {
    const { b } = setup({ accrual: ACCRUAL });
    b.update([A]);
    const p = ready(b.pick());
    p.done(PICK_FAILURE);
    p.done(PICK_FAILURE);
    assert.equal(b.stats().ready, 1, 'one failure of two allowed');
  });

  test('when every breaker is shut, queues; the probation endpoint serves one waiter, its success the rest', async () => {
    const { b, clock } = setup({ accrual: ACCRUAL });
    b.update([A]);
    fail(b, 'a');
    fail(b, 'a');
    assert.equal(b.pick().kind, 'queue');
    const first = track(b.acquire());
    const second = track(b.acquire());
    await clock.advance(999);
    assert.equal(first.settled, false);
    await clock.advance(1);
    const probe = ready(first.value);
    assert.equal(second.settled, false, 'probation admits exactly one request');
    assert.deepEqual(b.stats(), { ready: 0, pending: 1, queued: 1, state: 'waiting' });
    assert.equal(b.pick().kind, 'queue');
    probe.done(PICK_SUCCESS);
    await settle();
    assert.equal(ready(second.value).endpoint.name, 'a');
    assert.deepEqual(b.stats(), { ready: 1, pending: 0, queued: 0, state: 'idle' });
  });

  test('a failed probe shuts the endpoint for twice as long; waiters fail fast meanwhile', async () => {
    const { b, clock, events } = setup({ accrual: ACCRUAL });
    b.update([A]);
    fail(b, 'a');
    fail(b, 'a');
    await clock.advance(1000);
    ready(b.pick()).done(PICK_FAILURE);
    assert.deepEqual(events.at(-1), {
      kind: 'endpoint',
      key: 'a',
      state: { kind: 'shut', until: T0 + 3000, penaltyMs: 2000, ejections: 1 },
    });
    const waiter = track(b.acquire());
    await clock.advance(2000);
    assert.equal(ready(waiter.value).endpoint.name, 'a', 'probation again after 2 s, before fail-fast (3 s)');
  });

  test('all endpoints shut longer than the fail-fast timeout: fail-fast, then served on probation', async () => {
    const { b, clock, events } = setup({ accrual: { ...ACCRUAL, minPenaltyMs: 10_000 } });
    b.update([A, B]);
    fail(b, 'a');
    fail(b, 'a');
    fail(b, 'b');
    fail(b, 'b');
    const waiter = track(b.acquire());
    await clock.advance(3000);
    assert.deepEqual(waiter.value, { kind: 'fail-fast' });
    assert.deepEqual(await b.acquire(), { kind: 'fail-fast' });
    await clock.advance(7000);
    assert.equal(b.stats().state, 'idle', 'an endpoint in probation ends fail-fast');
    assert.match(ready(await b.acquire()).endpoint.name, /^[ab]$/);
    assert.deepEqual(
      events.filter((e) => e.kind === 'fail-fast'),
      [
        { kind: 'fail-fast', active: true },
        { kind: 'fail-fast', active: false },
      ],
    );
  });
});

describe('RoundRobinBalancer', () => {
  test('takes the available endpoints in turn, skipping shut ones', () => {
    const { b } = setup({ accrual: ACCRUAL }, 'rr');
    b.update([A, B, C]);
    const order = (n: number): string[] =>
      Array.from({ length: n }, () => {
        const p = ready(b.pick());
        p.done(PICK_SUCCESS);
        return p.endpoint.name;
      });
    assert.deepEqual(order(6), ['a', 'b', 'c', 'a', 'b', 'c']);
    ready(b.pick()).done(PICK_FAILURE); // a
    ready(b.pick()).done(PICK_SUCCESS); // b
    ready(b.pick()).done(PICK_SUCCESS); // c
    ready(b.pick()).done(PICK_FAILURE); // a: shut
    assert.deepEqual(order(4), ['c', 'b', 'c', 'b']);
  });
});
