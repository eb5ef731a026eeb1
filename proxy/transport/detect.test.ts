import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { classify, detect } from './detect.ts';
import { decodeSockaddr, plainAddress } from './original-dst.ts';

describe('classify', () => {
  const cases: [string, string | Buffer, string][] = [
    ['the HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'h2'],
    ['half of the HTTP/2 preface', 'PRI * HTTP/2.0\r\n', 'more'],
    ['an HTTP/1.1 request line', 'GET /index.html HTTP/1.1\r\nHost: x\r\n', 'http1'],
    ['an HTTP/1.0 request line with LF only', 'POST / HTTP/1.0\n', 'http1'],
    ['a request line not yet ended', 'GET /long/path', 'more'],
    ['a TLS ClientHello', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]), 'opaque'],
    ['a Redis command', '*1\r\n$4\r\nPING\r\n', 'opaque'],
    ['a line that is not HTTP', 'HELLO world\r\n', 'opaque'],
    ['a method with a space and no version', 'GET /\r\n', 'opaque'],
  ];
  for (const [name, input, expected] of cases) {
    test(`reads ${name} as ${expected}`, () => {
      const verdict = classify(Buffer.isBuffer(input) ? input : Buffer.from(input));
      assert.equal(verdict === 'more' ? 'more' : verdict.kind, expected);
    });
  }

  test('gives up on HTTP after maxBytes without a line end', () => {
    const verdict = classify(Buffer.from(`GET /${'a'.repeat(2000)}`), 1024);
    assert.notEqual(verdict, 'more');
    assert.equal(verdict !== 'more' && verdict.kind, 'opaque');
  });

  test('never throws on random bytes (bounded, seeded)', () => {
    let seed = 42;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
      classify(bytes);
    }
  });
});

describe('detect', () => {
  let server: ReturnType<typeof createServer>;
  let port = 0;
  const accepted: Socket[] = [];
  before(async () => {
    server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (s) => accepted.push(s));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    for (const s of accepted) s.destroy();
    server.close();
  });

  async function accept(write: (c: Socket) => void): Promise<{ server: Socket; client: Socket }> {
    const n = accepted.length;
    const client = connect(port, '127.0.0.1');
    await once(client, 'connect');
    write(client);
    for (let i = 0; i < 100 && accepted.length === n; i++) await new Promise((r) => setTimeout(r, 10));
    const s = accepted[n];
    assert.ok(s !== undefined);
    return { server: s, client };
  }

  test('detects a preface split across writes and leaves every byte for the next reader', async () => {
    const { server: s, client } = await accept((c) => {
      c.write('PRI * HTTP/2.0\r\n');
      setTimeout(() => c.write('\r\nSM\r\n\r\nrest'), 30);
    });
    const result = await detect(s, { timeoutMs: 5000 });
    assert.equal(result.kind, 'h2');
    s.resume();
    const [data] = (await once(s, 'data')) as [Buffer];
    assert.equal(data.toString(), 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nrest');
    client.destroy();
  });

  test('times out to opaque when the client says nothing', async () => {
    const { server: s, client } = await accept(() => undefined);
    const result = await detect(s, { timeoutMs: 50 });
    assert.deepEqual(result, { kind: 'opaque', reason: 'timeout' });
    client.destroy();
  });

  test('returns the bytes when the client half-closes mid-detection', async () => {
    const { server: s, client } = await accept((c) => c.end('GET /x'));
    const result = await detect(s, { timeoutMs: 5000 });
    assert.equal(result.kind, 'opaque-ended');
    assert.equal(result.kind === 'opaque-ended' && result.bytes.toString(), 'GET /x');
    client.destroy();
  });
});

describe('decodeSockaddr', () => {
  test('reads sockaddr_in and sockaddr_in6 with big-endian ports', () => {
    const v4 = Buffer.alloc(16);
    v4.writeUInt16LE(2, 0);
    v4.writeUInt16BE(8080, 2);
    v4.set([10, 1, 2, 3], 4);
    assert.deepEqual(decodeSockaddr(v4), { host: '10.1.2.3', port: 8080 });
    const v6 = Buffer.alloc(28);
    v6.writeUInt16LE(10, 0);
    v6.writeUInt16BE(443, 2);
    v6.writeUInt16BE(0x2001, 8);
    v6.writeUInt16BE(0x0db8, 10);
    v6.writeUInt16BE(1, 22);
    assert.deepEqual(decodeSockaddr(v6), { host: '2001:db8::1', port: 443 });
    assert.equal(decodeSockaddr(Buffer.alloc(16)), undefined);
  });

  test('strips the IPv4-mapped prefix only from mapped addresses', () => {
    assert.equal(plainAddress('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(plainAddress('::1'), '::1');
  });
});
