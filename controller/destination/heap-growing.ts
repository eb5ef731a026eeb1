// How far V8 lets the old generation grow past what survived its last full GC before it collects
// again (--heap-growing-percent; NODEMESH_DESTINATION_HEAP_GROWING_PERCENT). Left to itself, V8
// picks the factor from the allocation rate, up to 4×: under the fan-out benchmark's churn (≈ 5 MB/s
// promoted: watch events, endpoint sets that live until the next change) the controller's heap
// grew from ≈ 80 MB live to 105–145 MB before each full GC, which is most of the difference
// between its steady and its peak RSS. 30 % caps that at ≈ 100 MB for a full GC every few seconds
// (docs/performance.md, "Destination: endpoint fan-out"). 0 leaves V8 its own choice.
//
// Contract: call once at start, before the caches fill. V8 reads the flag whenever it sets the
// next limit (after each full GC), so it holds for the rest of the run. Node refuses this flag in
// NODE_OPTIONS, which is why the process sets it itself.

import { setFlagsFromString } from 'node:v8';

export const DEFAULT_HEAP_GROWING_PERCENT = 30;

/** Sets V8's heap growing factor to 1 + percent/100 (nothing for 0); returns the flags set, for the start log. */
export function applyHeapGrowing(percent: number, set: (flag: string) => void = setFlagsFromString): readonly string[] {
  if (percent <= 0) return [];
  const flag = `--heap-growing-percent=${Math.round(percent)}`;
  set(flag);
  return [flag];
}
