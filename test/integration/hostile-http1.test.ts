// Hostile HTTP/1 input on a real proxy: request-smuggling shapes (Content-Length with
// Transfer-Encoding, conflicting Content-Length, a Transfer-Encoding that is not only chunked),
// obsolete line folding, bare LF, oversized headers, too many header fields, and a head or body sent
// too slowly (slowloris). Each is answered 400 (431 for the headers, 408 for the slow head or body),
// never reaches the application, is counted by the parser's error code, and the proxy goes on
// serving everyone else.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startOutboundProxy, type OutboundProxy } from '../support/outbound-proxy.ts';

/** Sends raw bytes and returns the status line of the answer ('' when the connection just closed). */
async function raw(port: number, bytes: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  let answer = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (answer += d));
  socket.on('error', () => undefined);
  socket.write(bytes);
  await Promise.race([once(socket, 'close'), new Promise((r) => setTimeout(r, 2000))]);
  socket.destroy();
  return answer.split('\r\n')[0] ?? '';
}

describe('hostile HTTP/1 requests', () => {
  let proxy: OutboundProxy;
  let app: Server;
  let appPort: number;
  let reached = 0;
  /** Requests whose body never completed at the app (the proxy cancelled them). */
  let abandoned = 0;
  /** Bodies the app received in full, by length. */
  const received: number[] = [];

  before(async () => {
    app = createServer((req, res) => {
      reached++;
      let length = 0;
      req.on('data', (c: Buffer) => (length += c.length));
      req.on('end', () => {
        received.push(length);
        res.end('ok');
      });
      req.on('close', () => {
        if (!req.complete) abandoned++;
      });
    });
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    appPort = (app.address() as AddressInfo).port;
    // No discovery target: the Host names the application directly.
    proxy = await startOutboundProxy({
      NODEMESH_PROXY_HTTP1_HEADER_READ_TIMEOUT: '300ms',
      NODEMESH_PROXY_HTTP1_BODY_IDLE_TIMEOUT: '300ms',
    });
  });

  after(async () => {
    await proxy.close();
    app.close();
  });

  const host = (): string => `Host: 127.0.0.1:${appPort}`;
  const cases: readonly { name: string; bytes: () => string; status: string; code: string }[] = [
    {
      name: 'Content-Length together with Transfer-Encoding',
      bytes: () => `POST / HTTP/1.1\r\n${host()}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      status: '400',
      code: 'HPE_INVALID_TRANSFER_ENCODING',
    },
    {
      name: 'two different Content-Length values',
      bytes: () => `POST / HTTP/1.1\r\n${host()}\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`,
      status: '400',
      code: 'HPE_UNEXPECTED_CONTENT_LENGTH',
    },
    {
      name: 'a Transfer-Encoding that does not end in chunked alone',
      bytes: () => `POST / HTTP/1.1\r\n${host()}\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`,
      status: '400',
      code: 'HPE_INVALID_TRANSFER_ENCODING',
    },
    {
      name: 'obsolete line folding',
      bytes: () => `GET / HTTP/1.1\r\n${host()}\r\nX-A: a\r\n b\r\n\r\n`,
      status: '400',
      code: 'HPE_INVALID_HEADER_TOKEN',
    },
    {
      name: 'bare LF line endings',
      bytes: () => `GET / HTTP/1.1\n${host()}\n\n`,
      status: '400',
      code: 'HPE_INVALID_VERSION',
    },
    {
      name: 'more header fields than allowed (100)',
      bytes: () =>
        `GET / HTTP/1.1\r\n${host()}\r\n${Array.from({ length: 150 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`,
      status: '431',
      code: 'HPE_HEADER_OVERFLOW',
    },
    {
      name: 'headers over the size limit',
      bytes: () => `GET / HTTP/1.1\r\n${host()}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      status: '431',
      code: 'HPE_HEADER_OVERFLOW',
    },
  ];

  for (const c of cases) {
    test(`${c.name}: ${c.status}, not forwarded, counted`, async () => {
      const before = reached;
      const counted = await proxy.metric('http_requests_refused_total', { direction: 'outbound', code: c.code });
      const status = await raw(proxy.port, c.bytes());
      assert.match(status, new RegExp(`^HTTP/1\\.1 ${c.status} `));
      assert.equal(reached, before, 'nothing reached the application');
      assert.equal(
        await proxy.metric('http_requests_refused_total', { direction: 'outbound', code: c.code }),
        counted + 1,
      );
      // Everyone else is still served.
      const ok = await proxy.get('/', { headers: { host: `127.0.0.1:${appPort}` } });
      assert.equal(ok.status, 200);
      assert.equal(ok.body, 'ok');
    });
  }

  test('a request head sent a byte at a time (slowloris) gets 408 at the header deadline, and is counted', async () => {
    const before = reached;
    const counted = await proxy.metric('http_requests_refused_total', {
      direction: 'outbound',
      code: 'ERR_HTTP_REQUEST_TIMEOUT',
    });
    const socket = connect(proxy.port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (answer += d));
    socket.on('error', () => undefined);
    const head = `GET / HTTP/1.1\r\n${host()}\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`;
    // One byte every 20 ms would take 4.5 s; the deadline is 300 ms (checked every 75 ms).
    for (let i = 0; i < head.length && !socket.destroyed && answer === ''; i++) {
      socket.write(head.charAt(i));
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.race([once(socket, 'close'), new Promise((r) => setTimeout(r, 2000))]);
    socket.destroy();
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.equal(reached, before, 'nothing reached the application');
    assert.equal(
      await proxy.metric('http_requests_refused_total', { direction: 'outbound', code: 'ERR_HTTP_REQUEST_TIMEOUT' }),
      counted + 1,
    );
    assert.equal((await proxy.get('/', { headers: { host: `127.0.0.1:${appPort}` } })).status, 200);
  });

  test('a body that stops arriving (slowloris body) gets 408, the upstream request is cancelled, and it is counted', async () => {
    const counted = await proxy.metric('http_requests_refused_total', { direction: 'outbound', code: 'BODY_TIMEOUT' });
    const abandonedBefore = abandoned;
    const socket = connect(proxy.port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (answer += d));
    socket.on('error', () => undefined);
    socket.write(`POST /upload HTTP/1.1\r\n${host()}\r\nContent-Length: 100\r\n\r\n0123456789`);
    await Promise.race([once(socket, 'close'), new Promise((r) => setTimeout(r, 5000))]);
    socket.destroy();
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.equal(
      await proxy.metric('http_requests_refused_total', { direction: 'outbound', code: 'BODY_TIMEOUT' }),
      counted + 1,
    );
    for (let i = 0; i < 50 && abandoned === abandonedBefore; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(abandoned, abandonedBefore + 1, 'the upstream request was cancelled, not left hanging');
  });

  test('a slow but steady body (a byte every 50 ms, under the idle limit) is delivered whole', async () => {
    const socket = connect(proxy.port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (answer += d));
    socket.on('error', () => undefined);
    const body = 'x'.repeat(20);
    socket.write(`POST /upload HTTP/1.1\r\n${host()}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
    for (const ch of body) {
      socket.write(ch);
      await new Promise((r) => setTimeout(r, 50));
    }
    // (Node's HTTP server keeps such a connection open after the response, so wait for the answer.)
    for (let i = 0; i < 250 && !answer.endsWith('\r\n\r\nok'); i++) await new Promise((r) => setTimeout(r, 20));
    socket.destroy();
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.ok(received.includes(body.length), 'the app got the whole body');
  });
});
