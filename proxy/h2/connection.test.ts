// H2Connection against real HTTP/2 implementations on loopback: node:http2 clients and servers,
// curl and h2load, and hand-built frames for what a well-behaved peer never sends.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import http2 from 'node:http2';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { H2_ERROR } from './errors.ts';
import { fieldValue } from './fields.ts';
import { H2Connection, type H2ConnectionHandler, type H2ConnectionOptions } from './connection.ts';
import { CLIENT_PREFACE, FRAME_GOAWAY, FRAME_RST_STREAM, FRAME_SETTINGS, FLAG_ACK } from './frame-types.ts';
import { headersFrames, pingFrame, rstStreamFrame, settingsFrame } from './frame-writer.ts';
import { HpackEncoder } from './hpack/index.ts';
import type { H2Stream } from './stream.ts';
import { promisify } from 'node:util';

const run = promisify(execFile);

interface TestServer {
  readonly port: number;
  readonly connections: H2Connection[];
  readonly streamErrors: { id: number; code: number; message: string }[];
  close(): Promise<void>;
}

/** A server whose every connection is an H2Connection answering a few paths. */
async function startServer(opts: Partial<H2ConnectionOptions> = {}): Promise<TestServer> {
  const connections: H2Connection[] = [];
  const streamErrors: { id: number; code: number; message: string }[] = [];
  const handler: H2ConnectionHandler = {
    stream: (stream, fields, endStream) => serve(stream, fields, endStream),
    streamError: (id, code, message) => streamErrors.push({ id, code, message }),
  };
  const server = net.createServer((socket) => {
    const conn = new H2Connection(socket, handler, { role: 'server', ...opts });
    connections.push(conn);
    conn.start();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    connections,
    streamErrors,
    close: async () => {
      for (const c of connections) c.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** /hello: a small body; /echo: the request body back, then trailers; /trailers-only: grpc-status in the head. */
function serve(stream: H2Stream, fields: string[], endStream: boolean): void {
  const path = fieldValue(fields, ':path');
  if (path === '/trailers-only') {
    stream.respond([':status', '200', 'content-type', 'application/grpc', 'grpc-status', '7'], true);
    return;
  }
  if (path === '/echo') {
    stream.respond([':status', '200', 'x-method', fieldValue(fields, ':method') ?? '']);
    if (endStream) {
      stream.end(undefined, ['x-trailer', 'done']);
      return;
    }
    stream.handler = {
      headers: (trailers) =>
        stream.end(undefined, ['x-trailer', 'done', 'x-echoed', fieldValue(trailers, 'x-request-trailer') ?? '']),
      data: (chunk, end) => {
        // Copy: the chunk is a slice of the read buffer. Credit goes back once written.
        stream.write(Buffer.from(chunk));
        stream.consumed(chunk.length);
        if (end) stream.end(undefined, ['x-trailer', 'done']);
      },
      reset: () => undefined,
    };
    return;
  }
  stream.respond([':status', '200', 'content-type', 'text/plain', 'content-length', '6']);
  stream.end(Buffer.from('hello\n'));
}

async function nodeRequest(
  port: number,
  headers: http2.OutgoingHttpHeaders,
  body?: Buffer,
): Promise<{ headers: http2.IncomingHttpHeaders; body: Buffer; trailers: http2.IncomingHttpHeaders }> {
  const client = http2.connect(`http://127.0.0.1:${port}`);
  try {
    const req = client.request(headers, { endStream: body === undefined });
    let trailers: http2.IncomingHttpHeaders = {};
    req.on('trailers', (t: http2.IncomingHttpHeaders) => {
      trailers = t;
    });
    if (body !== undefined) req.end(body);
    const [head] = (await once(req, 'response')) as [http2.IncomingHttpHeaders];
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return { headers: head, body: Buffer.concat(chunks), trailers };
  } finally {
    client.close();
  }
}

describe('H2Connection as a server', () => {
  const servers: TestServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });

  it('answers a node:http2 client: head, body, trailers-only responses', async () => {
    const server = await startServer();
    servers.push(server);
    const hello = await nodeRequest(server.port, { ':path': '/hello' });
    assert.equal(hello.headers[':status'], 200);
    assert.equal(hello.body.toString(), 'hello\n');
    const grpc = await nodeRequest(server.port, { ':path': '/trailers-only', ':method': 'POST' }, Buffer.alloc(0));
    assert.equal(grpc.headers['grpc-status'], '7');
  });

  it('streams a 5 MiB body both ways under flow control, with trailers', async () => {
    const server = await startServer();
    servers.push(server);
    const body = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32BE(i, i);
    const res = await nodeRequest(server.port, { ':path': '/echo', ':method': 'POST' }, body);
    assert.equal(res.headers['x-method'], 'POST');
    assert.equal(res.body.length, body.length);
    assert.ok(res.body.equals(body), 'echoed body differs');
    assert.equal(res.trailers['x-trailer'], 'done');
  });

  it('serves many concurrent streams on one connection', async () => {
    const server = await startServer();
    servers.push(server);
    const client = http2.connect(`http://127.0.0.1:${server.port}`);
    try {
      const results = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const req = client.request({ ':path': '/echo', ':method': 'POST' });
          req.end(Buffer.from(`request ${i}`));
          const chunks: Buffer[] = [];
          for await (const chunk of req) chunks.push(chunk as Buffer);
          return Buffer.concat(chunks).toString();
        }),
      );
      results.forEach((r, i) => assert.equal(r, `request ${i}`));
      assert.equal(server.connections.length, 1);
    } finally {
      client.close();
    }
  });

  it('works with curl --http2-prior-knowledge', async () => {
    const server = await startServer();
    servers.push(server);
    const { stdout: out } = await run('curl', [
      '-sS',
      '--max-time',
      '20',
      '--http2-prior-knowledge',
      '-D',
      '-',
      `http://127.0.0.1:${server.port}/hello`,
    ]);
    assert.match(out, /^HTTP\/2 200/);
    assert.match(out, /hello\n$/);
  });

  it('serves every request h2load sends', async () => {
    const server = await startServer();
    servers.push(server);
    const { stdout: out } = await run('h2load', [
      '-n',
      '2000',
      '-c',
      '4',
      '-m',
      '20',
      `http://127.0.0.1:${server.port}/hello`,
    ]);
    assert.match(out, /requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored/);
  });
});

