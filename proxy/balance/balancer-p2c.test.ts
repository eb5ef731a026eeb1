import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom, FakeClock } from '../../src/testing/index.ts';
import { PICK_SUCCESS, type Balancer, type ReadyPick } from './balancer.ts';
import { P2cBalancer } from './balancer-p2c.ts';
import { RoundRobinBalancer } from './balancer-round-robin.ts';

const T0 = 1_000_000;

interface Ep {
  readonly name: string;
  readonly latencyMs: number;
}

const keyOf = (e: Ep): string => e.name;

function ready<E>(b: Balancer<E>): ReadyPick<E> {
  const p = b.pick();
  assert.equal(p.kind, 'ready');
  return p;
}

/**
 * Sends one request per millisecond for `requests` ms; each finishes after its endpoint's latency
 * (on the fake clock). Returns how many requests each endpoint got.
 */
async function simulate(
  clock: FakeClock,
  balancer: Balancer<Ep>,
  endpoints: readonly Ep[],
  requests: number,
): Promise<Map<string, number>> {
  balancer.update(endpoints);
  const counts = new Map(endpoints.map((e) => [e.name, 0]));
  for (let i = 0; i < requests; i++) {
    const lease = ready(balancer);
    counts.set(lease.endpoint.name, (counts.get(lease.endpoint.name) ?? 0) + 1);
    clock.setTimer(() => lease.done(PICK_SUCCESS), lease.endpoint.latencyMs);
    await clock.advance(1);
  }
  await clock.advance(1000);
  return counts;
}

describe('P2cBalancer', () => {
  test('sends an endpoint 50× slower than the others far fewer requests than round robin does', async () => {
    const endpoints: Ep[] = [
      { name: 'a', latencyMs: 2 },
      { name: 'b', latencyMs: 2 },
      { name: 'c', latencyMs: 2 },
      { name: 'slow', latencyMs: 100 },
    ];
    const rrClock = new FakeClock(T0);
    const rr = await simulate(rrClock, new RoundRobinBalancer({ keyOf, clock: rrClock }), endpoints, 2000);
    const p2cClock = new FakeClock(T0);
    const p2c = await simulate(
      p2cClock,
      new P2cBalancer({ keyOf, clock: p2cClock, random: seededRandom(7) }),
      endpoints,
      2000,
    );
    assert.equal(rr.get('slow'), 500, 'round robin gives every endpoint a quarter');
    const slow = p2c.get('slow') ?? 0;
    assert.ok(slow >= 1, 'P2C still tries the slow endpoint');
    // It gets only the few requests sent before its first response came back (2 with this seed).
    assert.ok(slow <= 20, `P2C sent the slow endpoint ${slow} of 2000 requests (at most 1% allowed); RR sent 500`);
    assert.equal(
      [...p2c.values()].reduce((x, y) => x + y),
      2000,
    );
  });

  test('with two endpoints always takes the cheaper one', async () => {
    const clock = new FakeClock(T0);
    const b = new P2cBalancer<Ep>({ keyOf, clock, random: seededRandom(1) });
    b.update([
      { name: 'a', latencyMs: 0 },
      { name: 'b', latencyMs: 0 },
    ]);
    // Make `a` slow: one 200 ms request raises its estimate to 200 ms.
    const first = ready(b);
    const other = ready(b);
    assert.notEqual(first.endpoint.name, other.endpoint.name, 'equal costs but one in flight: the idle one');
    other.done(PICK_SUCCESS);
    await clock.advance(200);
    first.done(PICK_SUCCESS);
    const slowName = first.endpoint.name;
    for (let i = 0; i < 50; i++) {
      const p = ready(b);
      assert.notEqual(p.endpoint.name, slowName);
      p.done(PICK_SUCCESS);
    }
  });

  test('spreads picks evenly over endpoints of equal cost', () => {
    const clock = new FakeClock(T0);
    const b = new P2cBalancer<Ep>({ keyOf, clock, random: seededRandom(42) });
    b.update(['a', 'b', 'c'].map((name) => ({ name, latencyMs: 0 })));
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const p = ready(b);
      counts.set(p.endpoint.name, (counts.get(p.endpoint.name) ?? 0) + 1);
      p.done(PICK_SUCCESS);
    }
    for (const [name, n] of counts) assert.ok(n > 900 && n < 1100, `${name} got ${n} of 3000`);
  });

  test('picks the only endpoint without drawing random numbers', () => {
    const clock = new FakeClock(T0);
    let draws = 0;
    const b = new P2cBalancer<Ep>({
      keyOf,
      clock,
      random: () => {
        draws++;
        return 0.5;
      },
    });
    b.update([{ name: 'a', latencyMs: 0 }]);
    assert.equal(ready(b).endpoint.name, 'a');
    assert.equal(draws, 0);
  });
});
