// StreamQueue: writes through while the sink takes messages, waits for drain, keeps order, and
// closes once (dropping what waits) when more than `capacity` messages are waiting.

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { StreamQueue, type StreamSink } from './stream-queue.ts';
import { WriteBudget } from './write-budget.ts';

class FakeSink extends EventEmitter implements StreamSink<number> {
  readonly written: number[] = [];
  /** The `done` callbacks of the writes, in order. */
  readonly pending: (() => void)[] = [];
  accepting = true;

  write(message: number, done: () => void): boolean {
    this.written.push(message);
    this.pending.push(done);
    return this.accepting;
  }
}

describe('StreamQueue', () => {
  test('writes straight through while the sink accepts', () => {
    const sink = new FakeSink();
    const q = new StreamQueue(sink, { capacity: 2, onOverflow: () => assert.fail('no overflow') });
    for (let i = 0; i < 10; i++) q.push(i);
    assert.deepEqual(sink.written, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('holds messages until drain, in order', () => {
    const sink = new FakeSink();
    sink.accepting = false;
    const q = new StreamQueue(sink, { capacity: 5, onOverflow: () => assert.fail('no overflow') });
    q.push(1);
    q.push(2);
    q.push(3);
    assert.deepEqual(sink.written, [1]);
    assert.equal(q.size, 2);
    sink.accepting = true;
    sink.emit('drain');
    assert.deepEqual(sink.written, [1, 2, 3]);
    assert.equal(q.size, 0);
  });

  test('overflows once when more than capacity wait, and then writes nothing', () => {
    const sink = new FakeSink();
    sink.accepting = false;
    let overflows = 0;
    const q = new StreamQueue(sink, { capacity: 3, onOverflow: () => (overflows += 1) });
    for (let i = 0; i < 10; i++) q.push(i);
    assert.equal(overflows, 1);
    assert.ok(q.closed);
    sink.accepting = true;
    sink.emit('drain');
    assert.deepEqual(sink.written, [0]);
  });

  /** Two streams of one connection sharing a 100-byte write budget; a message's size is its value. */
  function twoQueuesOnOneBudget(): {
    budget: WriteBudget;
    a: FakeSink;
    b: FakeSink;
    qa: StreamQueue<number>;
    qb: StreamQueue<number>;
  } {
    const budget = new WriteBudget(100);
    const sizeOf = (message: number): number => message;
    const a = new FakeSink();
    const b = new FakeSink();
    const options = { capacity: 5, onOverflow: () => assert.fail('no overflow'), budget: { budget, sizeOf } };
    return { budget, a, b, qa: new StreamQueue(a, options), qb: new StreamQueue(b, options) };
  }

  test('with a budget, waits until earlier writes of the connection are done, in order', () => {
    const { budget, a, b, qa, qb } = twoQueuesOnOneBudget();
    qa.push(70);
    qb.push(40);
    qb.push(10);
    assert.deepEqual(a.written, [70]);
    assert.deepEqual(b.written, [], 'does not fit while 70 bytes are in flight');
    assert.equal(qb.size, 1);
    a.pending[0]?.();
    assert.deepEqual(b.written, [40, 10]);
    assert.equal(budget.inFlight, 50);
    a.pending[0]?.();
    assert.equal(budget.inFlight, 50, 'a done callback counts once');
  });

  test('close() gives back the bytes still in flight and withdraws a waiting message', () => {
    const { budget, a, b, qa, qb } = twoQueuesOnOneBudget();
    qa.push(90);
    qb.push(50);
    qb.close();
    qa.close();
    assert.equal(budget.inFlight, 0);
    a.pending[0]?.();
    assert.equal(budget.inFlight, 0, 'a late done after close gives nothing back twice');
    assert.deepEqual(b.written, []);
    assert.ok(budget.take(100));
  });
});
