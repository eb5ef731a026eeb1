// Writes held back to the end of the event loop's poll phase while the proxy is busy, then flushed
// together.
//
// Why: at full load one epoll wakeup hands the proxy many ready sockets. Writing each request or
// response the moment it is ready interleaves the writes with the reads, and every write to a peer
// that has gone back to sleep in the meantime wakes it again, which costs the writer a cross-CPU
// wakeup in the kernel. Holding the writes until every ready socket has been read (as event-driven
// proxies such as haproxy do) sends them as one burst: the first wakes a peer, the rest find it
// awake. On the HTTP/1 hop that is ~0.7 µs less kernel time per request at full load (ADR 0026).
// Holding costs latency, though: a write waits for the rest of its poll phase, and after a stall
// the first responses of a backlog would wait for the whole backlog (the pair's p99 at 5,000
// requests/s grew by ~0.3 ms when every write was held). So writes are held only while the proxy
// is saturated: when the last loop iteration that wrote wrote BUSY_WRITES times or more. A light
// load, and the first iteration of a burst, write at once.
//
// Contract: BatchedWriter.write(data) is socket.write(data) (same return value, same order); while
// batching, the socket stays corked until this loop iteration's check phase (one setImmediate for
// all writers), so the write reaches the kernel then, together with whatever else was written to
// the socket meanwhile, in order. Every later write to the socket — direct or through the writer —
// queues behind it as usual; socket.end() flushes at once (Node uncorks fully on end);
// socket.destroy() before the flush drops what is held, as it drops any unflushed write.

import type { Socket } from 'node:net';
import { setImmediate } from 'node:timers';

/** Writes in one loop iteration that make the next one hold its writes. */
export const BUSY_WRITES = 4;

/** Writers whose socket is corked until the end of this iteration's poll phase. */
let held: BatchedWriter[] = [];
/** An end-of-phase callback is queued for this iteration. */
let scheduled = false;
/** Writes through any writer since the last end of phase. */
let writes = 0;
/** This iteration holds its writes (the previous one was busy). */
let batching = false;

function endOfPhase(): void {
  scheduled = false;
  batching = writes >= BUSY_WRITES;
  writes = 0;
  const writers = held;
  held = [];
  for (const writer of writers) writer.release();
}

/** Whether writes are held in this loop iteration (tests). */
export function batchingWrites(): boolean {
  return batching;
}

export class BatchedWriter {
  readonly socket: Socket;
  #corked = false;

  constructor(socket: Socket) {
    this.socket = socket;
  }

  /** socket.write(data), held to the end of this poll phase while the proxy is busy. */
  write(data: Buffer | string, encoding?: BufferEncoding): boolean {
    const socket = this.socket;
    if (!scheduled) {
      scheduled = true;
      setImmediate(endOfPhase);
    }
    writes++;
    if (batching && !this.#corked) {
      this.#corked = true;
      socket.cork();
      held.push(this);
    }
    return encoding === undefined ? socket.write(data) : socket.write(data, encoding);
  }

  /** Uncorks the socket (called at the end of the phase). */
  release(): void {
    this.#corked = false;
    this.socket.uncork();
  }
}
