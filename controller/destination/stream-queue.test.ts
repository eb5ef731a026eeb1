// StreamQueue: writes through while the sink takes messages, waits for drain, keeps order, and
// closes once (dropping what waits) when more than `capacity` messages are waiting.

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { StreamQueue, type StreamSink } from './stream-queue.ts';

class FakeSink extends EventEmitter implements StreamSink<number> {
  readonly written: number[] = [];
  accepting = true;

  write(message: number): boolean {
    this.written.push(message);
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
});
