import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { connect } from 'node:tls';
import { parseClientHello } from './client-hello.ts';

/** The first bytes a real Node TLS client sends for `servername`. */
async function realHello(servername?: string): Promise<Buffer> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const got = new Promise<Buffer>((resolve) =>
    server.once('connection', (s) => {
      const chunks: Buffer[] = [];
      s.on('data', (d: Buffer) => {
        chunks.push(d);
        const all = Buffer.concat(chunks);
        if (all.length >= 5 && all.length >= 5 + all.readUInt16BE(3)) {
          s.destroy();
          resolve(all);
        }
      });
    }),
  );
  const client = connect({ host: '127.0.0.1', port, ...(servername === undefined ? {} : { servername }) });
  client.on('error', () => undefined);
  const hello = await got;
  client.destroy();
  server.close();
  return hello;
}

describe('parseClientHello', () => {
  test('reads the SNI of a real ClientHello', async () => {
    const hello = await realHello('web.shop.serviceaccount.identity.nodemesh.cluster.local');
    assert.deepEqual(parseClientHello(hello), {
      kind: 'tls',
      sni: 'web.shop.serviceaccount.identity.nodemesh.cluster.local',
    });
  });

  test('asks for more bytes until the record is complete', async () => {
    const hello = await realHello('a.example');
    assert.equal(parseClientHello(hello.subarray(0, 3)), 'more');
    assert.equal(parseClientHello(hello.subarray(0, hello.length - 1)), 'more');
  });

  test('says not-TLS for plaintext protocols', () => {
    assert.deepEqual(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n')), { kind: 'not-tls' });
    assert.deepEqual(parseClientHello(Buffer.from('PRI * HTTP/2.0')), { kind: 'not-tls' });
  });

  test('never throws on truncated or corrupted records (bounded, seeded)', async () => {
    const hello = await realHello('b.example');
    let seed = 7;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 2000; i++) {
      const copy = Buffer.from(hello);
      for (let j = 0; j < 4; j++) copy[5 + Math.floor(rand() * (copy.length - 5))] = Math.floor(rand() * 256);
      const verdict = parseClientHello(copy);
      assert.ok(verdict === 'more' || verdict.kind === 'tls');
    }
  });
});
