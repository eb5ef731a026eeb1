// The sidecar's V8 memory settings that can be made from inside the process: V8's memory-saving
// mode (--optimize-for-size: smaller heap growth steps, shrinking the young generation, earlier
// compaction), read by V8's heap heuristics at every GC, so setting it at start applies to the
// whole run. Flags V8 reads only when the heap is created (--max-semi-space-size) cannot be set
// here: they come through NODE_OPTIONS (the chart's proxy.nodeOptions). Node does not accept
// --optimize-for-size in NODE_OPTIONS, hence this.
//
// Contract: call once, at start, before the listeners open.

import { setFlagsFromString } from 'node:v8';

export interface V8MemorySettings {
  readonly optimizeForSize: boolean;
}

/** The V8 flags `settings` stand for, in the order they are set. */
export function v8MemoryFlags(settings: V8MemorySettings): readonly string[] {
  return settings.optimizeForSize ? ['--optimize-for-size'] : [];
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
