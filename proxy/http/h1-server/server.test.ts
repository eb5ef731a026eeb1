// The proxy's HTTP/1 server on a real loopback socket, driven with raw bytes: framing of
// responses, keep-alive and pipelining, bodies (read, backpressured, discarded), upgrades, refusals,
// client hang-ups and deadlines.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { H1Server, type H1ServerRequest, type H1ServerResponse } from './server.ts';

type Handler = (req: H1ServerRequest, res: H1ServerResponse) => void;

interface Harness {
  readonly port: number;
  handler: Handler;
  readonly errors: string[];
  readonly upgrades: { req: H1ServerRequest; socket: Socket; head: Buffer }[];
  readonly h1: H1Server;
}

/** Sends `bytes`, reads until `done(answer)` or the connection closes (2 s at most). */
async function exchange(port: number, bytes: string, done: (answer: string) => boolean = () => false): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  socket.setEncoding('latin1');
  let answer = '';
  socket.on('error', () => undefined);
  const finished = new Promise<void>((resolve) => {
    socket.on('data', (d: string) => {
      answer += d;
      if (done(answer)) resolve();
    });
    socket.on('close', () => resolve());
  });
  socket.write(bytes, 'latin1');
  await Promise.race([finished, new Promise((r) => setTimeout(r, 2000))]);
  socket.destroy();
  return answer;
}

const responses = (answer: string): number => answer.split('HTTP/1.1 ').length - 1;

