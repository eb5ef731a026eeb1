// The open-loop generator's alarm clock, run as a worker thread: it sleeps until each request's
// scheduled time (Atomics.wait, sub-millisecond, where a main-thread timer has 1 ms granularity)
// and then posts one message, which wakes the generator's event loop to send what is due.
//
// Contract: workerData is { intervalNs, count, control, start }: the worker posts 'ready' once
// loaded (loading takes longer than a schedule may wait), then blocks until the main thread stores
// the start time (process.hrtime's clock, shared by all threads) into start[0] and 1 into
// control[GO]. Slot k is due at start + k·intervalNs; the worker posts the slot number when it is
// due (never early) and exits after the last slot, or as soon as the main thread stores 1 into
// control[STOP] and notifies it.

import { parentPort, workerData } from 'node:worker_threads';

/** Indexes into the control array. */
export const STOP = 0;
export const GO = 1;

interface TickerData {
  readonly intervalNs: number;
  readonly count: number;
  readonly control: Int32Array;
  readonly start: Float64Array;
}

function run(port: NonNullable<typeof parentPort>, d: TickerData): void {
  port.postMessage('ready');
  while (Atomics.load(d.control, GO) === 0 && Atomics.load(d.control, STOP) === 0) Atomics.wait(d.control, GO, 0, 1000);
  const startNs = d.start[0] ?? 0;
  for (let k = 0; k < d.count; k++) {
    const due = startNs + k * d.intervalNs;
    for (;;) {
      if (Atomics.load(d.control, STOP) !== 0) return;
      const waitNs = due - Number(process.hrtime.bigint());
      if (waitNs <= 0) break;
      Atomics.wait(d.control, STOP, 0, waitNs / 1e6);
    }
    port.postMessage(k);
  }
}

if (parentPort !== null) run(parentPort, workerData as TickerData);
