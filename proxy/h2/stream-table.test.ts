import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StreamTable } from './stream-table.ts';

interface Item {
  readonly id: number;
  readonly tag: string;
}

const item = (id: number, tag = `s${id}`): Item => ({ id, tag });

/** A small deterministic generator (xorshift32), so a failure reproduces. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

/** Checks the table against a Map model: size, every model entry, absent ids, values(). */
function agree(table: StreamTable<Item>, model: Map<number, Item>, absent: readonly number[]): void {
  assert.equal(table.size, model.size);
  for (const [id, it] of model) assert.equal(table.get(id), it, `get(${id})`);
  for (const id of absent) if (!model.has(id)) assert.equal(table.get(id), undefined, `get(${id}) of an absent id`);
  assert.deepEqual(
    table.values(),
    [...model.values()].sort((a, b) => a.id - b.id),
    'values() lists every entry, by id',
  );
}

describe('StreamTable', () => {
  test('set, get, replace and delete', () => {
    const t = new StreamTable<Item>();
    assert.equal(t.size, 0);
    assert.equal(t.get(1), undefined);
    t.set(item(1));
    t.set(item(3));
    assert.equal(t.size, 2);
    assert.equal(t.get(3)?.tag, 's3');
    t.set(item(3, 'again'));
    assert.equal(t.size, 2, 'replacing an id does not add an entry');
    assert.equal(t.get(3)?.tag, 'again');
    assert.equal(t.delete(3), true);
    assert.equal(t.delete(3), false);
    assert.equal(t.delete(99), false);
    assert.equal(t.get(3), undefined);
    assert.equal(t.size, 1);
  });

  test('ids that share a home slot stay reachable after deletes in the middle of their run', () => {
    // With 16 slots, ids 1, 33, 65, 97 all hash to slot 0 (id >>> 1 & 15); 31 sits at slot 15, so
    // the run wraps around the end of the array.
    const t = new StreamTable<Item>();
    const model = new Map<number, Item>();
    for (const id of [31, 1, 33, 65, 3, 97]) {
      const it = item(id);
      t.set(it);
      model.set(id, it);
    }
    const all = [31, 1, 33, 65, 3, 97];
    for (const id of [33, 1, 31, 97]) {
      assert.equal(t.delete(id), true);
      model.delete(id);
      agree(t, model, all);
    }
  });

  test('grows past its first size, and keeps working once emptied (where it shrinks)', () => {
    const t = new StreamTable<Item>();
    const model = new Map<number, Item>();
    const ids: number[] = [];
    for (let id = 1; id < 2000; id += 2) {
      const it = item(id);
      t.set(it);
      model.set(id, it);
      ids.push(id);
    }
    agree(t, model, ids);
    for (const id of ids.slice(0, 990)) {
      t.delete(id);
      model.delete(id);
    }
    agree(t, model, ids);
    for (const id of ids.slice(990)) {
      t.delete(id);
      model.delete(id);
    }
    agree(t, model, ids);
    t.set(item(7));
    assert.equal(t.get(7)?.tag, 's7');
    t.clear();
    assert.equal(t.size, 0);
    assert.deepEqual(t.values(), []);
    t.set(item(5));
    assert.equal(t.get(5)?.tag, 's5');
  });

  test('agrees with a Map over random adds and deletes (a sliding window of streams, and scattered ids)', () => {
    for (const seed of [1, 7, 42, 2024]) {
      const next = rng(seed);
      const t = new StreamTable<Item>();
      const model = new Map<number, Item>();
      const seen: number[] = [];
      let nextId = 1;
      for (let step = 0; step < 5000; step++) {
        const r = next();
        if (r < 0.45) {
          // A new stream: usually the next id, sometimes an id far away (another parity or a jump).
          const id = next() < 0.8 ? (nextId += 2) : 1 + Math.floor(next() * 0x7ffffffe);
          const it = item(id, `${step}`);
          t.set(it);
          model.set(id, it);
          seen.push(id);
        } else if (r < 0.9 && model.size > 0) {
          // Close a stream: mostly an old one, sometimes any.
          const keys = [...model.keys()];
          const id = keys[next() < 0.7 ? 0 : Math.floor(next() * keys.length)]!;
          assert.equal(t.delete(id), true);
          model.delete(id);
        } else {
          const id = 1 + Math.floor(next() * 0x7ffffffe);
          assert.equal(t.delete(id), model.delete(id));
        }
        if (step % 97 === 0) agree(t, model, seen.slice(-200));
      }
      agree(t, model, seen);
    }
  });

  test('values() is a snapshot: deleting while iterating it visits every entry once', () => {
    const t = new StreamTable<Item>();
    for (let id = 1; id <= 41; id += 2) t.set(item(id));
    const visited: number[] = [];
    for (const it of t.values()) {
      visited.push(it.id);
      t.delete(it.id);
    }
    assert.equal(visited.length, 21);
    assert.equal(new Set(visited).size, 21);
    assert.equal(t.size, 0);
  });
});
