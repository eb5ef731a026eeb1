// The sidecar's V8 memory settings that can be made from inside the process, chosen by one mode
// (NODEMESH_PROXY_V8_MEMORY_MODE, parsed in config.ts). V8 reads these flags at every garbage
// collection, so setting them at start applies to the whole run. Flags V8 reads only when the heap
// is created (--max-semi-space-size) cannot be set here: they come through NODE_OPTIONS (the
// chart's proxy.nodeOptions). Node refuses most V8 flags in NODE_OPTIONS, hence this.
//
// Modes (docs/performance.md, "V8's heap settings"):
// - bounded-growth (default): --heap-growing-percent=50 — after each full GC the old generation
//   may grow by half of what survived before the next one starts (V8 otherwise lets a small heap
//   grow up to fourfold). Bounds the heap like the memory-saving mode without its CPU cost.
// - optimize-for-size: V8's memory-saving mode. Every full GC then runs as a memory-reducing GC,
//   which also drops the maps V8 otherwise keeps for optimized code: on the HTTP/2 path that
//   deoptimizes hot code at every full GC and doubles the CPU per request.
// - node-defaults: no flag.
// Both modes other than node-defaults also turn off allocation-site pretenuring
// (--no-allocation-site-pretenuring, ADR 0022): V8 otherwise starts allocating a site's objects
// straight in the old generation once most of them survive a scavenge, which a proxy's
// per-request objects do whenever requests last about as long as the interval between scavenges
// (a few ms with a 2 MB young generation). Those objects then die in the old generation, and the
// young objects they still point to survive and are promoted in turn: in 10 of 13 starts of the
// gRPC one hop, a mark-compact every ~300 ms and a third more CPU per request.
//
// The same mode sets the size of Node's Buffer pool (buffer-pool.ts, ADR 0025).
//
// Contract: call once, at start, before the listeners open.

import { setFlagsFromString } from 'node:v8';

export const V8_MEMORY_MODES = ['bounded-growth', 'optimize-for-size', 'node-defaults'] as const;
export type V8MemoryMode = (typeof V8_MEMORY_MODES)[number];
export const DEFAULT_V8_MEMORY_MODE: V8MemoryMode = 'bounded-growth';

const NO_PRETENURING = '--no-allocation-site-pretenuring';

export interface V8MemorySettings {
  readonly v8MemoryMode: V8MemoryMode;
}

/** The V8 flags `settings` stand for, in the order they are set. */
export function v8MemoryFlags(settings: V8MemorySettings): readonly string[] {
  const mode = settings.v8MemoryMode;
  switch (mode) {
    case 'bounded-growth':
      return ['--heap-growing-percent=50', NO_PRETENURING];
    case 'optimize-for-size':
      return ['--optimize-for-size', NO_PRETENURING];
    case 'node-defaults':
      return [];
    default: {
      const unknown: never = mode;
      throw new Error(`unknown V8 memory mode ${String(unknown)}`);
    }
  }
}

/** Sets the flags of `settings` in this process; returns them (for the start log). */
export function applyV8MemorySettings(
  settings: V8MemorySettings,
  set: (flag: string) => void = setFlagsFromString,
): readonly string[] {
  const flags = v8MemoryFlags(settings);
  for (const flag of flags) set(flag);
  return flags;
}
