// The HTTP/2 forwarding path of the proxy (proxy/http/h2-forward.ts) as a real process on loopback,
// against node:http2 upstreams and clients: what the wire must keep whatever the path does to be
// cheap — a streamed response's head is not held until its body, a bodiless request goes out with
// END_STREAM on its HEADERS, trailers pass unchanged, bodies move both ways under flow control (a
// client that does not read holds the upstream back, an upstream that does not read holds the
// client back), a client's cancel resets the upstream stream (mid-response or mid-request) and an
// upstream's reset reaches the client.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  connect as connectH2,
  constants as h2,
  createServer as createH2Server,
  type ClientHttp2Session,
  type Http2Server,
  type ServerHttp2Stream,
} from 'node:http2';
import { createServer as createNetServer, connect as netConnect, type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../src/net/index.ts';
import { killAll, startDaemon, waitReady, type Daemon } from '../support/processes.ts';

/** Rejects when `p` has not settled within `ms` (a hang would otherwise only show as the test timeout). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

describe('nodemesh proxy: HTTP/2 forwarding', () => {
  let proxy: Daemon;
  let outbound: string;
  let upstream: Http2Server;
  let port: number;
  let client: ClientHttp2Session;
  /** What the upstream does with the next stream. */
  let handler: (stream: ServerHttp2Stream) => void = () => undefined;

  before(async () => {
    upstream = createH2Server();
    upstream.on('stream', (s) => {
      s.on('error', () => undefined);
      handler(s);
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    port = (upstream.address() as { port: number }).port;
    const [o, i, a] = [await freePort(), await freePort(), await freePort()];
    outbound = `127.0.0.1:${o}`;
    proxy = startDaemon(['proxy'], {
      NODEMESH_PROXY_IDENTITY_DISABLED: 'true',
      NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: outbound,
      NODEMESH_PROXY_INBOUND_LISTEN_ADDR: `127.0.0.1:${i}`,
      NODEMESH_PROXY_ADMIN_LISTEN_ADDR: `127.0.0.1:${a}`,
      NODEMESH_PROXY_CONTROL_LISTEN_ADDR: '127.0.0.1:0',
      NODEMESH_PROXY_SHUTDOWN_GRACE_PERIOD: '1s',
    });
    await waitReady(proxy, `http://127.0.0.1:${a}/ready`);
    client = connectH2(`http://${outbound}`);
    client.on('error', () => undefined);
  });

  after(async () => {
    client?.destroy();
    await proxy?.stop();
    killAll();
    upstream?.close();
  });

  const authority = (): string => `127.0.0.1:${port}`;

  test('1,200 gRPC-shaped exchanges finish on one upstream connection, and no finished stream is reset', async () => {
    // A relay in front of the upstream counts the RST_STREAM frames the proxy sends it: resetting
    // streams that already ended would spend the upstream's rapid-reset budget (nghttp2 ends the
    // connection after about 1,000).
    let rstFrames = 0;
    const relay = createNetServer((down) => {
      const up = netConnect(port, '127.0.0.1');
      let skip = 24; // the client preface
      let pending = Buffer.alloc(0);
      down.on('data', (d: Buffer) => {
        up.write(d);
        pending = Buffer.concat([pending, d]);
        if (skip > 0) {
          const n = Math.min(skip, pending.length);
          skip -= n;
          pending = pending.subarray(n);
        }
        while (pending.length >= 9) {
          const length = pending.readUIntBE(0, 3);
          if (pending.length < 9 + length) break;
          if (pending[3] === 3) rstFrames++;
          pending = pending.subarray(9 + length);
        }
      });
      up.on('data', (d: Buffer) => down.write(d));
      down.on('close', () => up.destroy());
      up.on('close', () => down.destroy());
      down.on('error', () => up.destroy());
      up.on('error', () => down.destroy());
    });
    relay.listen(0, '127.0.0.1');
    await once(relay, 'listening');
    const relayAuthority = `127.0.0.1:${(relay.address() as AddressInfo).port}`;
    const sessions = new Set<unknown>();
    handler = (s) => {
      sessions.add(s.session);
      s.on('data', () => undefined);
      s.once('end', () => {
        s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        s.once('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
        s.end(Buffer.from([0, 0, 0, 0, 2, 8, 1]));
      });
    };
    const one = async (): Promise<string | undefined> => {
      const req = client.request({
        ':method': 'POST',
        ':path': '/bench.Echo/Unary',
        ':authority': relayAuthority,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      let status: string | undefined;
      req.on('trailers', (t: Record<string, unknown>) => (status = String(t['grpc-status'])));
      req.end(Buffer.from([0, 0, 0, 0, 0]));
      req.resume();
      await within(once(req, 'close'), 10_000, 'an exchange');
      return status;
    };
    try {
      let ok = 0;
      for (let batch = 0; batch < 60; batch++) {
        const statuses = await Promise.all(Array.from({ length: 20 }, one));
        ok += statuses.filter((s) => s === '0').length;
      }
      assert.equal(ok, 1_200);
      assert.equal(rstFrames, 0, 'RST_STREAM frames sent upstream');
      assert.equal(sessions.size, 1, 'one upstream connection carried them all');
    } finally {
      relay.close();
    }
  });

  test('a streamed response reaches the client with its head before its body, then its trailers', async () => {
    let upstreamStream: ServerHttp2Stream | undefined;
    handler = (s) => {
      upstreamStream = s;
      s.respond({ ':status': 200, 'x-head': 'early' }, { waitForTrailers: true });
      s.once('wantTrailers', () => s.sendTrailers({ 'x-trailer': 'late', 'grpc-status': '0' }));
    };
    const req = client.request({ ':path': '/stream', ':authority': authority() });
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    const trailersSeen = once(req, 'trailers');
    const ended = once(req, 'end');
    // The upstream has sent nothing but its head: the client must see it now.
    const [head] = (await within(once(req, 'response'), 10_000, 'the response head')) as [Record<string, unknown>];
    assert.equal(head[':status'], 200);
    assert.equal(head['x-head'], 'early');
    assert.equal(body, '');
    upstreamStream!.write('first ');
    upstreamStream!.end('second');
    const [trailers] = (await within(trailersSeen, 10_000, 'the trailers')) as [Record<string, unknown>];
    await within(ended, 10_000, 'the end of the response');
    assert.equal(body, 'first second');
    assert.equal(trailers['x-trailer'], 'late');
    assert.equal(trailers['grpc-status'], '0');
  });

  test('a small response without trailers ends with END_STREAM; one with trailers keeps them', async () => {
    for (const withTrailers of [false, true]) {
      handler = (s) => {
        if (withTrailers) {
          s.respond({ ':status': 201 }, { waitForTrailers: true });
          s.once('wantTrailers', () => s.sendTrailers({ 'x-sum': '42' }));
        } else s.respond({ ':status': 201 });
        s.end('small');
      };
      const req = client.request({ ':path': '/small', ':authority': authority() });
      let body = '';
      let trailers: Record<string, unknown> | undefined;
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('trailers', (t: Record<string, unknown>) => (trailers = t));
      const response = once(req, 'response');
      const closed = once(req, 'close');
      const [head] = (await response) as [Record<string, unknown>];
      await within(closed, 10_000, 'the stream close');
      assert.equal(head[':status'], 201);
      assert.equal(body, 'small');
      assert.equal(req.rstCode, h2.NGHTTP2_NO_ERROR);
      assert.equal(trailers?.['x-sum'], withTrailers ? '42' : undefined);
    }
  });

  test('a request without a body goes upstream with END_STREAM on its HEADERS; one with a body arrives whole', async () => {
    handler = (s) => {
      const endAfterHeaders = s.endAfterHeaders;
      let bytes = 0;
      s.on('data', (d: Buffer) => (bytes += d.length));
      s.once('end', () => {
        s.respond({ ':status': 200 });
        s.end(JSON.stringify({ endAfterHeaders, bytes }));
      });
    };
    const ask = async (method: string, body: Buffer | undefined): Promise<unknown> => {
      const req = client.request(
        { ':method': method, ':path': '/body', ':authority': authority() },
        { endStream: body === undefined },
      );
      if (body !== undefined) req.end(body);
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      await within(once(req, 'end'), 10_000, 'the response');
      return JSON.parse(text);
    };
    assert.deepEqual(await ask('GET', undefined), { endAfterHeaders: true, bytes: 0 });
    assert.deepEqual(await ask('POST', Buffer.alloc(3 * 1024 * 1024, 1)), {
      endAfterHeaders: false,
      bytes: 3 * 1024 * 1024,
    });
  });

  test('a client that does not read holds the upstream back, and then gets every byte', async () => {
    const total = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 7);
    let queued = 0;
    let sent = 0;
    handler = (s) => {
      s.respond({ ':status': 200 });
      const pump = (): void => {
        while (queued < total) {
          queued += chunk.length;
          // Counted once node:http2 handed the chunk to the connection (flow control permitting).
          const ok = s.write(chunk, (err) => {
            if (err === null || err === undefined) sent += chunk.length;
          });
          if (!ok) return void s.once('drain', pump);
        }
        s.end();
      };
      pump();
    };
    const req = client.request({ ':path': '/big', ':authority': authority() });
    await once(req, 'response');
    req.pause();
    // Wait until the upstream stops making progress (bounded), then look how far it got.
    let last = -1;
    for (let i = 0, still = 0; i < 100 && still < 5; i++) {
      await new Promise((r) => setTimeout(r, 100));
      still = sent === last ? still + 1 : 0;
      last = sent;
    }
    assert.ok(sent < total / 4, `the upstream sent ${sent} bytes to a client that reads nothing`);
    let received = 0;
    req.on('data', (d: Buffer) => (received += d.length));
    const ended = once(req, 'end');
    req.resume();
    await within(ended, 60_000, 'the rest of the body');
    assert.equal(received, total);
  });

  test('large responses on several streams of one client connection all arrive whole', async () => {
    // Several streams wait for the client's socket at once; resuming them after 'drain' refills the
    // socket part-way through and puts the rest back in line (they once fell out of it and stalled).
    const size = 1024 * 1024;
    const body = Buffer.alloc(size, 3);
    handler = (s) => {
      s.respond({ ':status': 200, 'content-length': String(size) });
      s.end(body);
    };
    const fetchOne = async (): Promise<number> => {
      const req = client.request({ ':path': '/large', ':authority': authority() });
      let received = 0;
      req.on('data', (d: Buffer) => (received += d.length));
      await once(req, 'end');
      return received;
    };
    for (let round = 0; round < 3; round++) {
      const sizes = await within(
        Promise.all(Array.from({ length: 4 }, fetchOne)),
        30_000,
        `round ${round}: four 1 MiB responses on one connection`,
      );
      assert.deepEqual(sizes, [size, size, size, size]);
    }
  });

  test('an upstream that does not read the request body holds the client back, and then gets every byte', async () => {
    const total = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024);
    let upstreamStream: ServerHttp2Stream | undefined;
    let received = 0;
    let sum = 0;
    const upstreamEnded = new Promise<void>((resolve) => {
      handler = (s) => {
        upstreamStream = s;
        s.pause();
        s.on('data', (d: Buffer) => {
          // The byte at every 4 KiB of the body (chunks arrive cut anywhere).
          for (let i = (4096 - (received % 4096)) % 4096; i < d.length; i += 4096) sum = (sum + d[i]!) % 65_521;
          received += d.length;
        });
        s.once('end', () => {
          s.respond({ ':status': 200 });
          s.end(String(received));
          resolve();
        });
      };
    });
    const req = client.request({ ':method': 'POST', ':path': '/upload', ':authority': authority() });
    let written = 0;
    let sent = 0;
    let expectedSum = 0;
    const pump = (): void => {
      while (written < total) {
        // Every chunk differs, so a lost, repeated or reordered chunk changes the sum.
        chunk.fill((written / chunk.length) % 251);
        for (let i = 0; i < chunk.length; i += 4096) expectedSum = (expectedSum + chunk[i]!) % 65_521;
        written += chunk.length;
        const ok = req.write(Buffer.from(chunk), (err) => {
          if (err === null || err === undefined) sent += chunk.length;
        });
        if (!ok) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
    // Wait until the client stops making progress (bounded), then look how far it got.
    let last = -1;
    for (let i = 0, still = 0; i < 100 && still < 5; i++) {
      await new Promise((r) => setTimeout(r, 100));
      still = sent === last ? still + 1 : 0;
      last = sent;
    }
    assert.ok(upstreamStream !== undefined, 'the request reached the upstream');
    assert.ok(sent < total / 4, `the client sent ${sent} bytes to an upstream that reads nothing`);
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    const ended = once(req, 'end');
    upstreamStream.resume();
    await within(upstreamEnded, 60_000, 'the rest of the request body');
    await within(ended, 10_000, 'the response');
    assert.equal(received, total);
    assert.equal(sum, expectedSum);
    assert.equal(text, String(total));
  });

  test('a request body sent in pieces arrives in order and whole, ended by request trailers', async () => {
    handler = (s) => {
      let text = '';
      let trailers = false;
      s.on('data', (d: Buffer) => (text += d.toString()));
      s.once('trailers', () => (trailers = true));
      s.once('end', () => {
        s.respond({ ':status': 200 });
        s.end(JSON.stringify({ text, trailers }));
      });
    };
    const req = client.request(
      { ':method': 'POST', ':path': '/pieces', ':authority': authority() },
      { waitForTrailers: true },
    );
    req.once('wantTrailers', () => req.sendTrailers({ 'x-checksum': 'abc' }));
    for (const piece of ['one|', 'two|', 'three']) {
      req.write(piece);
      await new Promise((r) => setTimeout(r, 30));
    }
    req.end();
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    await within(once(req, 'end'), 10_000, 'the response');
    // Request trailers end the body; they are not forwarded (as with node:http2 before ADR 0020).
    assert.deepEqual(JSON.parse(text), { text: 'one|two|three', trailers: false });
  });

  test("a client's cancel in the middle of its request body resets the upstream stream", async () => {
    let firstPiece: () => void = () => undefined;
    const pieceArrived = new Promise<void>((resolve) => (firstPiece = resolve));
    const upstreamClosed = new Promise<number | undefined>((resolve) => {
      handler = (s) => {
        s.once('data', () => firstPiece());
        s.on('data', () => undefined);
        s.once('close', () => resolve(s.rstCode));
      };
    });
    const req = client.request({ ':method': 'POST', ':path': '/cancel-body', ':authority': authority() });
    req.on('error', () => undefined);
    req.write('the first part');
    await within(pieceArrived, 10_000, 'the first piece upstream');
    req.close(h2.NGHTTP2_CANCEL);
    assert.equal(await within(upstreamClosed, 10_000, 'the upstream close'), h2.NGHTTP2_CANCEL);
  });

  test("a client's cancel resets the upstream stream", async () => {
    const upstreamClosed = new Promise<number | undefined>((resolve) => {
      handler = (s) => {
        s.respond({ ':status': 200 });
        s.write('part');
        s.once('close', () => resolve(s.rstCode));
      };
    });
    const req = client.request({ ':path': '/cancel', ':authority': authority() });
    await within(once(req, 'data'), 10_000, 'the first chunk');
    req.close(h2.NGHTTP2_CANCEL);
    assert.equal(await within(upstreamClosed, 10_000, 'the upstream close'), h2.NGHTTP2_CANCEL);
  });

  test("an upstream's reset mid-response reaches the client as a reset with its code", async () => {
    handler = (s) => {
      s.respond({ ':status': 200 });
      // destroy() resets with INTERNAL_ERROR (close(code) would end the stream cleanly first).
      s.write('part', () => setImmediate(() => s.destroy(new Error('upstream failed'))));
    };
    const req = client.request({ ':path': '/reset', ':authority': authority() });
    req.on('error', () => undefined);
    req.on('data', () => undefined);
    // Not once(): it rejects on the 'error' this reset is expected to raise.
    const closed = new Promise<void>((resolve) => req.once('close', () => resolve()));
    await within(closed, 10_000, 'the client stream close');
    assert.equal(req.rstCode, h2.NGHTTP2_INTERNAL_ERROR);
  });
});
