// Hostile HTTP/2 clients on a real proxy, written frame by frame: rapid reset (CVE-2023-44487),
// CONTINUATION floods (CVE-2024-27983 family), SETTINGS and PING floods from a client that never
// reads the answers, and a client that opens no flow-control window for a large response. Each
// abusive session is ended by the proxy after a bounded amount of work, logged and counted in
// http2_session_errors_total; the application sees a bounded number of requests; the proxy keeps
// serving every other client.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import {
  connect as h2connect,
  createServer as createH2Server,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ERROR, FLAG, FRAME, RawH2Client, frame, getHeaders, headerBlock } from '../support/h2-frames.ts';
import { startOutboundProxy, type OutboundProxy } from '../support/outbound-proxy.ts';

const CHUNK = Buffer.alloc(64 * 1024, 0x61);
const BIG_RESPONSE_BYTES = 256 * 1024 * 1024;

describe('hostile HTTP/2 clients', () => {
  let proxy: OutboundProxy;
  let app: Http2Server;
  let h1App: Server;
  let authority: string;
  let h1Authority: string;
  const appSessions = new Set<ServerHttp2Session>();
  let reached = 0;
  let bigWritten = 0;
  let bigClosed = false;

  before(async () => {
    app = createH2Server();
    app.on('session', (session: ServerHttp2Session) => {
      appSessions.add(session);
      session.on('close', () => appSessions.delete(session));
    });
    app.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
      reached++;
      stream.resume();
      stream.on('error', () => undefined);
      if (headers[':path'] !== '/big') {
        stream.respond({ ':status': 200 });
        stream.end('ok');
        return;
      }
      // Writes as fast as the proxy takes the bytes: how far it gets shows what the proxy buffers.
      stream.on('close', () => (bigClosed = true));
      stream.respond({ ':status': 200 });
      const pump = (): void => {
        while (bigWritten < BIG_RESPONSE_BYTES && !stream.destroyed) {
          bigWritten += CHUNK.length;
          if (!stream.write(CHUNK)) {
            stream.once('drain', pump);
            return;
          }
        }
        stream.end();
      };
      pump();
    });
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    authority = `127.0.0.1:${(app.address() as AddressInfo).port}`;
    h1App = createServer((req, res) => {
      req.resume();
      res.end('ok');
    });
    h1App.listen(0, '127.0.0.1');
    await once(h1App, 'listening');
    h1Authority = `127.0.0.1:${(h1App.address() as AddressInfo).port}`;
    proxy = await startOutboundProxy();
  });

  after(async () => {
    await proxy.close();
    for (const session of appSessions) session.destroy();
    app.close();
    h1App.closeAllConnections();
    h1App.close();
  });

  const sessionErrors = (code: string) => proxy.metric('http2_session_errors_total', { direction: 'outbound', code });

  /** A well-behaved HTTP/2 request and an HTTP/1 request, both of which must still be served. */
  async function othersStillServed(): Promise<void> {
    const session = h2connect(`http://127.0.0.1:${proxy.port}`);
    try {
      const stream = session.request({ ':path': '/', ':authority': authority });
      stream.resume();
      const [headers] = (await once(stream, 'response')) as [Record<string, unknown>];
      assert.equal(headers[':status'], 200);
    } finally {
      session.close();
    }
    assert.equal((await proxy.get('/', { headers: { host: h1Authority } })).status, 200);
  }

  test('rapid reset: the session is ended after a bounded number of resets, and few requests reach the app', async () => {
    const before = reached;
    const client = await RawH2Client.open(proxy.port);
    const cancel = Buffer.alloc(4);
    cancel.writeUInt32BE(ERROR.CANCEL);
    let pairs = 0;
    for (let id = 1; pairs < 50_000 && !client.closed; id += 2) {
      const headers = frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, id, headerBlock(getHeaders(authority)));
      client.write(Buffer.concat([headers, frame(FRAME.RST_STREAM, 0, id, cancel)]));
      pairs++;
      if (pairs % 250 === 0) await new Promise((r) => setImmediate(r));
    }
    await client.until(() => client.closed, 5_000);
    client.close();
    assert.ok(pairs < 50_000, `the session was ended before the flood was over (after ${pairs} resets)`);
    assert.ok(client.goaway() !== undefined, 'a GOAWAY told the client why');
    assert.ok(reached - before <= 1_100, `at most about one reset burst reached the app (${reached - before})`);
    assert.equal(await sessionErrors('H2_RAPID_RESET'), 1);
    await othersStillServed();
  });

  test('CONTINUATION flood: an endless header block is cut off', async () => {
    const client = await RawH2Client.open(proxy.port);
    client.write(frame(FRAME.HEADERS, 0, 1, headerBlock(getHeaders(authority))));
    let frames = 0;
    for (let i = 0; frames < 50_000 && !client.closed; i++) {
      client.write(frame(FRAME.CONTINUATION, 0, 1, headerBlock([[`x-flood-${i}`, 'a'.repeat(100)]])));
      frames++;
      if (frames % 200 === 0) await new Promise((r) => setImmediate(r));
    }
    await client.until(() => client.closed, 5_000);
    client.close();
    assert.ok(frames < 50_000, `ended after ${frames} CONTINUATION frames`);
    assert.equal(await sessionErrors('H2_CONTINUATION_FLOOD'), 1);
    await othersStillServed();
  });

  for (const [name, flood] of [
    ['PING', () => frame(FRAME.PING, 0, 0, Buffer.alloc(8))],
    ['SETTINGS', () => frame(FRAME.SETTINGS, 0, 0)],
  ] as const) {
    test(`${name} flood from a client that never reads the acknowledgements`, async () => {
      const floods = await sessionErrors('H2_FLOOD');
      const client = await RawH2Client.open(proxy.port);
      client.socket.pause();
      let sent = 0;
      for (; sent < 500_000 && !client.closed; sent++) {
        client.write(flood());
        if (sent % 1000 === 0) await new Promise((r) => setImmediate(r));
      }
      client.socket.resume();
      await client.until(() => client.closed, 5_000);
      const closed = client.closed;
      client.close();
      // The flood itself may outrun the proxy's 1 s linger after its GOAWAY (writes are buffered
      // in this process), so the bound is checked on what the proxy did, not on `sent`; and the
      // GOAWAY itself may never arrive: it waits behind the answers this client would not read.
      assert.ok(closed, `the proxy did not close the session (${sent} frames sent)`);
      const goaway = client.goaway();
      if (goaway !== undefined) assert.equal(goaway.errorCode, ERROR.ENHANCE_YOUR_CALM, 'the GOAWAY says why');
      assert.equal(await sessionErrors('H2_FLOOD'), floods + 1);
      await othersStillServed();
    });
  }

  test('a client that opens no flow-control window makes the proxy stop reading the app, not buffer', async () => {
    const client = await RawH2Client.open(proxy.port);
    const zeroWindow = Buffer.alloc(6);
    zeroWindow.writeUInt16BE(0x4, 0); // SETTINGS_INITIAL_WINDOW_SIZE
    zeroWindow.writeUInt32BE(0, 2);
    client.write(frame(FRAME.SETTINGS, 0, 0, zeroWindow));
    client.write(
      frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 1, headerBlock(getHeaders(authority, '/big'))),
    );
    // Wait until the app's writes stall (no progress for 300 ms), within 10 s.
    let last = -1;
    for (let i = 0; i < 100 && bigWritten !== last; i++) {
      last = bigWritten;
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.ok(bigWritten > 0, 'the request reached the app');
    assert.ok(
      bigWritten < 32 * 1024 * 1024,
      `the proxy holds a bounded amount (${(bigWritten / 1048576).toFixed(1)} MiB of a 256 MiB response)`,
    );
    client.close();
    for (let i = 0; i < 100 && !bigClosed; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(bigClosed, 'the upstream response is cancelled when the client goes away');
    await othersStillServed();
  });
});
