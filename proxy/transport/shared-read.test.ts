import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import {
  connect as connectTls,
  createServer as createTlsServer,
  type Server as TlsServer,
  type TLSSocket,
} from 'node:tls';
import { createTestCa, createTestWorkload } from '../../src/testing/index.ts';
import { Issuer, certificatesToPem, exportPrivateKeyPem } from '../../src/tls/index.ts';
import { isShared, readShared, releaseShared, sharedReadSupported, SHARED_READ } from './shared-read.ts';

const servers: (Server | TlsServer)[] = [];
after(() => {
  for (const s of servers) s.close();
});

/** A loopback server; resolves a connected client and the accepted socket, paused as the proxy's are. */
async function pair(): Promise<{ client: Socket; accepted: Socket }> {
  const server = createServer({ pauseOnConnect: true });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(client, 'connect');
  const [socket] = await accepted;
  return { client, accepted: socket };
}

/** Collects copies of what onData gets, and whether each chunk was a view of the shared buffer. */
function collector(): { chunks: Buffer[]; shared: boolean[]; onData: (chunk: Buffer) => void; text: () => string } {
  const chunks: Buffer[] = [];
  const shared: boolean[] = [];
  return {
    chunks,
    shared,
    onData: (chunk) => {
      shared.push(isShared(chunk));
      chunks.push(Buffer.from(chunk));
    },
    text: () => Buffer.concat(chunks).toString('latin1'),
  };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('this Node lets accepted sockets read into the shared buffer (else the proxy silently runs slower)', () => {
  assert.equal(sharedReadSupported(), true);
});

test('an accepted socket reads through the shared buffer, every byte in order', async () => {
  const { client, accepted } = await pair();
  const got = collector();
  assert.equal(readShared(accepted, got.onData), true);
  accepted.resume();
  let expected = '';
  for (let i = 0; i < 50; i++) {
    const piece = `piece ${i};`.repeat(1 + (i % 7));
    expected += piece;
    client.write(piece);
    if (i % 10 === 0) await new Promise((r) => setImmediate(r));
  }
  await until(() => got.text().length >= expected.length, 'all bytes');
  assert.equal(got.text(), expected);
  assert.ok(got.shared.every(Boolean), 'every read came through the shared buffer');
  client.destroy();
  accepted.destroy();
});

test('bytes the stream held before the switch come first, before later reads and before the end', async () => {
  const { client, accepted } = await pair();
  // As protocol detection leaves a socket: its first bytes pushed back, the socket paused.
  accepted.unshift(Buffer.from('GET / HTTP/1.1\r\n'));
  const got = collector();
  const events: string[] = [];
  readShared(accepted, (chunk) => {
    events.push('data');
    got.onData(chunk);
  });
  accepted.on('end', () => events.push('end'));
  assert.equal(events.length, 0, 'nothing is delivered while the caller is still setting up');
  accepted.resume();
  client.end('Host: h\r\n\r\n');
  await until(() => events.includes('end'), 'the end');
  assert.equal(got.text(), 'GET / HTTP/1.1\r\nHost: h\r\n\r\n');
  assert.equal(got.shared[0], false, 'the held bytes are the stream’s own buffer');
  assert.equal(events.at(-1), 'end');
  accepted.destroy();
});

test('pause() stops reads and resume() restarts them', async () => {
  const { client, accepted } = await pair();
  const got = collector();
  readShared(accepted, got.onData);
  accepted.resume();
  client.write('one');
  await until(() => got.text() === 'one', 'the first write');
  accepted.pause();
  client.write('two');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(got.text(), 'one', 'a paused socket delivers nothing');
  accepted.resume();
  await until(() => got.text() === 'onetwo', 'the second write after resume');
  client.destroy();
  accepted.destroy();
});

test('releaseShared hands the socket back to stream reads with chunks of its own', async () => {
  const { client, accepted } = await pair();
  const other = await pair();
  const got = collector();
  readShared(accepted, got.onData);
  readShared(other.accepted, () => {});
  accepted.resume();
  other.accepted.resume();
  client.write('before');
  await until(() => got.text() === 'before', 'the shared read');
  releaseShared(accepted);
  const kept: Buffer[] = [];
  accepted.on('data', (chunk: Buffer) => kept.push(chunk));
  client.write('after-1');
  await until(() => Buffer.concat(kept).toString() === 'after-1', 'a stream read');
  // Another socket's read overwrites the shared buffer; the released socket's chunks are unchanged.
  other.client.write('x'.repeat(1000));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(Buffer.concat(kept).toString(), 'after-1');
  assert.ok(kept.every((c) => !isShared(c)));
  assert.equal(got.text(), 'before', 'the shared callback gets nothing after the release');
  // Backpressure works as for any stream: pipe a large upload through a paused consumer.
  accepted.pause();
  const big = Buffer.alloc(8 << 20, 7);
  client.write(big);
  await new Promise((r) => setTimeout(r, 50));
  accepted.resume();
  await until(() => Buffer.concat(kept).length === 'after-1'.length + big.length, 'the large upload');
  assert.ok(Buffer.concat(kept).subarray('after-1'.length).equals(big));
  for (const s of [client, accepted, other.client, other.accepted]) s.destroy();
});

test('a socket that is neither TCP nor TLS (a UNIX socket) is read the stream way', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-shared-read-'));
  try {
    const server = createServer();
    servers.push(server);
    const sock = path.join(dir, 's.sock');
    server.listen(sock);
    await once(server, 'listening');
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const client = connect(sock);
    const [socket] = await accepted;
    const got = collector();
    assert.equal(readShared(socket, got.onData), false);
    client.write('over a unix socket');
    await until(() => got.text() === 'over a unix socket', 'the bytes');
    assert.ok(got.shared.every((s) => !s));
    client.destroy();
    socket.destroy();
    server.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('TLS sockets, accepted and connected, read their decrypted bytes through the shared buffer', async () => {
  const ca = await createTestCa();
  const name = 'web.ns.serviceaccount.identity.nodemesh.cluster.local';
  const workload = await createTestWorkload(name);
  const issued = new Issuer({
    material: { certificate: ca.issuer.certificate, privateKey: ca.issuer.privateKey },
    trustBundle: ca.trust,
  }).issueFromCsr(workload.csr, name);
  const server = createTlsServer({
    cert: certificatesToPem([issued.leaf, ...issued.intermediates]),
    key: exportPrivateKeyPem(workload.keys.privateKey),
    pauseOnConnect: true,
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'secureConnection') as Promise<[TLSSocket]>;
  const client = connectTls({
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    servername: name,
    ca: ca.trust.pem,
  });
  await once(client, 'secureConnect');
  const [socket] = await accepted;
  const atServer = collector();
  const atClient = collector();
  assert.equal(readShared(socket, atServer.onData), true);
  assert.equal(readShared(client, atClient.onData), true);
  // More than the shared buffer holds, so one TLS read spans several callbacks.
  const big = Buffer.alloc(200 * 1024, 7);
  client.write('hello ');
  client.write(big);
  await until(() => Buffer.concat(atServer.chunks).length === 6 + big.length, 'the bytes at the server');
  assert.ok(Buffer.concat(atServer.chunks).equals(Buffer.concat([Buffer.from('hello '), big])));
  assert.ok(atServer.shared.every((s) => s));
  socket.write('and back');
  await until(() => atClient.text() === 'and back', 'the bytes at the client');
  assert.ok(atClient.shared.every((s) => s));
  const ended = once(socket, 'end');
  client.end();
  await ended;
  socket.destroy();
  client.destroy();
});

test('isShared tells views of the shared buffer from other buffers', () => {
  assert.equal(isShared(SHARED_READ.subarray(3, 9)), true);
  assert.equal(isShared(Buffer.from(SHARED_READ.subarray(0, 4))), false);
  assert.equal(isShared(Buffer.allocUnsafe(10)), false);
});
