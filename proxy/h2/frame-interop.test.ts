// Interop of the frame codec with a real HTTP/2 implementation (node:http2, nghttp2 underneath) on
// loopback: a node:http2 client talks to a plain net server that reads with H2FrameParser and
// answers with frame-writer bytes, and our frames drive a node:http2 server. Header blocks are
// built by hand with HPACK literals without indexing; blocks from node are checked for the raw
// bytes of values HPACK leaves unencoded ('{' has a 15-bit Huffman code, so nghttp2 sends it raw).

import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import { H2_ERROR } from './errors.ts';
import { H2FrameParser } from './frame-parser.ts';
import { FrameRecorder, callsOf } from './test-fixtures.ts';
import {
  CLIENT_PREFACE,
  SETTINGS_ENABLE_PUSH,
  SETTINGS_INITIAL_WINDOW_SIZE,
  SETTINGS_MAX_CONCURRENT_STREAMS,
} from './frame-types.ts';
import {
  SETTINGS_ACK,
  dataFrames,
  goawayFrame,
  headersFrames,
  pingFrame,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
} from './frame-writer.ts';

/** An HPACK integer with an n-bit prefix (RFC 7541 §5.1), first byte's high bits zero. */
function hpackInteger(value: number, prefixBits: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [value];
  const out = [max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  out.push(rest);
  return out;
}

/** A header block of literals without indexing, new names, no Huffman (RFC 7541 §6.2.2). */
function literalBlock(fields: readonly (readonly [string, string])[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    parts.push(Buffer.from([0x00, ...hpackInteger(name.length, 7)]), Buffer.from(name, 'latin1'));
    parts.push(Buffer.from(hpackInteger(value.length, 7)), Buffer.from(value, 'latin1'));
  }
  return Buffer.concat(parts);
}

function bytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + seed) & 0xff;
  return out;
}

