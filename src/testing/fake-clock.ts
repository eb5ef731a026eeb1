// Test helper: a Clock whose time moves only when the test says so. advance() fires every timer
// that falls due, in order, letting promise callbacks run between them.

import type { Clock, TimerHandle } from '../time/index.ts';

interface Timer {
  readonly due: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];

  constructor(start = Math.floor(Date.now() / 1000) * 1000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const timer: Timer = { due: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false };
    this.#timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }

  /** Pending timers' due times, earliest first (for assertions). */
  pending(): number[] {
    return this.#live().map((t) => t.due);
  }

  /** Moves time forward by `ms`, firing due timers in order and settling promises after each. */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    for (let guard = 0; guard < 10_000; guard++) {
      await settle();
      const next = this.#live()[0];
      if (next === undefined || next.due > until) break;
      this.#now = next.due;
      next.cancelled = true;
      next.fn();
    }
    this.#now = until;
    await settle();
  }

  #live(): Timer[] {
    this.#timers = this.#timers.filter((t) => !t.cancelled);
    return [...this.#timers].sort((a, b) => a.due - b.due || a.seq - b.seq);
  }
}

/** Lets pending promise callbacks (and one macrotask turn) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
