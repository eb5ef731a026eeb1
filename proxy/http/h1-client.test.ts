// The upstream HTTP/1 pool's plain connections read into one shared buffer: what an exchange
// receives must stay intact after later reads of any connection reuse that buffer.

import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { H1Pool, type H1Exchange } from './h1-client.ts';
import type { H1ResponseHead } from './h1-response-parser.ts';

/** Collects one response; `done` settles at its end or failure. */
class Collect implements H1Exchange {
  status = 0;
  readonly chunks: Buffer[] = [];
  readonly done: Promise<void>;
  #settle: (err?: Error) => void = () => undefined;
  constructor() {
    this.done = new Promise((resolve, reject) => (this.#settle = (err) => (err ? reject(err) : resolve())));
  }
  informational(): void {}
  head(head: H1ResponseHead): void {
    this.status = head.status;
  }
  body(chunk: Buffer): void {
    this.chunks.push(chunk);
  }
  complete(): void {
    this.#settle();
  }
  fail(err: Error): void {
    this.#settle(err);
  }
  flush(): void {}
}

const SIZE = 512 * 1024;
const PIECE = 16 * 1024;

describe('H1Pool plain connections', () => {
  let server: Server;
  let port = 0;
  const sockets = new Set<Socket>();

  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('bodies read through the shared buffer arrive intact while other connections read', async () => {
    // Each request's body is one letter repeated, written in pieces with pauses, so the reads of
    // the three connections interleave.
    server = createServer((socket) => {
      sockets.add(socket);
      socket.once('data', (d: Buffer) => {
        const letter = /GET \/(\w)/.exec(d.toString('latin1'))?.[1] ?? 'x';
        socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${SIZE}\r\n\r\n`);
        let sent = 0;
        const next = (): void => {
          if (sent >= SIZE) return;
          socket.write(Buffer.alloc(PIECE, letter));
          sent += PIECE;
          setImmediate(next);
        };
        next();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    port = address.port;

    const pool = new H1Pool(5_000);
    const letters = ['a', 'b', 'c'];
    const exchanges = letters.map((letter) => {
      const conn = pool.acquire(`k-${letter}`, '127.0.0.1', port);
      const ex = new Collect();
      conn.begin(ex, false);
      conn.socket.write(`GET /${letter} HTTP/1.1\r\nhost: upstream\r\n\r\n`);
      return { letter, conn, ex };
    });
    await Promise.all(exchanges.map((e) => e.ex.done));
    for (const { letter, conn, ex } of exchanges) {
      assert.equal(ex.status, 200);
      const body = Buffer.concat(ex.chunks);
      assert.equal(body.length, SIZE);
      assert.ok(
        body.every((b) => b === letter.charCodeAt(0)),
        `the body of /${letter} was overwritten by another read`,
      );
      conn.finish(false);
    }
    pool.close();
  });
});
