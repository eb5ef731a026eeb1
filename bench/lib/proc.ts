// Process accounting for benchmarks: CPU seconds (user + system), peak and current RSS, and USS
// (private memory) of a process, read from /proc, so cost per request and footprint come from the
// process's own accounting.

import { readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds used so far by `pid` (user + system), or NaN when /proc is unavailable. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** Peak and current RSS in MB (VmHWM, VmRSS), NaN when unavailable. */
export function memoryMb(pid: number): { peakRssMb: number; rssMb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { peakRssMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  } catch {
    return { peakRssMb: Number.NaN, rssMb: Number.NaN };
  }
}

export interface MemorySample {
  readonly rssMb: number;
  /** Unique set size: Private_Clean + Private_Dirty, the memory only this process holds. */
  readonly ussMb: number;
  /** Proportional set size (shared pages divided among the processes mapping them). */
  readonly pssMb: number;
  readonly peakRssMb: number;
}

/** RSS, USS and PSS from /proc/<pid>/smaps_rollup (NaN when unavailable). */
export function memorySample(pid: number): MemorySample {
  const { peakRssMb } = memoryMb(pid);
  try {
    return { ...parseSmapsRollup(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')), peakRssMb };
  } catch {
    return { rssMb: Number.NaN, ussMb: Number.NaN, pssMb: Number.NaN, peakRssMb };
  }
}

/** Reads Rss, Pss and Private_{Clean,Dirty} (kB) from smaps_rollup text, in MB. Exported for tests. */
export function parseSmapsRollup(text: string): { rssMb: number; ussMb: number; pssMb: number } {
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    rssMb: kb('Rss') / 1024,
    ussMb: (kb('Private_Clean') + kb('Private_Dirty')) / 1024,
    pssMb: kb('Pss') / 1024,
  };
}
