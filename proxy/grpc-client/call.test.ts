// The call's reading of the wire, against a raw node:http2 server that sends what grpc-js servers
// never do: messages coalesced and split at odd places, compressed or oversized messages, HTTP
// errors without grpc-status, RST_STREAM codes, a server that ignores the deadline. Also the
// connection's life: shared by calls, replaced after GOAWAY.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  constants,
  createServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { H2Connection } from '../h2/index.ts';
import { encodeMessage } from './framing.ts';
import { GrpcCallError, GrpcChannel, type CallStatus, type MethodDescriptor } from './index.ts';

const GRPC = { ':status': 200, 'content-type': 'application/grpc' };

const method = (name: string): MethodDescriptor<string, string> => ({
  path: `/t/${name}`,
  requestSerialize: (s) => Buffer.from(s),
  responseDeserialize: (b) => b.toString(),
});

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

/** What the test server does for each path. */
const behaviours: Record<string, (stream: ServerHttp2Stream) => void | Promise<void>> = {
  async coalesced(stream) {
    stream.respond(GRPC, { waitForTrailers: true });
    stream.write(Buffer.concat(['one', 'two', 'three'].map((m) => encodeMessage(Buffer.from(m)))));
    const four = encodeMessage(Buffer.from('four, split'));
    // A header split in two, then the body in three pieces, each its own DATA frame.
    for (const [from, to] of [
      [0, 2],
      [2, 5],
      [5, 8],
      [8, 9],
      [9, four.length],
    ] as const) {
      stream.write(four.subarray(from, to));
      await tick();
    }
    stream.end();
    stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  },
  compressed(stream) {
    stream.respond(GRPC);
    stream.write(Buffer.from([1, 0, 0, 0, 1, 0x61]));
  },
  huge(stream) {
    stream.respond(GRPC);
    stream.write(Buffer.from([0, 0, 0x50, 0, 0])); // declares 5 MiB, sends none of it
  },
  'http-404'(stream) {
    stream.respond({ ':status': 404 }, { endStream: true });
  },
  'http-503'(stream) {
    stream.respond({ ':status': 503, 'content-type': 'text/plain' });
    stream.end('busy');
  },
  'no-status'(stream) {
    stream.respond(GRPC);
    stream.end(encodeMessage(Buffer.from('orphan')));
  },
  'ends-inside-a-message'(stream) {
    stream.respond(GRPC, { waitForTrailers: true });
    stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(encodeMessage(Buffer.from('truncated')).subarray(0, 8));
  },
  'percent-encoded'(stream) {
    stream.respond({ ...GRPC, 'grpc-status': '5', 'grpc-message': 'caf%C3%A9 100%25 %zz' }, { endStream: true });
  },
  'two-responses'(stream) {
    stream.respond(GRPC, { waitForTrailers: true });
    stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(Buffer.concat([encodeMessage(Buffer.from('a')), encodeMessage(Buffer.from('b'))]));
  },
  'rst-refused'(stream) {
    stream.close(constants.NGHTTP2_REFUSED_STREAM);
  },
  'rst-calm'(stream) {
    stream.close(constants.NGHTTP2_ENHANCE_YOUR_CALM);
  },
  'rst-cancel'(stream) {
    stream.close(constants.NGHTTP2_CANCEL);
  },
  'rst-protocol'(stream) {
    stream.close(constants.NGHTTP2_PROTOCOL_ERROR);
  },
  silent() {
    // Ignores grpc-timeout: the client must enforce its deadline itself.
  },
  echo(stream) {
    stream.respond(GRPC, { waitForTrailers: true });
    stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(encodeMessage(Buffer.from('pong')));
  },
};

