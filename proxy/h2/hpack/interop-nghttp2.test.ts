// Interop with another HPACK implementation: nghttp2, inside node:http2. A node:http2 server on
// loopback decodes the request header blocks our encoder produces, and our decoder decodes the
// response header blocks nghttp2 encodes, over one connection (so both dynamic tables carry state
// from block to block). The client side is a raw socket speaking just enough HTTP/2 framing for
// this: no node:http2 client is involved.

import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { HpackDecoder } from './decoder.ts';
import { HpackEncoder } from './encoder.ts';
import { seededRandom } from '../../../src/testing/index.ts';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const DATA = 0x0;
const HEADERS = 0x1;
const SETTINGS = 0x4;
const GOAWAY = 0x7;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const ACK = 0x1;

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly stream: number;
  readonly payload: Buffer;
}

/** Reads frames from a socket after the server preface, in order. */
class FrameReader {
  #buffered = Buffer.alloc(0);
  #waiting: { resolve: (f: Frame) => void; reject: (err: Error) => void } | null = null;
  #closed = false;
  readonly #frames: Frame[] = [];

  constructor(socket: net.Socket) {
    socket.on('close', () => {
      this.#closed = true;
      this.#waiting?.reject(new Error('the server closed the connection'));
      this.#waiting = null;
    });
    socket.on('data', (chunk: Buffer) => {
      this.#buffered = Buffer.concat([this.#buffered, chunk]);
      while (this.#buffered.length >= 9) {
        const len = this.#buffered.readUIntBE(0, 3);
        if (this.#buffered.length < 9 + len) break;
        const f: Frame = {
          type: this.#buffered[3]!,
          flags: this.#buffered[4]!,
          stream: this.#buffered.readUInt32BE(5) & 0x7fffffff,
          payload: this.#buffered.subarray(9, 9 + len),
        };
        this.#buffered = this.#buffered.subarray(9 + len);
        const waiting = this.#waiting;
        this.#waiting = null;
        if (waiting !== null) waiting.resolve(f);
        else this.#frames.push(f);
      }
    });
  }

  next(): Promise<Frame> {
    const f = this.#frames.shift();
    if (f !== undefined) return Promise.resolve(f);
    if (this.#closed) return Promise.reject(new Error('the server closed the connection'));
    return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
  }
}

let server: http2.Http2Server;
let port = 0;
/** What the server saw per request: its headers as node:http2 reports them, and the sensitive names. */
const seen: { headers: http2.IncomingHttpHeaders; sensitive: string[] }[] = [];

before(async () => {
  server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const sensitive = ((headers as Record<symbol, unknown>)[http2.sensitiveHeaders] as string[] | undefined) ?? [];
    seen.push({ headers, sensitive });
    // Echo the x- request headers back, plus some fields nghttp2 will index or not.
    const response: http2.OutgoingHttpHeaders = { ':status': 200, 'content-type': 'application/grpc' };
    for (const [name, value] of Object.entries(headers)) if (name.startsWith('x-')) response[name] = value;
    response['x-secret-echo'] = String(headers['x-secret'] ?? '');
    (response as Record<symbol, unknown>)[http2.sensitiveHeaders] = ['x-secret-echo'];
    stream.respond(response, { endStream: true });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('nghttp2 decodes our request blocks and we decode its response blocks, across 40 requests on one connection', async () => {
  const socket = net.connect(port, '127.0.0.1');
  try {
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const reader = new FrameReader(socket);
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder();
    socket.write(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0, Buffer.alloc(0))]));

    const rand = seededRandom(7);
    const token = (): string => {
      let s = '';
      const len = 1 + Math.floor(rand() * 12);
      for (let i = 0; i < len; i++) s += 'abcdefghijklmnopqrstuvwxyz0123456789-'[Math.floor(rand() * 37)];
      return s;
    };
    const text = (): string => {
      let s = '';
      const len = Math.floor(rand() * 60);
      // Visible ASCII, space inside, and obs-text octets 0x80..0xff.
      for (let i = 0; i < len; i++)
        s += String.fromCharCode(rand() < 0.9 ? 0x21 + Math.floor(rand() * 94) : 0x80 + Math.floor(rand() * 128));
      return len > 2 ? `${s.slice(0, 1)} ${s.slice(1)}` : s;
    };
    const names = Array.from({ length: 6 }, () => `x-${token()}`);

    for (let r = 0; r < 40; r++) {
      const stream = 2 * r + 1;
      const fields = [
        ':method',
        'POST',
        ':scheme',
        'http',
        ':path',
        r % 3 === 0 ? '/svc/Get' : `/svc/Get/${r}`,
        ':authority',
        'example.test',
      ];
      const extra = new Map<string, string>();
      const count = Math.floor(rand() * 5);
      for (let i = 0; i < count; i++)
        extra.set(names[Math.floor(rand() * names.length)]!, rand() < 0.5 ? 'same-value' : text());
      for (const [name, value] of extra) fields.push(name, value);
      fields.push('x-secret', `s-${r}`);
      const block = encoder.encode(fields, [fields.length / 2 - 1]);
      socket.write(frame(HEADERS, END_STREAM | END_HEADERS, stream, block));

      let headerBlock: Buffer | null = null;
      while (headerBlock === null) {
        const f = await reader.next();
        if (f.type === GOAWAY) assert.fail(`server sent GOAWAY with error ${f.payload.readUInt32BE(4)}`);
        if (f.type === SETTINGS && (f.flags & ACK) === 0) {
          socket.write(frame(SETTINGS, ACK, 0, Buffer.alloc(0)));
          // A header table size in the server's SETTINGS: id 0x1.
          for (let o = 0; o + 6 <= f.payload.length; o += 6) {
            if (f.payload.readUInt16BE(o) === 0x1) encoder.setPeerMaxTableSize(f.payload.readUInt32BE(o + 2));
          }
        }
        if (f.type === HEADERS && f.stream === stream) {
          assert.equal(f.flags & 0x28, 0, 'no padding or priority from nghttp2');
          let payload = f.payload;
          let flags = f.flags;
          while ((flags & END_HEADERS) === 0) {
            const c = await reader.next();
            assert.equal(c.type, CONTINUATION);
            payload = Buffer.concat([payload, c.payload]);
            flags = c.flags;
          }
          headerBlock = payload;
        }
        assert.notEqual(f.type, DATA);
      }

      // What nghttp2 decoded from our block.
      const got = seen[r]!;
      assert.equal(got.headers[':path'], fields[5]);
      assert.equal(got.headers[':authority'], 'example.test');
      for (const [name, value] of extra) assert.equal(got.headers[name], value, `request ${r} ${name}`);
      assert.deepEqual(got.sensitive, ['x-secret'], `request ${r}: never-indexed reached nghttp2`);

      // What we decoded from nghttp2's block.
      const response = decoder.decode(headerBlock);
      const map = new Map<string, string>();
      for (let i = 0; i < response.length; i += 2) map.set(response[i]!, response[i + 1]!);
      assert.equal(map.get(':status'), '200');
      assert.equal(map.get('content-type'), 'application/grpc');
      for (const [name, value] of extra) assert.equal(map.get(name), value, `response ${r} ${name}`);
      assert.equal(map.get('x-secret-echo'), `s-${r}`);
      const secretField = response.indexOf('x-secret-echo') / 2;
      assert.ok(
        decoder.lastNeverIndexed.includes(secretField),
        `response ${r}: nghttp2's never-indexed field reported`,
      );
    }
    assert.ok(decoder.tableSize > 0, 'nghttp2 used its dynamic table');
  } finally {
    socket.destroy();
  }
});
