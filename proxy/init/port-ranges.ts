// Port lists with ranges kept as ranges (`4190,4191,8000-8010`), and the chunking of such lists
// into iptables `multiport` rules.
//
// Contract: pure functions. `parsePortRanges` keeps the caller's order and drops exact duplicates;
// ranges are not expanded, because iptables matches a range with two port references and a list
// of 65535 ports would need thousands of rules.

/** One port (`lo === hi`) or an inclusive range. */
export interface PortRange {
  readonly lo: number;
  readonly hi: number;
}

/** The most port references one `-m multiport --dports` match takes (a range counts as two). */
export const MULTIPORT_LIMIT = 15;

/**
 * Parses `80,443,8000-8010` (ports 1-65535, ranges `lo-hi` with lo <= hi, separated by commas,
 * spaces around items ignored). Returns the problem as a string when an item is bad.
 */
export function parsePortRanges(text: string): { ranges: PortRange[] } | { problem: string } {
  const ranges: PortRange[] = [];
  const seen = new Set<string>();
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(item);
    if (match === null) return { problem: `${JSON.stringify(item)} is not a port or a range lo-hi` };
    const lo = Number(match[1]);
    const hi = match[2] === undefined ? lo : Number(match[2]);
    if (lo < 1 || hi > 65_535 || lo > 65_535 || hi < 1) {
      return { problem: `${JSON.stringify(item)} is outside 1-65535` };
    }
    if (hi < lo) return { problem: `${JSON.stringify(item)} ends before it starts` };
    const key = formatPortRange({ lo, hi });
    if (seen.has(key)) continue;
    seen.add(key);
    ranges.push({ lo, hi });
  }
  return { ranges };
}

/** `80` or `8000:8010`, the way iptables writes ports and ranges. */
export function formatPortRange(range: PortRange): string {
  return range.lo === range.hi ? String(range.lo) : `${range.lo}:${range.hi}`;
}

/** How many port references `range` uses in a multiport match. */
export function portReferences(range: PortRange): number {
  return range.lo === range.hi ? 1 : 2;
}

/**
 * Splits `ranges` into consecutive groups of at most `limit` port references each, keeping the
 * order: a group is closed when the next item would not fit. An empty list gives no groups.
 */
export function chunkPortRanges(ranges: readonly PortRange[], limit = MULTIPORT_LIMIT): PortRange[][] {
  const chunks: PortRange[][] = [];
  let current: PortRange[] = [];
  let used = 0;
  for (const range of ranges) {
    const refs = portReferences(range);
    if (used + refs > limit && current.length > 0) {
      chunks.push(current);
      current = [];
      used = 0;
    }
    current.push(range);
    used += refs;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