/** A raw client: sends bytes, collects the frames the server sends back (type, flags, stream, payload). */
/** The RST_STREAM frames among `frames`, as [stream, error code]. */
function resets(frames: readonly { type: number; stream: number; payload: Buffer }[]): [number, number][] {
  return frames.filter((f) => f.type === FRAME_RST_STREAM).map((f) => [f.stream, f.payload.readUInt32BE(0)]);
}

async function rawClient(port: number): Promise<{
  socket: net.Socket;
  frames: { type: number; flags: number; stream: number; payload: Buffer }[];
  closed: Promise<unknown>;
  waitFor(pred: (f: { type: number; flags: number; stream: number; payload: Buffer }) => boolean): Promise<void>;
}> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const frames: { type: number; flags: number; stream: number; payload: Buffer }[] = [];
  let buf = Buffer.alloc(0);
  const waiters: { pred: (f: (typeof frames)[number]) => boolean; resolve: () => void }[] = [];
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 9) {
      const len = buf.readUIntBE(0, 3);
      if (buf.length < 9 + len) break;
      const f = {
        type: buf[3]!,
        flags: buf[4]!,
        stream: buf.readUInt32BE(5) & 0x7fffffff,
        payload: buf.subarray(9, 9 + len),
      };
      frames.push(f);
      buf = buf.subarray(9 + len);
      for (const w of [...waiters]) {
        if (!w.pred(f)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  const closed = once(socket, 'close');
  socket.write(Buffer.concat([CLIENT_PREFACE, settingsFrame([])]));
  return {
    socket,
    frames,
    closed,
    waitFor: (pred) =>
      frames.some(pred)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            waiters.push({ pred, resolve });
            socket.once('close', () => reject(new Error('closed before the expected frame')));
          }),
  };
}

