import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { parseProxyConfig, ENV_IDENTITY_DISABLED, ENV_OPTIMIZE_FOR_SIZE, ENV_V8_MEMORY_MODE } from './config.ts';
import { applyV8MemorySettings, v8MemoryFlags, V8_MEMORY_MODES } from './v8-memory.ts';

const BASE = { [ENV_IDENTITY_DISABLED]: 'true' };
const BOUNDED_GROWTH = ['--heap-growing-percent=50', '--no-allocation-site-pretenuring'];
const OPTIMIZE_FOR_SIZE = ['--optimize-for-size', '--no-allocation-site-pretenuring'];

describe('V8 memory settings', () => {
  test('bounded-growth is the default: --heap-growing-percent=50 without allocation-site pretenuring', () => {
    const config = parseProxyConfig(BASE);
    assert.equal(config.v8MemoryMode, 'bounded-growth');
    const set: string[] = [];
    assert.deepEqual(
      applyV8MemorySettings(config, (f) => set.push(f)),
      ['--heap-growing-percent=50', '--no-allocation-site-pretenuring'],
    );
    assert.deepEqual(set, ['--heap-growing-percent=50', '--no-allocation-site-pretenuring']);
  });

  const modes: readonly { env: Record<string, string>; mode: string; flags: readonly string[] }[] = [
    { env: { [ENV_V8_MEMORY_MODE]: 'optimize-for-size' }, mode: 'optimize-for-size', flags: OPTIMIZE_FOR_SIZE },
    { env: { [ENV_V8_MEMORY_MODE]: 'node-defaults' }, mode: 'node-defaults', flags: [] },
    { env: { [ENV_V8_MEMORY_MODE]: ' bounded-growth ' }, mode: 'bounded-growth', flags: BOUNDED_GROWTH },
    { env: { [ENV_OPTIMIZE_FOR_SIZE]: 'true' }, mode: 'optimize-for-size', flags: OPTIMIZE_FOR_SIZE },
    { env: { [ENV_OPTIMIZE_FOR_SIZE]: 'false' }, mode: 'node-defaults', flags: [] },
  ];
  for (const c of modes) {
    test(`${JSON.stringify(c.env)} selects ${c.mode}`, () => {
      const config = parseProxyConfig({ ...BASE, ...c.env });
      assert.equal(config.v8MemoryMode, c.mode);
      assert.deepEqual(v8MemoryFlags(config), c.flags);
    });
  }

  const refused: readonly { env: Record<string, string>; names: string }[] = [
    { env: { [ENV_V8_MEMORY_MODE]: 'small' }, names: ENV_V8_MEMORY_MODE },
    { env: { [ENV_OPTIMIZE_FOR_SIZE]: 'maybe' }, names: ENV_OPTIMIZE_FOR_SIZE },
    { env: { [ENV_V8_MEMORY_MODE]: 'node-defaults', [ENV_OPTIMIZE_FOR_SIZE]: 'false' }, names: ENV_OPTIMIZE_FOR_SIZE },
  ];
  for (const c of refused) {
    test(`${JSON.stringify(c.env)} is refused at start, naming ${c.names}`, () => {
      assert.throws(
        () => parseProxyConfig({ ...BASE, ...c.env }),
        (err: Error) => err.message.includes(c.names) && err.message.includes(ENV_V8_MEMORY_MODE),
      );
    });
  }

  test('an unknown mode is refused with the modes allowed', () => {
    assert.throws(
      () => parseProxyConfig({ ...BASE, [ENV_V8_MEMORY_MODE]: 'small' }),
      (err: Error) => V8_MEMORY_MODES.every((m) => err.message.includes(m)),
    );
  });

  test('every flag of every mode is one this V8 knows (Node refuses unknown flags on its command line)', () => {
    for (const mode of V8_MEMORY_MODES) {
      for (const flag of v8MemoryFlags({ v8MemoryMode: mode })) {
        const run = spawnSync(process.execPath, [flag, '-e', '0'], { encoding: 'utf8', timeout: 30_000 });
        assert.equal(run.status, 0, `${mode} ${flag}: ${run.stderr}`);
      }
    }
  });
});
