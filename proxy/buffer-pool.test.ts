import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, test } from 'node:test';
import { applyBufferPoolSize, PROXY_BUFFER_POOL_BYTES } from './buffer-pool.ts';
import { parseProxyConfig, ENV_IDENTITY_DISABLED, ENV_V8_MEMORY_MODE } from './config.ts';

describe('the sidecar Buffer pool', () => {
  test('the default memory mode sets an 8 KiB pool; so does optimize-for-size', () => {
    for (const env of [{}, { [ENV_V8_MEMORY_MODE]: 'optimize-for-size' }]) {
      const config = parseProxyConfig({ [ENV_IDENTITY_DISABLED]: 'true', ...env });
      const holder = { poolSize: 64 * 1024 };
      assert.equal(applyBufferPoolSize(config.v8MemoryMode, holder), 8192);
      assert.equal(holder.poolSize, 8192);
    }
  });

  test('node-defaults keeps the pool Node chose', () => {
    const holder = { poolSize: 65536 };
    assert.equal(applyBufferPoolSize('node-defaults', holder), 65536);
    assert.equal(holder.poolSize, 65536);
  });

  test("on Node's Buffer, small Buffers are cut from 8 KiB slabs and larger ones get their own", () => {
    const before = Buffer.poolSize;
    try {
      applyBufferPoolSize('bounded-growth');
      assert.equal(Buffer.poolSize, PROXY_BUFFER_POOL_BYTES);
      // The slab in use may be an older, larger one: fill past it so a new one is cut.
      const seen = new Set<ArrayBufferLike>();
      for (let i = 0; i < 2 * (before / 100 + 1); i++) seen.add(Buffer.allocUnsafe(100).buffer);
      const slab = Buffer.allocUnsafe(100).buffer;
      assert.equal(slab.byteLength, PROXY_BUFFER_POOL_BYTES);
      assert.equal(Buffer.from('a short string').buffer.byteLength, PROXY_BUFFER_POOL_BYTES);
      // Half the pool or more is not pooled: a Buffer of its own, exactly its size.
      assert.equal(Buffer.allocUnsafe(PROXY_BUFFER_POOL_BYTES / 2).buffer.byteLength, PROXY_BUFFER_POOL_BYTES / 2);
      assert.ok(seen.size > 1, 'slabs were replaced as they filled');
    } finally {
      Buffer.poolSize = before;
    }
  });
});