describe('H2Connection against a misbehaving client', () => {
  const servers: TestServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });

  it('resets a malformed request and keeps serving the connection', async () => {
    const server = await startServer();
    servers.push(server);
    const c = await rawClient(server.port);
    const enc = new HpackEncoder();
    const base = [':method', 'GET', ':scheme', 'http', ':path', '/hello', ':authority', 'x'];
    c.socket.write(headersFrames(1, enc.encode([...base, 'connection', 'keep-alive']), true, 16384));
    c.socket.write(headersFrames(3, enc.encode([...base, 'x-bad', 'a\nb']), true, 16384));
    c.socket.write(headersFrames(5, enc.encode(base), true, 16384));
    await c.waitFor((f) => f.stream === 5 && (f.flags & 1) === 1);
    assert.deepEqual(resets(c.frames), [
      [1, H2_ERROR.PROTOCOL_ERROR],
      [3, H2_ERROR.PROTOCOL_ERROR],
    ]);
    assert.equal(server.streamErrors.length, 2);
    assert.match(server.streamErrors[0]!.message, /connection-specific field connection/);
    c.socket.destroy();
  });

  it('refuses a malformed field again when a later request names its dynamic-table entry by index', async () => {
    const server = await startServer();
    servers.push(server);
    const c = await rawClient(server.port);
    // :method GET, :scheme http, :path / (static), :authority x (literal, not indexed).
    const base = Buffer.from([0x82, 0x86, 0x84, 0x01, 0x01, 0x78]);
    // x-bad: "a\nb" as a literal with incremental indexing: it enters the table as entry 62.
    const bad = Buffer.concat([Buffer.from([0x40, 5]), Buffer.from('x-bad'), Buffer.from([3]), Buffer.from('a\nb')]);
    c.socket.write(headersFrames(1, Buffer.concat([base, bad]), true, 16384));
    c.socket.write(headersFrames(3, Buffer.concat([base, Buffer.from([0x80 | 62])]), true, 16384));
    c.socket.write(headersFrames(5, base, true, 16384));
    await c.waitFor((f) => f.stream === 5 && (f.flags & 1) === 1);
    assert.deepEqual(resets(c.frames), [
      [1, H2_ERROR.PROTOCOL_ERROR],
      [3, H2_ERROR.PROTOCOL_ERROR],
    ]);
    assert.deepEqual(
      server.streamErrors.map((e) => [e.id, e.message]),
      [
        [1, 'x-bad: value with NUL, CR or LF'],
        [3, 'x-bad: value with NUL, CR or LF'],
      ],
    );
    c.socket.destroy();
  });

  it('answers 431 to a header list over the limit, and the HPACK state stays in sync', async () => {
    const server = await startServer({ maxHeaderListSize: 1024 });
    servers.push(server);
    const c = await rawClient(server.port);
    const enc = new HpackEncoder();
    const base = [':method', 'GET', ':scheme', 'http', ':path', '/hello', ':authority', 'x'];
    c.socket.write(
      headersFrames(1, enc.encode([...base, 'x-big', 'v'.repeat(2000), 'x-indexed', 'kept']), true, 16384),
    );
    c.socket.write(headersFrames(3, enc.encode([...base, 'x-indexed', 'kept']), true, 16384));
    await c.waitFor((f) => f.stream === 3 && (f.flags & 1) === 1);
    const heads = c.frames.filter((f) => f.type === 1);
    assert.equal(heads.length, 2);
    // Stream 1 got a 431 (":status: 431" is static index 0 name ":status" with literal value, so look at the bytes).
    assert.ok(heads[0]!.stream === 1 && heads[0]!.payload.includes(Buffer.from('431')), '431 expected on stream 1');
    c.socket.destroy();
  });

  it('refuses streams beyond maxConcurrentStreams with REFUSED_STREAM', async () => {
    const server = await startServer({ maxConcurrentStreams: 2 });
    servers.push(server);
    const c = await rawClient(server.port);
    const enc = new HpackEncoder();
    // /echo without END_STREAM keeps each stream open.
    const base = [':method', 'POST', ':scheme', 'http', ':path', '/echo', ':authority', 'x'];
    for (const id of [1, 3, 5]) c.socket.write(headersFrames(id, enc.encode(base), false, 16384));
    await c.waitFor((f) => f.type === FRAME_RST_STREAM && f.stream === 5);
    const rst = c.frames.find((f) => f.type === FRAME_RST_STREAM && f.stream === 5)!;
    assert.equal(rst.payload.readUInt32BE(0), H2_ERROR.REFUSED_STREAM);
    c.socket.destroy();
  });

  it('ends a rapid-reset flood with GOAWAY(ENHANCE_YOUR_CALM)', async () => {
    const server = await startServer({ resetBurst: 50, resetRatePerSecond: 1 });
    servers.push(server);
    const c = await rawClient(server.port);
    const enc = new HpackEncoder();
    const base = [':method', 'POST', ':scheme', 'http', ':path', '/echo', ':authority', 'x'];
    const frames: Buffer[] = [];
    for (let id = 1; id < 400; id += 2)
      frames.push(headersFrames(id, enc.encode(base), false, 16384), rstStreamFrame(id, H2_ERROR.CANCEL));
    c.socket.write(Buffer.concat(frames));
    await c.waitFor((f) => f.type === FRAME_GOAWAY);
    const goaway = c.frames.find((f) => f.type === FRAME_GOAWAY)!;
    assert.equal(goaway.payload.readUInt32BE(4), H2_ERROR.ENHANCE_YOUR_CALM);
    await c.closed;
  });

  it('ends a connection that does not start with the preface', async () => {
    const server = await startServer();
    servers.push(server);
    const socket = net.connect(server.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    await once(socket, 'close');
    const all = Buffer.concat(chunks);
    // Our SETTINGS, then GOAWAY(PROTOCOL_ERROR).
    const goawayAt = all.indexOf(Buffer.from([FRAME_GOAWAY, 0, 0, 0, 0, 0]), 0);
    assert.ok(goawayAt > 0, 'GOAWAY expected');
    assert.equal(all.readUInt32BE(goawayAt + 10), H2_ERROR.PROTOCOL_ERROR);
  });

  it('acknowledges SETTINGS and resets a body that differs from its content-length', async () => {
    const server = await startServer();
    servers.push(server);
    const c = await rawClient(server.port);
    await c.waitFor((f) => f.type === FRAME_SETTINGS && (f.flags & FLAG_ACK) === FLAG_ACK);
    const enc = new HpackEncoder();
    const head = [':method', 'POST', ':scheme', 'http', ':path', '/echo', ':authority', 'x', 'content-length', '10'];
    const data = Buffer.concat([Buffer.from([0, 0, 3, 0, 1, 0, 0, 0, 1]), Buffer.from('abc')]);
    c.socket.write(Buffer.concat([headersFrames(1, enc.encode(head), false, 16384), data]));
    await c.waitFor((f) => f.type === FRAME_RST_STREAM && f.stream === 1);
    assert.match(server.streamErrors[0]!.message, /content-length/);
    c.socket.destroy();
  });
});

