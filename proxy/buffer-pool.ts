// The size of Node's Buffer pool in the sidecar (ADR 0025). Node 24 slices every Buffer smaller
// than half the pool (Buffer.allocUnsafe, Buffer.from of bytes or a string, Buffer.concat) out of
// one shared 64 KiB slab, replaced when full. A proxy at a few thousand requests/s fills a slab in
// tens of milliseconds: longer than two scavenges of its 2 MB young generation, so nearly every
// slab is promoted to the old generation, where it stays, with its 64 KiB of external memory,
// until a full GC. That memory then starts the full GCs (~900 KB/s on the client side of a pair
// at 5,000 requests/s: a 4-5 ms mark-compact every 6-10 s). An 8 KiB slab is full long before
// the next scavenge and dies young with the Buffers cut from it.
//
// The size follows NODEMESH_PROXY_V8_MEMORY_MODE (v8-memory.ts): node-defaults keeps Node's own.
// Contract: call once, at start, before the listeners open.

import { Buffer } from 'node:buffer';
import type { V8MemoryMode } from './v8-memory.ts';

/** The sidecar's Buffer pool: 8 KiB (Node 24's default is 64 KiB). */
export const PROXY_BUFFER_POOL_BYTES = 8 * 1024;

/** What holds the pool size: Node's Buffer, or a stand-in in tests. */
export interface BufferPoolHolder {
  poolSize: number;
}

/** Sets the pool size `mode` stands for; returns the size in effect (for the start log). */
export function applyBufferPoolSize(mode: V8MemoryMode, holder: BufferPoolHolder = Buffer): number {
  if (mode !== 'node-defaults') holder.poolSize = PROXY_BUFFER_POOL_BYTES;
  return holder.poolSize;
}
