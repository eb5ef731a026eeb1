// V8's memory-saving mode (--optimize-for-size: smaller heap growth steps, a shrinking young
// generation, earlier compaction) for the destination service, a choice for operators short of
// memory (NODEMESH_DESTINATION_MEMORY_SAVING). `always` measured ≈ 221 MB peak instead of
// 239–301 MB in the fan-out benchmark, for ≈ 1.5× the CPU per change and a p99 near or above
// 100 ms; `until-synced` keeps it on only while the caches first sync, which showed no clear
// memory effect in three runs; `off` (the default) never sets it. docs/performance.md has the runs.
//
// Contract: V8 reads the flag at every GC, so setting it at start and clearing it later takes
// effect for the rest of the run. `stop()` ends the wait for the sync (call it on shutdown).

import { setFlagsFromString } from 'node:v8';

export const MEMORY_SAVING_MODES = ['until-synced', 'always', 'off'] as const;
export type MemorySavingMode = (typeof MEMORY_SAVING_MODES)[number];

const ON = '--optimize-for-size';
const OFF = '--no-optimize-for-size';

export interface MemorySaving {
  /** The flag set at start ([] for `off`), for the start log. */
  readonly flags: readonly string[];
  stop(): void;
}

export function applyMemorySaving(
  mode: MemorySavingMode,
  synced: () => boolean,
  opts: { readonly set?: (flag: string) => void; readonly pollMs?: number; readonly onSynced?: () => void } = {},
): MemorySaving {
  const set = opts.set ?? setFlagsFromString;
  if (mode === 'off') return { flags: [], stop: () => undefined };
  set(ON);
  if (mode === 'always') return { flags: [ON], stop: () => undefined };
  const timer = setInterval(() => {
    if (!synced()) return;
    clearInterval(timer);
    set(OFF);
    opts.onSynced?.();
  }, opts.pollMs ?? 200);
  timer.unref();
  return { flags: [ON], stop: () => clearInterval(timer) };
}
