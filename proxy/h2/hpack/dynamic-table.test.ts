import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DynamicTable } from './dynamic-table.ts';

function entries(t: DynamicTable): string[] {
  const out: string[] = [];
  for (let i = 0; i < t.length; i++) out.push(`${t.name(i)}=${t.value(i)}`);
  return out;
}

test('keeps the newest entry at position 0 and evicts the oldest by size', () => {
  const t = new DynamicTable(100);
  const evicted: string[] = [];
  t.onEvict = (name, value, seq) => evicted.push(`${seq}:${name}=${value}`);
  assert.equal(t.add('a', '1'), 0); // 34 octets
  assert.equal(t.add('b', '2'), 1); // 68
  assert.equal(t.size, 68);
  assert.equal(t.add('c', '3'), 2); // 102 > 100: evicts a
  assert.deepEqual(entries(t), ['c=3', 'b=2']);
  assert.deepEqual(evicted, ['0:a=1']);
  assert.equal(t.size, 68);
  assert.equal(t.positionOf(2), 0);
  assert.equal(t.positionOf(1), 1);
});

test('an entry larger than the capacity empties the table and is not added', () => {
  const t = new DynamicTable(40);
  t.add('a', '1');
  assert.equal(t.add('name', 'a value that does not fit'), -1);
  assert.equal(t.length, 0);
  assert.equal(t.size, 0);
  assert.equal(t.add('b', '2'), 2);
  assert.equal(t.positionOf(2), 0);
});

test('setCapacity evicts down to the new capacity, and zero empties the table', () => {
  const t = new DynamicTable(4096);
  for (let i = 0; i < 10; i++) t.add(`k${i}`, `v${i}`); // 36 each
  t.setCapacity(100);
  assert.deepEqual(entries(t), ['k9=v9', 'k8=v8']);
  t.setCapacity(0);
  assert.equal(t.length, 0);
  assert.equal(t.capacity, 0);
});

test('grows its ring past the initial slots and keeps the order across wrap-around', () => {
  const t = new DynamicTable(40 * 36);
  for (let i = 0; i < 100; i++) t.add(`k${i % 10}`, `v${i % 10}`);
  assert.equal(t.length, 40);
  assert.equal(t.name(0), 'k9');
  assert.equal(t.name(39), 'k0');
  assert.equal(t.value(39), 'v0');
  assert.equal(t.size, 40 * 36);
});
