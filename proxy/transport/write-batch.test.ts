import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setImmediate as immediate } from 'node:timers/promises';
import { BatchedWriter } from './write-batch.ts';

/** A loopback server that keeps what each connection sends. */
let server: Server;
let port = 0;
const received: string[][] = [];

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
});

after(() => server.close());

async function open(): Promise<{ socket: Socket; chunks: string[] }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  for (let i = 0; i < 200 && received.length === 0; i++) await immediate();
  const chunks = received.shift();
  assert.ok(chunks !== undefined, 'the server saw the connection');
  return { socket, chunks };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
}

describe('BatchedWriter', () => {
  test('holds a write until the check phase, then sends it with what followed, in order', async () => {
    const { socket, chunks } = await open();
    const writer = new BatchedWriter(socket);
    assert.equal(writer.write('a'), true);
    socket.write('b');
    assert.equal(writer.write(Buffer.from('c')), true);
    assert.equal(socket.writableLength, 3, 'nothing reached the kernel yet');
    await immediate();
    assert.equal(socket.writableLength, 0, 'flushed by the check phase');
    await until(() => chunks.join('') === 'abc');
    assert.equal(chunks.join(''), 'abc');
    // After the flush the socket is uncorked: a direct write goes out at once.
    socket.write('d');
    assert.equal(socket.writableLength, 0);
    await until(() => chunks.join('') === 'abcd');
    assert.equal(chunks.join(''), 'abcd');
    socket.destroy();
  });

  test('one flush serves every writer of the poll phase', async () => {
    const a = await open();
    const b = await open();
    const wa = new BatchedWriter(a.socket);
    const wb = new BatchedWriter(b.socket);
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

  test('end() sends what is held at once; a destroyed socket is released without error', async () => {
    const { socket, chunks } = await open();
    const writer = new BatchedWriter(socket);
    writer.write('last');
    socket.end();
    assert.equal(socket.writableLength, 0, 'end() uncorks fully');
    await until(() => chunks.join('') === 'last');
    assert.equal(chunks.join(''), 'last');
    const gone = await open();
    const dropped = new BatchedWriter(gone.socket);
    dropped.write('never');
    gone.socket.destroy();
    await immediate();
    assert.equal(gone.socket.destroyed, true);
  });
});