describe('H1Server', () => {
  let server: Server;
  const h: Harness = {
    port: 0,
    handler: () => undefined,
    errors: [],
    upgrades: [],
    h1: new H1Server(
      {
        maxHeaders: 100,
        maxHeaderBytes: 16_384,
        headersTimeoutMs: 200,
        keepAliveTimeoutMs: 300,
        bodyIdleTimeoutMs: 200,
      },
      {
        request: (req, res) => h.handler(req, res),
        upgrade: (req, socket, head) => {
          h.upgrades.push({ req, socket, head });
          socket.end('HTTP/1.1 101 Switching Protocols\r\n\r\nupgraded');
        },
        clientError: (code) => h.errors.push(code),
      },
    ),
  };

  before(async () => {
    server = createServer({ allowHalfOpen: true }, (socket) => h.h1.accept(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    (h as { port: number }).port = (server.address() as AddressInfo).port;
  });

  after(() => {
    h.h1.close();
    server.close();
  });

  test('a whole response in one end() is framed by length; keep-alive serves the next request', async () => {
    h.handler = (req, res) => res.end(`you asked ${req.url}`);
    const answer = await exchange(
      h.port,
      'GET /one HTTP/1.1\r\nHost: h\r\n\r\nGET /two HTTP/1.1\r\nHost: h\r\n\r\n',
      (a) => a.includes('you asked /two'),
    );
    assert.equal(responses(answer), 2);
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\ncontent-length: 14\r\n\r\nyou asked \/one/);
    assert.ok(answer.indexOf('/one') < answer.indexOf('/two'), 'pipelined responses stay in order');
  });

  test('a streamed response is chunked for HTTP/1.1 with trailers, and read-until-close for HTTP/1.0', async () => {
    h.handler = (_req, res) => {
      res.writeHead(200, 'Fine', ['X-A', '1']);
      res.write(Buffer.from('abc'));
      res.addTrailers([['grpc-status', '0']]);
      res.end(Buffer.from('de'));
    };
    const chunked = await exchange(
      h.port,
      'GET / HTTP/1.1\r\nHost: h\r\n\r\n',
      (a) => a.endsWith('\r\n\r\n') && a.includes('0\r\n'),
    );
    assert.equal(
      chunked,
      'HTTP/1.1 200 Fine\r\nX-A: 1\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\ngrpc-status: 0\r\n\r\n',
    );
    const http10 = await exchange(h.port, 'GET / HTTP/1.0\r\n\r\n');
    assert.equal(http10, 'HTTP/1.1 200 Fine\r\nX-A: 1\r\nconnection: close\r\n\r\nabcde');
  });

  test('a head passed through as bytes goes out unchanged, with only the framing and Connection fields it needs', async () => {
    const upstream = 'HTTP/1.1 200 Fine\r\nContent-Length: 2\r\nX-Case: Kept As Sent\r\n\r\n';
    h.handler = (_req, res) => {
      res.writeHeadBytes(200, Buffer.from(upstream, 'latin1'), true);
      res.end(Buffer.from('ok'));
    };
    // HTTP/1.1 keep-alive: byte for byte, and the connection serves the next request.
    const same = await exchange(h.port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n', (a) =>
      a.endsWith(`ok${upstream}ok`),
    );
    assert.equal(same, `${upstream}ok${upstream}ok`);
    // The client asked to close: connection: close goes in before the blank line.
    const closing = await exchange(h.port, 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    assert.equal(
      closing,
      'HTTP/1.1 200 Fine\r\nContent-Length: 2\r\nX-Case: Kept As Sent\r\nconnection: close\r\n\r\nok',
    );
    // An HTTP/1.0 keep-alive client is told keep-alive.
    const http10 = await exchange(h.port, 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', (a) => a.endsWith('ok'));
    assert.equal(
      http10,
      'HTTP/1.1 200 Fine\r\nContent-Length: 2\r\nX-Case: Kept As Sent\r\nconnection: keep-alive\r\n\r\nok',
    );
    // A HEAD request gets the head only.
    const head = await exchange(h.port, 'HEAD / HTTP/1.1\r\nHost: h\r\n\r\n', (a) => a.endsWith('\r\n\r\n'));
    assert.equal(head, upstream);
  });

  test('a head passed through without a length is chunked for HTTP/1.1 and read-until-close for HTTP/1.0', async () => {
    const upstream = 'HTTP/1.1 200 Fine\r\nX-A: 1\r\n\r\n';
    h.handler = (_req, res) => {
      res.writeHeadBytes(200, Buffer.from(upstream, 'latin1'), false);
      res.write(Buffer.from('abc'));
      res.end(Buffer.from('de'));
    };
    const chunked = await exchange(h.port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n', (a) => a.endsWith('0\r\n\r\n'));
    assert.equal(
      chunked,
      'HTTP/1.1 200 Fine\r\nX-A: 1\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n',
    );
    const http10 = await exchange(h.port, 'GET / HTTP/1.0\r\n\r\n');
    assert.equal(http10, 'HTTP/1.1 200 Fine\r\nX-A: 1\r\nconnection: close\r\n\r\nabcde');
  });

  test('the end of a response reaches its close hook, its listeners, or nobody (finished at once)', async () => {
    const seen: string[] = [];
    let unwatched: H1ServerResponse | undefined;
    h.handler = (req, res) => {
      if (req.url === '/hook') {
        res.onClose(() => seen.push(`hook finished=${res.writableFinished}`));
        res.end(Buffer.from('a'));
        seen.push('end returned');
      } else if (req.url === '/off') {
        const fn = (): void => void seen.push('hook that was taken back');
        res.onClose(fn);
        res.offClose(fn);
        res.end(Buffer.from('b'));
      } else if (req.url === '/events') {
        res.on('finish', () => seen.push('finish'));
        res.on('close', () => seen.push('close'));
        res.end(Buffer.from('c'));
      } else {
        res.end(Buffer.from('d'));
        unwatched = res;
        seen.push(`unwatched finished=${res.writableFinished}`);
      }
    };
    for (const path of ['/hook', '/off', '/events', '/none']) {
      await exchange(
        h.port,
        `GET ${path} HTTP/1.1\r\nHost: h\r\n\r\n`,
        (a) => a.endsWith('\r\n\r\na') || /\r\n\r\n[bcd]$/.test(a),
      );
      await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(seen, ['end returned', 'hook finished=true', 'finish', 'close', 'unwatched finished=true']);
    assert.equal(unwatched?.destroyed, false, 'a finished response is not destroyed by its connection closing later');
  });

  test('HTTP/1.0 keep-alive clients are told keep-alive; Connection: close is honoured', async () => {
    h.handler = (_req, res) => res.end('ok');
    const kept = await exchange(h.port, 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', (a) => a.endsWith('ok'));
    assert.match(kept, /connection: keep-alive\r\n/);
    const closed = await exchange(
      h.port,
      'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n',
    );
    assert.equal(responses(closed), 1, 'nothing after a close');
    assert.match(closed, /connection: close\r\n/);
  });

  test('HEAD, 204 and 304 responses carry no body', async () => {
    h.handler = (req, res) => {
      res.writeHead(req.url === '/204' ? 204 : 200, { 'content-length': '5' });
      res.end(Buffer.from('hello'));
    };
    const head = await exchange(
      h.port,
      'HEAD / HTTP/1.1\r\nHost: h\r\n\r\nHEAD /204 HTTP/1.1\r\nHost: h\r\n\r\n',
      (a) => responses(a) === 2,
    );
    assert.doesNotMatch(head, /hello/);
    assert.equal(responses(head), 2);
  });

  test('a request body arrives as a stream; an unread one is dropped so the next request is served', async () => {
    const bodies: string[] = [];
    h.handler = (req, res) => {
      if (req.url === '/read' && req.body !== undefined) {
        let text = '';
        req.body.setEncoding('latin1');
        req.body.on('data', (d: string) => (text += d));
        req.body.on('end', () => {
          bodies.push(text);
          res.end('read');
        });
      } else res.end('early'); // answers before the body arrives, never reads it
    };
    const answer = await exchange(
      h.port,
      'POST /read HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' +
        'POST /early HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nwxyz' +
        'GET /read HTTP/1.1\r\nHost: h\r\n\r\n',
      (a) => responses(a) === 3,
    );
    assert.equal(responses(answer), 3);
    assert.deepEqual(bodies, ['abc']);
    assert.match(answer, /read[\s\S]*early[\s\S]*\r\n\r\n/);
  });

  test('a body nobody reads pauses the client instead of being buffered without bound', async () => {
    let req: H1ServerRequest | undefined;
    h.handler = (r) => (req = r);
    const socket = connect(h.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ${64 << 20}\r\n\r\n`);
    const block = Buffer.alloc(1 << 20);
    let sent = 0;
    // Write until the socket pushes back (bounded: at most 64 MiB).
    while (sent < 64 << 20 && socket.write(block)) sent += block.length;
    for (let i = 0; i < 100 && req === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(req !== undefined);
    assert.ok(req.body!.readableLength <= 1 << 20, `buffered ${req.body!.readableLength} bytes`);
    socket.destroy();
  });

  test('Expect other than 100-continue is refused with 417', async () => {
    h.handler = () => assert.fail('not reached');
    const answer = await exchange(h.port, 'GET / HTTP/1.1\r\nHost: h\r\nExpect: magic\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 417 /);
    assert.ok(h.errors.includes('EXPECTATION_FAILED'));
  });

  test('an Upgrade hands over the socket with the bytes read past the head', async () => {
    const answer = await exchange(
      h.port,
      'GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nfirst-frame',
      (a) => a.includes('upgraded'),
    );
    assert.match(answer, /^HTTP\/1\.1 101 /);
    const up = h.upgrades.at(-1)!;
    assert.equal(up.req.url, '/ws');
    assert.equal(up.head.toString(), 'first-frame');
  });

  test('a client that hangs up with a request in flight aborts it: the response closes, destroyed', async () => {
    let res: H1ServerResponse | undefined;
    h.handler = (_req, r) => (res = r);
    const socket = connect(h.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.end('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
    for (let i = 0; i < 100 && res === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(res !== undefined);
    if (!res.destroyed) await once(res, 'close');
    assert.equal(res.destroyed, true);
    assert.equal(res.write(Buffer.from('late')), false, 'writes after the client left are dropped');
    socket.destroy();
  });

  test('deadlines: a slow head gets 408, a stalled body 408, an idle keep-alive connection is closed', async () => {
    h.handler = (req, res) => {
      if (req.body === undefined) res.end('ok');
    };
    const slowHead = await exchange(h.port, 'GET / HTTP/1.1\r\nHost: h\r\n');
    assert.match(slowHead, /^HTTP\/1\.1 408 /);
    assert.ok(h.errors.includes('ERR_HTTP_REQUEST_TIMEOUT'));
    const stalled = await exchange(h.port, 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc');
    assert.match(stalled, /^HTTP\/1\.1 408 [\s\S]*request body timed out/);
    assert.ok(h.errors.includes('BODY_TIMEOUT'));
    const idle = connect(h.port, '127.0.0.1');
    idle.on('error', () => undefined);
    idle.resume();
    idle.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
    const closed = await Promise.race([
      once(idle, 'close').then(() => true),
      new Promise((r) => setTimeout(() => r(false), 2000)),
    ]);
    assert.equal(closed, true, 'the idle keep-alive connection was closed');
  });

  test('a client that stops reading its last response is cut off after the keep-alive deadline', async () => {
    let res: H1ServerResponse | undefined;
    h.handler = (_req, r) => {
      res = r;
      r.writeHead(200, { 'content-length': String(32 << 20) });
      // Far more than the socket buffers take: the rest waits for a reader that never comes.
      r.end(Buffer.alloc(32 << 20));
    };
    const socket = connect(h.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.pause();
    socket.write('GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    for (let i = 0; i < 100 && res === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(res !== undefined);
    if (!res.destroyed) await Promise.race([once(res, 'close'), new Promise((r) => setTimeout(r, 3000))]);
    assert.equal(res.destroyed, true, 'the connection was closed');
    assert.equal(res.writableFinished, false);
    socket.destroy();
  });

  test('refusals are counted by code and do not stop the server', async () => {
    // Requests with a body are left unanswered, so a refused body is the only answer.
    h.handler = (req, res) => {
      if (req.body === undefined) res.end('ok');
    };
    const before = h.errors.length;
    assert.match(await exchange(h.port, 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'), /^HTTP\/1\.1 400 /);
    assert.match(
      await exchange(h.port, `GET / HTTP/1.1\r\nHost: h\r\nX: ${'a'.repeat(17_000)}\r\n\r\n`),
      /^HTTP\/1\.1 431 /,
    );
    assert.match(
      await exchange(h.port, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'),
      /^HTTP\/1\.1 400 /,
    );
    assert.deepEqual(h.errors.slice(before), ['HPE_DUPLICATE_HOST', 'HPE_HEADER_OVERFLOW', 'HPE_INVALID_CHUNK_SIZE']);
    assert.match(await exchange(h.port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n', (a) => a.endsWith('ok')), /ok$/);
  });
});