describe('H2Connection as a client', () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of closers) await c();
  });

  async function nodeServer(): Promise<number> {
    const server = http2.createServer();
    server.on('stream', (stream, headers) => {
      const path = headers[':path'];
      if (path === '/reset') {
        stream.on('error', () => undefined); // node reports its own reset as an error on the stream
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      if (path === '/echo') {
        stream.respond({ ':status': 201, 'x-seen': String(headers['x-request'] ?? '') }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.pipe(stream);
        return;
      }
      stream.respond({ ':status': 200, 'content-length': '2' });
      stream.end('ok');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(async () => {
      server.close();
      await once(server, 'close');
    });
    return (server.address() as net.AddressInfo).port;
  }

  async function connect(port: number): Promise<H2Connection> {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const conn = new H2Connection(socket, {}, { role: 'client' });
    conn.start();
    closers.push(() => {
      conn.destroy();
      return Promise.resolve();
    });
    return conn;
  }

  function exchange(
    conn: H2Connection,
    fields: string[],
    body?: Buffer,
  ): Promise<{ head: string[]; body: Buffer; trailers: string[] | undefined }> {
    return new Promise((resolve, reject) => {
      const stream = conn.request(fields, body === undefined);
      let head: string[] = [];
      let trailers: string[] | undefined;
      const chunks: Buffer[] = [];
      stream.handler = {
        headers: (f, end) => {
          if (head.length === 0) head = f;
          else trailers = f;
          if (end) resolve({ head, body: Buffer.concat(chunks), trailers });
        },
        data: (chunk, end) => {
          chunks.push(Buffer.from(chunk));
          stream.consumed(chunk.length);
          if (end) resolve({ head, body: Buffer.concat(chunks), trailers });
        },
        reset: (code, err) => reject(Object.assign(err ?? new Error('reset'), { h2: code })),
      };
      if (body !== undefined) stream.end(body);
    });
  }

  const get = (path: string): string[] => [
    ':method',
    'GET',
    ':scheme',
    'http',
    ':path',
    path,
    ':authority',
    'localhost',
  ];

  it('requests from a node:http2 server, streams a body both ways with trailers', async () => {
    const conn = await connect(await nodeServer());
    const ok = await exchange(conn, get('/'));
    assert.equal(fieldValue(ok.head, ':status'), '200');
    assert.equal(ok.body.toString(), 'ok');
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    const echo = await exchange(
      conn,
      [':method', 'POST', ':scheme', 'http', ':path', '/echo', ':authority', 'localhost', 'x-request', 'r1'],
      body,
    );
    assert.equal(fieldValue(echo.head, ':status'), '201');
    assert.equal(fieldValue(echo.head, 'x-seen'), 'r1');
    assert.ok(echo.body.equals(body));
    assert.deepEqual(echo.trailers, ['grpc-status', '0']);
  });

  it('reports a stream the server resets, and goes on with the next', async () => {
    const conn = await connect(await nodeServer());
    await assert.rejects(
      exchange(conn, get('/reset')),
      (err: Error & { h2?: number }) => err.h2 === H2_ERROR.REFUSED_STREAM,
    );
    const ok = await exchange(conn, get('/'));
    assert.equal(ok.body.toString(), 'ok');
  });

  it('sends no RST_STREAM for a stream both sides ended, even when reset() is called from its handler', async () => {
    // A raw server: answers every request with HEADERS + END_STREAM and records frame types.
    const received: number[] = [];
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      const enc = new HpackEncoder();
      socket.write(settingsFrame([]));
      let buf = Buffer.alloc(0);
      let skip = CLIENT_PREFACE.length;
      socket.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (skip > 0) {
          const n = Math.min(skip, buf.length);
          skip -= n;
          buf = buf.subarray(n);
        }
        while (buf.length >= 9) {
          const len = buf.readUIntBE(0, 3);
          if (buf.length < 9 + len) break;
          const type = buf[3]!;
          received.push(type);
          if (type === 1)
            socket.write(headersFrames(buf.readUInt32BE(5) & 0x7fffffff, enc.encode([':status', '204']), true, 16384));
          if (type === 6 && (buf[4]! & FLAG_ACK) === 0) socket.write(pingFrame(buf.subarray(9, 17), true));
          buf = buf.subarray(9 + len);
        }
      });
      socket.on('error', () => undefined);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    });
    const conn = await connect((server.address() as net.AddressInfo).port);
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        const stream = conn.request(get('/'), true);
        stream.handler = {
          headers: (_fields, end) => {
            assert.equal(end, true);
            stream.reset(); // both sides ended: nothing to reset
            resolve();
          },
          data: () => undefined,
          reset: (code) => reject(new Error(`reset ${code}`)),
        };
      });
    }
    // A PING round trip: every frame the client sent before it has reached the server.
    await new Promise<void>((resolve) => conn.ping(resolve));
    assert.equal(received.filter((t) => t === FRAME_RST_STREAM).length, 0);
    assert.equal(received.filter((t) => t === 1).length, 3);
    assert.equal(conn.activeStreams, 0);
  });

  it('resets every open stream when the connection drops', async () => {
    const server = net.createServer((s) => {
      s.once('data', () => s.destroy());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(async () => {
      server.close();
      await once(server, 'close');
    });
    const conn = await connect((server.address() as net.AddressInfo).port);
    await assert.rejects(exchange(conn, get('/')), /closed|reset|ECONNRESET/);
    assert.equal(conn.closed, true);
    assert.equal(conn.availableStreams, 0);
  });
});
