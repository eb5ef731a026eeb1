import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setImmediate as immediate } from 'node:timers/promises';
import { BUSY_WRITES, BatchedWriter, batchingWrites } from './write-batch.ts';

/** A loopback server that keeps what each connection sends. */
let server: Server;
let port = 0;
const received: string[][] = [];
/** A connection whose writes only set the pace (busy or light loop iterations). */
let pacer: BatchedWriter;

async function open(): Promise<{ socket: Socket; chunks: string[] }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  for (let i = 0; i < 200 && received.length === 0; i++) await immediate();
  const chunks = received.shift();
  assert.ok(chunks !== undefined, 'the server saw the connection');
  return { socket, chunks };
}

before(async () => {
  server = createServer((socket) => {
    const chunks: string[] = [];
    received.push(chunks);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => chunks.push(d));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  port = address.port;
  pacer = new BatchedWriter((await open()).socket);
});

after(() => {
  pacer.socket.destroy();
  server.close();
});

/** One loop iteration that writes `n` times, then its end: the next one holds writes if n is busy. */
async function iterationWith(n: number): Promise<void> {
  for (let i = 0; i < n; i++) pacer.write('.');
  await immediate();
  assert.equal(batchingWrites(), n >= BUSY_WRITES);
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
}

describe('BatchedWriter', () => {
  test('after a light loop iteration a write goes to the kernel at once', async () => {
    const { socket, chunks } = await open();
    const writer = new BatchedWriter(socket);
    await iterationWith(1);
    assert.equal(writer.write('a'), true);
    assert.equal(socket.writableLength, 0, 'not held');
    await until(() => chunks.join('') === 'a');
    assert.equal(chunks.join(''), 'a');
    socket.destroy();
  });

  test('after a busy one, writes are held to the end of the poll phase, in order with direct ones', async () => {
    const { socket, chunks } = await open();
    const writer = new BatchedWriter(socket);
    await iterationWith(BUSY_WRITES);
    assert.equal(writer.write('a'), true);
    socket.write('b');
    assert.equal(writer.write(Buffer.from('c')), true);
    assert.equal(socket.writableLength, 3, 'nothing reached the kernel yet');
    await immediate();
    assert.equal(socket.writableLength, 0, 'flushed at the end of the phase');
    await until(() => chunks.join('') === 'abc');
    assert.equal(chunks.join(''), 'abc');
    // That iteration wrote twice: light, so the next one writes at once again.
    assert.equal(batchingWrites(), false);
    socket.write('d');
    assert.equal(socket.writableLength, 0);
    await until(() => chunks.join('') === 'abcd');
    assert.equal(chunks.join(''), 'abcd');
    socket.destroy();
  });

  test('one end of phase flushes every writer', async () => {
    const a = await open();
    const b = await open();
    const wa = new BatchedWriter(a.socket);
    const wb = new BatchedWriter(b.socket);
    await iterationWith(BUSY_WRITES);
    wa.write('1', 'latin1');
    wb.write('2', 'latin1');
    wa.write('3', 'latin1');
    assert.equal(a.socket.writableLength + b.socket.writableLength, 3);
    await immediate();
    assert.equal(a.socket.writableLength + b.socket.writableLength, 0);
    await until(() => a.chunks.join('') === '13' && b.chunks.join('') === '2');
    assert.deepEqual([a.chunks.join(''), b.chunks.join('')], ['13', '2']);
    a.socket.destroy();
    b.socket.destroy();
  });

  test('end() sends what is held at once; a socket destroyed while held is released quietly', async () => {
    const { socket, chunks } = await open();
    const gone = await open();
    const writer = new BatchedWriter(socket);
    const dropped = new BatchedWriter(gone.socket);
    await iterationWith(BUSY_WRITES);
    writer.write('last');
    dropped.write('never');
    assert.equal(socket.writableLength, 4);
    socket.end();
    assert.equal(socket.writableLength, 0, 'end() uncorks fully');
    gone.socket.destroy();
    await immediate();
    await until(() => chunks.join('') === 'last');
    assert.equal(chunks.join(''), 'last');
    assert.equal(gone.socket.destroyed, true);
  });
});
