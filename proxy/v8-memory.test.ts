import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { parseProxyConfig, ENV_IDENTITY_DISABLED, ENV_OPTIMIZE_FOR_SIZE } from './config.ts';
import { applyV8MemorySettings, v8MemoryFlags } from './v8-memory.ts';

describe('V8 memory settings', () => {
  test('optimize-for-size is on by default and sets --optimize-for-size', () => {
    const config = parseProxyConfig({ [ENV_IDENTITY_DISABLED]: 'true' });
    const set: string[] = [];
    assert.deepEqual(
      applyV8MemorySettings(config, (f) => set.push(f)),
      ['--optimize-for-size'],
    );
    assert.deepEqual(set, ['--optimize-for-size']);
  });

  test('NODEMESH_PROXY_OPTIMIZE_FOR_SIZE=false sets nothing', () => {
    const config = parseProxyConfig({ [ENV_IDENTITY_DISABLED]: 'true', [ENV_OPTIMIZE_FOR_SIZE]: 'false' });
    assert.equal(config.optimizeForSize, false);
    assert.deepEqual(v8MemoryFlags(config), []);
  });

  test('a value that is not a boolean is refused, naming the variable', () => {
    assert.throws(
      () => parseProxyConfig({ [ENV_IDENTITY_DISABLED]: 'true', [ENV_OPTIMIZE_FOR_SIZE]: 'maybe' }),
      (err: Error) => err.message.includes(ENV_OPTIMIZE_FOR_SIZE),
    );
  });

  test('every flag it sets is one this V8 knows (Node refuses unknown flags on its command line)', () => {
    for (const flag of v8MemoryFlags({ optimizeForSize: true })) {
      const run = spawnSync(process.execPath, [flag, '-e', '0'], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(run.status, 0, `${flag}: ${run.stderr}`);
    }
  });
});
