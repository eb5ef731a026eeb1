import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { ENV_MEMORY_SAVING, parseDestinationConfig } from './config.ts';
import { applyMemorySaving } from './memory-saving.ts';

describe('destination memory-saving mode', () => {
  test('off by default; until-synced sets it at start and clears it once the caches have synced', async () => {
    assert.equal(parseDestinationConfig({}).memorySaving, 'off');
    assert.equal(parseDestinationConfig({ [ENV_MEMORY_SAVING]: 'until-synced' }).memorySaving, 'until-synced');
    const set: string[] = [];
    let synced = false;
    let told = 0;
    const saving = applyMemorySaving('until-synced', () => synced, {
      set: (f) => set.push(f),
      pollMs: 5,
      onSynced: () => told++,
    });
    assert.deepEqual(saving.flags, ['--optimize-for-size']);
    await sleep(30);
    assert.deepEqual(set, ['--optimize-for-size'], 'still on while the caches sync');
    synced = true;
    for (let i = 0; i < 100 && set.length < 2; i++) await sleep(5);
    assert.deepEqual(set, ['--optimize-for-size', '--no-optimize-for-size']);
    assert.equal(told, 1);
    saving.stop();
  });

  test('always keeps it on; off never sets it', () => {
    const set: string[] = [];
    applyMemorySaving('always', () => true, { set: (f) => set.push(f) }).stop();
    assert.deepEqual(set, ['--optimize-for-size']);
    const none: string[] = [];
    assert.deepEqual(applyMemorySaving('off', () => true, { set: (f) => none.push(f) }).flags, []);
    assert.deepEqual(none, []);
  });

  test('stop() before the sync leaves it on and ends the wait', async () => {
    const set: string[] = [];
    const saving = applyMemorySaving('until-synced', () => false, { set: (f) => set.push(f), pollMs: 5 });
    saving.stop();
    await sleep(20);
    assert.deepEqual(set, ['--optimize-for-size']);
  });

  test('a bad value is refused, naming the variable and the allowed values', () => {
    assert.throws(
      () => parseDestinationConfig({ [ENV_MEMORY_SAVING]: 'sometimes' }),
      (err: Error) => err.message.includes(ENV_MEMORY_SAVING) && err.message.includes('until-synced'),
    );
  });
});