describe('GrpcChannel reading the wire (raw HTTP/2 server)', () => {
  let server: Http2Server;
  let port: number;
  let channel: GrpcChannel;
  const sessions = new Set<Http2Session>();
  let opened = 0;
  const requests: IncomingHttpHeaders[] = [];
  const resets = new Map<string, number>();

  before(async () => {
    server = createServer();
    server.on('session', (s) => {
      opened++;
      sessions.add(s);
      s.on('close', () => sessions.delete(s));
    });
    server.on('stream', (stream, headers) => {
      requests.push(headers);
      stream.on('error', () => undefined);
      stream.on('close', () => resets.set(String(headers[':path']), stream.rstCode));
      stream.resume();
      const name = String(headers[':path']).slice('/t/'.length);
      void behaviours[name]?.(stream);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
    channel = new GrpcChannel({ address: { host: '127.0.0.1', port } });
  });

  after(async () => {
    channel.close();
    for (const s of sessions) s.destroy();
    server.close();
    await once(server, 'close');
  });

  async function streamed(name: string): Promise<{ messages: string[]; status: CallStatus }> {
    const messages: string[] = [];
    const status = await new Promise<CallStatus>((end) =>
      channel.serverStream(method(name), 'hi', { message: (m) => messages.push(m), end }),
    );
    return { messages, status };
  }

  test('sends the gRPC request headers, with the address as :authority without TLS', async () => {
    assert.equal(await channel.unary(method('echo'), 'ping', { deadlineMs: 30_000 }), 'pong');
    const headers = requests.at(-1) ?? {};
    assert.equal(headers[':method'], 'POST');
    assert.equal(headers[':scheme'], 'http');
    assert.equal(headers[':authority'], `127.0.0.1:${port}`);
    assert.equal(headers['content-type'], 'application/grpc');
    assert.equal(headers['te'], 'trailers');
    assert.equal(headers['grpc-accept-encoding'], 'identity');
    assert.match(String(headers['user-agent']), /^grpc-node-nodemesh\//);
    assert.match(String(headers['grpc-timeout']), /^\d{1,8}m$/);
  });

  test('decodes messages coalesced in one DATA frame and split over several', async () => {
    assert.deepEqual(await streamed('coalesced'), {
      messages: ['one', 'two', 'three', 'four, split'],
      status: { code: 'OK', message: '' },
    });
  });

  const statuses: [string, string, RegExp | string][] = [
    ['compressed', 'INTERNAL', /compressed/],
    ['huge', 'RESOURCE_EXHAUSTED', /5242880 bytes/],
    ['http-404', 'UNIMPLEMENTED', /HTTP 404/],
    ['http-503', 'UNAVAILABLE', /HTTP 503/],
    ['no-status', 'UNKNOWN', /without a grpc-status/],
    ['ends-inside-a-message', 'INTERNAL', /inside a message/],
    ['percent-encoded', 'NOT_FOUND', 'café 100% %zz'],
    ['rst-refused', 'UNAVAILABLE', /reset the stream/],
    ['rst-calm', 'RESOURCE_EXHAUSTED', /reset the stream/],
    ['rst-cancel', 'CANCELLED', /reset the stream/],
    ['rst-protocol', 'INTERNAL', /reset the stream/],
  ];
  for (const [name, code, message] of statuses) {
    test(`ends the call ${code} for ${name}`, async () => {
      const { status } = await streamed(name);
      assert.equal(status.code, code, JSON.stringify(status));
      if (typeof message === 'string') assert.equal(status.message, message);
      else assert.match(status.message, message);
    });
  }

  test('a unary call with two responses is INTERNAL', async () => {
    await assert.rejects(channel.unary(method('two-responses'), 'x'), (err: unknown) => {
      assert.ok(err instanceof GrpcCallError);
      assert.equal(err.status, 'INTERNAL');
      return true;
    });
  });

  test('enforces the deadline itself and resets the stream with CANCEL', async () => {
    await assert.rejects(channel.unary(method('silent'), 'x', { deadlineMs: 50 }), (err: unknown) => {
      assert.ok(err instanceof GrpcCallError);
      assert.equal(err.status, 'DEADLINE_EXCEEDED');
      return true;
    });
    for (let i = 0; i < 200 && !resets.has('/t/silent'); i++) await tick();
    assert.equal(resets.get('/t/silent'), constants.NGHTTP2_CANCEL);
  });

  test('shares one connection between calls, and opens a new one after the server closed it with GOAWAY', async () => {
    await Promise.all([1, 2, 3].map(() => channel.unary(method('echo'), 'x')));
    assert.equal(sessions.size, 1);
    const [old] = sessions;
    assert.ok(old !== undefined);
    old.close(); // GOAWAY, then the server closes the connection
    await once(old, 'close');
    assert.equal(await channel.unary(method('echo'), 'x', { deadlineMs: 5000 }), 'pong');
    assert.equal(sessions.size, 1);
    assert.notEqual([...sessions][0], old);
  });

  test('moves new calls to a new connection once the server sent GOAWAY', async () => {
    await channel.unary(method('echo'), 'x');
    const before = opened;
    const [current] = sessions;
    current?.goaway(constants.NGHTTP2_NO_ERROR);
    // Calls made before the client has read the GOAWAY may be refused; a later one must land on a
    // new connection.
    for (let i = 0; i < 100 && opened === before; i++) {
      await channel.unary(method('echo'), 'x').catch(() => undefined);
      await tick();
    }
    assert.equal(opened, before + 1);
    assert.equal(await channel.unary(method('echo'), 'x'), 'pong');
  });
});

describe('GrpcChannel and a reset after the response headers', () => {
  test('ends the call CANCELLED: the reset is reported with its code, not as an end of stream', async () => {
    // node:http2's servers end the stream before a reset they are asked for after writing, so this
    // server is the proxy's own HTTP/2: response headers, one message, then RST_STREAM(CANCEL).
    const server = net.createServer((socket) => {
      const conn = new H2Connection(
        socket,
        {
          stream: (stream) => {
            stream.respond([':status', '200', 'content-type', 'application/grpc']);
            stream.write(encodeMessage(Buffer.from('part')));
            setImmediate(() => stream.reset(constants.NGHTTP2_CANCEL));
          },
        },
        { role: 'server' },
      );
      conn.start();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const channel = new GrpcChannel({ address: { host: '127.0.0.1', port: (server.address() as AddressInfo).port } });
    try {
      const messages: string[] = [];
      const status = await new Promise<CallStatus>((end) =>
        channel.serverStream(method('any'), 'hi', { message: (m) => messages.push(m), end }),
      );
      assert.deepEqual(messages, ['part']);
      assert.equal(status.code, 'CANCELLED', JSON.stringify(status));
      assert.match(status.message, /reset the stream/);
    } finally {
      channel.close();
      server.close();
    }
  });
});
