// Writes held back to the end of the event loop's poll phase, then flushed together.
//
// Why: one epoll wakeup hands the proxy many ready sockets. Writing each request or response the
// moment it is ready interleaves the writes with the reads, and every write to a peer that has
// gone back to sleep in the meantime wakes it again, which costs the writer a cross-CPU wakeup in
// the kernel. Holding the writes until every ready socket has been read (as event-driven proxies
// such as haproxy do) sends them as one burst: the first wakes a peer, the rest find it awake. On
// the HTTP/1 hop that is ~0.7 µs less kernel time per request at full load (docs/performance.md,
// session 14). Under light load a poll phase holds one event, and the write goes out right after
// it, in the same loop iteration.
//
// Contract: BatchedWriter.write(data) writes to the socket as socket.write would, but the socket
// stays corked until this loop iteration's check phase (one setImmediate for all writers), so the
// write reaches the kernel then, together with whatever else was written to the socket meanwhile,
// in order. Every later write to the socket — direct or through the writer — queues behind it as
// usual; socket.end() flushes at once (Node uncorks fully on end); socket.destroy() before the
// flush drops what is held, as it drops any unflushed write.

import type { Socket } from 'node:net';
import { setImmediate } from 'node:timers';

/** Writers whose socket is corked until the flush. */
let held: BatchedWriter[] = [];
let scheduled = false;

function flush(): void {
  scheduled = false;
  const writers = held;
  held = [];
  for (const writer of writers) writer.release();
}

export class BatchedWriter {
  readonly socket: Socket;
  #corked = false;

  constructor(socket: Socket) {
    this.socket = socket;
  }

  /** socket.write(data), sent at the end of this poll phase; false: wait for 'drain' as usual. */
  write(data: Buffer | string, encoding?: BufferEncoding): boolean {
    const socket = this.socket;
    if (!this.#corked) {
      this.#corked = true;
      socket.cork();
      held.push(this);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    }
    return encoding === undefined ? socket.write(data) : socket.write(data, encoding);
  }

  /** Uncorks the socket (called by the flush). */
  release(): void {
    this.#corked = false;
    this.socket.uncork();
  }
}