/** A promise with its resolve function, for events seen inside a sink. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('frame codec interop with node:http2', () => {
  const closers: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const close of closers.reverse()) await close();
  });

  test('a node:http2 client is read by H2FrameParser and answered with frame-writer frames', async () => {
    const bigRequestValue = '{'.repeat(40_000);
    const bigResponseValue = '{'.repeat(20_000);
    const responseBody = bytes(40_000, 3);
    const opaque = Buffer.from('nodemesh');
    const sink = new FrameRecorder();
    const acks = { settings: signal(), ping: signal() };
    const sockets = new Set<net.Socket>();

    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      const parser = new H2FrameParser(sink, { preface: 'client' });
      const data = sink.data.bind(sink);
      const settings = sink.settings.bind(sink);
      const ping = sink.ping.bind(sink);
      sink.settings = (ack, list) => {
        settings(ack, list);
        if (ack) return acks.settings.resolve();
        socket.write(
          Buffer.concat([settingsFrame([SETTINGS_MAX_CONCURRENT_STREAMS, 10]), SETTINGS_ACK, pingFrame(opaque, false)]),
        );
      };
      sink.ping = (ack, bytes) => {
        ping(ack, bytes);
        if (ack) acks.ping.resolve();
      };
      sink.data = (id, payload, endStream, flowBytes) => {
        data(id, payload, endStream, flowBytes);
        if (!endStream) return;
        const block = literalBlock([
          [':status', '200'],
          ['x-test', 'ok'],
          ['x-big', bigResponseValue],
        ]);
        socket.write(
          Buffer.concat([
            headersFrames(id, block, false, 16384),
            ...dataFrames(id, responseBody, true, 16384),
            goawayFrame(id, H2_ERROR.NO_ERROR, Buffer.from('done')),
          ]),
        );
      };
      socket.on('data', (chunk: Buffer) => parser.feed(chunk));
      socket.on('end', () => socket.end());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    });
    const { port } = server.address() as net.AddressInfo;

    const client = http2.connect(`http://127.0.0.1:${port}`);
    closers.push(() => void client.destroy());
    client.on('error', () => {});
    const goaway = once(client, 'goaway') as Promise<[number, number, Buffer]>;
    await once(client, 'connect');
    client.setLocalWindowSize(1 << 20);
    const req = client.request({ ':method': 'POST', ':path': '/upload', 'x-big': bigRequestValue });
    req.end(Buffer.from('hello, frames'));
    const [responseHeaders] = (await once(req, 'response')) as [http2.IncomingHttpHeaders];
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    await once(req, 'end');
    const [goawayCode, lastStreamId, debug] = await goaway;
    await acks.settings.promise;
    await acks.ping.promise;
    client.close();

    // What node:http2 sent, as the parser reported it.
    const calls = sink.calls;
    assert.equal(calls[0]?.[0], 'settings', 'the first frame after the preface is SETTINGS');
    assert.equal(calls[0]?.[1], false);
    const windowUpdates = callsOf(calls, 'windowUpdate').filter((c) => c[1] === 0);
    assert.ok(windowUpdates.length > 0, 'a WINDOW_UPDATE on the connection');
    const headers = callsOf(calls, 'headers');
    assert.equal(headers.length, 1);
    const [, headersStream, blockHex, headersEnd] = headers[0]!;
    assert.equal(headersStream, 1);
    assert.equal(headersEnd, false);
    const block = Buffer.from(blockHex, 'hex');
    assert.ok(block.length > 16384, 'the block was larger than one frame: it came as HEADERS + CONTINUATION');
    assert.ok(block.includes(Buffer.from(bigRequestValue)), 'the big value is whole in the joined block');
    const data = callsOf(calls, 'data');
    assert.equal(Buffer.concat(data.map((c) => Buffer.from(c[2], 'hex'))).toString(), 'hello, frames');
    assert.ok(data.every((c) => c[1] === 1));
    assert.equal(data.at(-1)?.[3], true, 'the last DATA frame ends the stream');
    assert.ok(calls.some((c) => c[0] === 'settings' && c[1]));
    assert.ok(calls.some((c) => c[0] === 'ping' && c[1] && c[2] === opaque.toString('hex')));

    // What node:http2 made of our frames.
    assert.equal(responseHeaders[':status'], 200);
    assert.equal(responseHeaders['x-test'], 'ok');
    assert.equal(responseHeaders['x-big'], bigResponseValue);
    assert.deepEqual(Buffer.concat(chunks), responseBody);
    assert.deepEqual([goawayCode, lastStreamId, debug.toString()], [H2_ERROR.NO_ERROR, 1, 'done']);
  });

  test('a node:http2 server is driven by frame-writer frames and read back by H2FrameParser', async () => {
    const bigRequestValue = '{'.repeat(40_000);
    const bigResponseValue = '{'.repeat(30_000);
    const requestBody = bytes(50_000, 5);
    const server = http2.createServer();
    const sessions = new Set<http2.ServerHttp2Session>();
    const serverGoaway = signal();
    const cancelled = signal();
    let goawayCode = -1;
    let rstCode = -1;
    server.on('session', (session) => {
      sessions.add(session);
      session.on('goaway', (code: number) => {
        goawayCode = code;
        serverGoaway.resolve();
      });
    });
    server.on('stream', (stream, headers) => {
      if (headers[':path'] === '/hang') {
        stream.on('close', () => {
          rstCode = stream.rstCode;
          cancelled.resolve();
        });
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const body = Buffer.concat(chunks);
        stream.respond({ ':status': 200, 'x-big': bigResponseValue });
        stream.end(
          JSON.stringify({
            method: headers[':method'],
            path: headers[':path'],
            bigLength: String(headers['x-big']).length,
            bodySame: body.equals(requestBody),
          }),
        );
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(async () => {
      for (const s of sessions) s.destroy();
      server.close();
      await once(server, 'close');
    });
    const { port } = server.address() as net.AddressInfo;

    const socket = net.connect(port, '127.0.0.1');
    closers.push(() => void socket.destroy());
    const sink = new FrameRecorder();
    const parser = new H2FrameParser(sink, { preface: 'server' });
    const opaque = Buffer.from('12345678');
    const done = { response: signal(), ping: signal() };
    const settings = sink.settings.bind(sink);
    const data = sink.data.bind(sink);
    const ping = sink.ping.bind(sink);
    sink.settings = (ack, list) => {
      settings(ack, list);
      if (!ack) socket.write(SETTINGS_ACK);
    };
    sink.data = (id, payload, endStream, flowBytes) => {
      data(id, payload, endStream, flowBytes);
      if (id === 1 && endStream) done.response.resolve();
    };
    sink.ping = (ack, bytes) => {
      ping(ack, bytes);
      if (ack) done.ping.resolve();
    };
    socket.on('data', (chunk: Buffer) => parser.feed(chunk));
    await once(socket, 'connect');

    const request = (path: string): Buffer =>
      literalBlock([
        [':method', 'POST'],
        [':scheme', 'http'],
        [':path', path],
        [':authority', `127.0.0.1:${port}`],
        ['x-big', bigRequestValue],
      ]);
    socket.write(
      Buffer.concat([
        CLIENT_PREFACE,
        settingsFrame([SETTINGS_ENABLE_PUSH, 0, SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20]),
        windowUpdateFrame(0, 1 << 20),
        headersFrames(1, request('/echo'), false, 16384),
        ...dataFrames(1, requestBody, true, 16384),
        headersFrames(3, request('/hang'), false, 16384),
        windowUpdateFrame(3, 1000),
        pingFrame(opaque, false),
      ]),
    );
    await done.response.promise;
    await done.ping.promise;
    // A client's GOAWAY names the last server-initiated stream it processed: none (0).
    socket.write(Buffer.concat([rstStreamFrame(3, H2_ERROR.CANCEL), goawayFrame(0, H2_ERROR.NO_ERROR)]));
    await cancelled.promise;
    await serverGoaway.promise;
    socket.end();

    assert.equal(rstCode, H2_ERROR.CANCEL, 'our RST_STREAM reset the stream on the server');
    assert.equal(goawayCode, H2_ERROR.NO_ERROR, 'our GOAWAY reached the server');
    const calls = sink.calls;
    assert.deepEqual(calls[0]?.slice(0, 2), ['settings', false], "the server's preface is SETTINGS");
    assert.ok(
      calls.some((c) => c[0] === 'settings' && c[1]),
      'the server acknowledged our SETTINGS',
    );
    assert.ok(calls.some((c) => c[0] === 'ping' && c[1] && c[2] === opaque.toString('hex')));
    const headers = callsOf(calls, 'headers').filter((c) => c[1] === 1);
    assert.equal(headers.length, 1);
    const block = Buffer.from(headers[0]![2], 'hex');
    assert.ok(block.length > 16384, 'the response block came as HEADERS + CONTINUATION');
    assert.ok(block.includes(Buffer.from(bigResponseValue)));
    assert.equal(block[0], 0x88, ':status 200 as the indexed static entry');
    const body = Buffer.concat(
      callsOf(calls, 'data')
        .filter((c) => c[1] === 1)
        .map((c) => Buffer.from(c[2], 'hex')),
    );
    assert.deepEqual(JSON.parse(body.toString()), { method: 'POST', path: '/echo', bigLength: 40_000, bodySame: true });
  });
});
