// Hostile HTTP/1 input on a real proxy: request-smuggling shapes (Content-Length with
// Transfer-Encoding, conflicting Content-Length, a Transfer-Encoding that is not only chunked),
// obsolete line folding, bare LF, and oversized headers. Each is answered 400 (431 for the headers),
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

  before(async () => {
    app = createServer((req, res) => {
      reached++;
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    appPort = (app.address() as AddressInfo).port;
    // No discovery target: the Host names the application directly.
    proxy = await startOutboundProxy();
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
});
