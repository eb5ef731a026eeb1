import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { H1ServerResponse } from './h1-server/server-response.ts';
import { h1Sink } from './response-sink.ts';
import { BatchedWriter } from '../transport/write-batch.ts';

/** A server whose every connection gets one H1ServerResponse, handed to `use`. */
async function withResponse(
  use: (res: H1ServerResponse, socket: Socket) => void,
): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    const res = new H1ServerResponse(
      { socket, out: new BatchedWriter(socket), draining: () => false, responseEnded: () => undefined },
      'GET',
      false,
      true,
    );
    // What H1ServerConnection does for its current response.
    socket.on('close', () => res.connectionClosed());
    socket.on('drain', () => res.emit('drain'));
    use(res, socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Reads the raw response slowly (pausing between reads) until the peer's last chunk. */
async function readSlowly(port: number): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  return new Promise((resolve, reject) => {
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      socket.pause();
      setTimeout(() => socket.resume(), 1);
      if (text.endsWith('\r\n0\r\nx-checksum: ok\r\n\r\n')) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
  });
}

/** A chunked body's data and its trailer block. */
function dechunk(text: string): { body: string; trailers: string } {
  let body = '';
  let pos = 0;
  for (let i = 0; i < 100_000; i++) {
    const eol = text.indexOf('\r\n', pos);
    const size = parseInt(text.slice(pos, eol), 16);
    pos = eol + 2;
    if (size === 0) return { body, trailers: text.slice(pos, text.length - 2) };
    body += text.slice(pos, pos + size);
    pos += size + 2;
  }
  throw new Error('too many chunks');
}

describe('h1Sink', () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of closers) await c();
  });

  test('writes a large body with back-pressure, drops HTTP/2-only fields, ends with trailers', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const total = 64;
    let waitedForDrain = 0;
    let destroyedAfterEnd = false;
    const server = await withResponse((res) => {
      const sink = h1Sink(res);
      sink.respond(
        200,
        { ':status': '200', 'content-type': 'text/plain', 'l5d-orig-proto': 'HTTP/1.1', connection: 'x' },
        false,
      );
      let sent = 0;
      const pump = (): void => {
        while (sent < total) {
          sent++;
          if (!sink.body.write(chunk)) {
            waitedForDrain++;
            sink.body.once('drain', pump);
            return;
          }
        }
        sink.setTrailers({ 'x-checksum': 'ok' });
        sink.body.end();
        destroyedAfterEnd = sink.body.destroyed && sink.gone();
      };
      pump();
    });
    closers.push(server.close);
    const raw = await readSlowly(server.port);
    const [head = '', ...rest] = raw.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(head, /content-type: text\/plain/i);
    assert.doesNotMatch(head, /l5d-orig-proto|:status|connection: x/i);
    assert.match(head, /transfer-encoding: chunked/i);
    const { body, trailers } = dechunk(rest.join('\r\n\r\n'));
    assert.equal(body.length, total * chunk.length);
    assert.ok(/^a+$/.test(body));
    assert.equal(trailers, 'x-checksum: ok\r\n');
    assert.ok(waitedForDrain > 0, 'the slow reader made the sink wait for drain');
    assert.ok(destroyedAfterEnd, 'nothing more can be written once the body ended');
  });

  test('onClose fires when the client goes away, and its remover stops it', async () => {
    const events: string[] = [];
    let closed: () => void = () => undefined;
    const seen = new Promise<void>((resolve) => (closed = resolve));
    const server = await withResponse((res) => {
      const sink = h1Sink(res);
      const off = sink.onClose(() => events.push('removed listener fired'));
      off();
      sink.onClose(() => {
        events.push('close');
        assert.ok(sink.gone() && sink.body.destroyed);
        closed();
      });
      sink.respond(200, { 'content-length': '10' }, false);
      sink.body.write(Buffer.from('12345'));
    });
    closers.push(server.close);
    const socket = connect(server.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.destroy();
    await seen;
    assert.deepEqual(events, ['close']);
  });
});
