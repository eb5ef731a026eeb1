// GrpcChannel against a real grpc-js server on 127.0.0.1: unary and server-streaming calls, error
// statuses, deadlines, lost and refused connections, TLS with the server's identity checked, and
// close(). (Wire cases grpc-js never produces are in call.test.ts, against a raw HTTP/2 server.)

import assert from 'node:assert/strict';
import { connect as netConnect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  Server,
  ServerCredentials,
  status,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { createServingCertificate, createTestCa, type TestCa } from '../../src/testing/index.ts';
import { GrpcCallError, GrpcChannel, type CallStatus, type StreamObserver } from './index.ts';

const text = {
  requestSerialize: (s: string): Buffer => Buffer.from(s),
  requestDeserialize: (b: Buffer): string => b.toString(),
  responseSerialize: (s: string): Buffer => Buffer.from(s),
  responseDeserialize: (b: Buffer): string => b.toString(),
};
const Test = {
  unary: { path: '/nodemesh.test.Test/Unary', requestStream: false, responseStream: false, ...text },
  stream: { path: '/nodemesh.test.Test/Stream', requestStream: false, responseStream: true, ...text },
} as const;

/** The nth streamed message: sizes from 0 bytes to 100 KiB, so some span many DATA frames. */
function nth(i: number): string {
  return `${i}:`.padEnd([0, 10, 40_000, 3, 100_000][i % 5] ?? 0, 'x');
}

interface Served {
  readonly server: Server;
  readonly port: number;
  readonly deadlines: number[];
  readonly hanging: ServerWritableStream<string, string>[];
}

async function serve(tls?: { certChain: Buffer; privateKey: Buffer }, port = 0): Promise<Served> {
  const server = new Server();
  const deadlines: number[] = [];
  const hanging: ServerWritableStream<string, string>[] = [];
  const impl: UntypedServiceImplementation = {
    unary: (call: ServerUnaryCall<string, string>, done: sendUnaryData<string>) => {
      const deadline = call.getDeadline();
      deadlines.push(deadline instanceof Date ? deadline.getTime() : deadline);
      const [verb, arg = ''] = call.request.split(' ', 2);
      if (verb === 'echo') done(null, arg);
      else if (verb === 'fail') done({ code: status.PERMISSION_DENIED, details: `not for you: ${arg} 100% ✓` });
      // 'silent': never answers.
    },
    stream: (call: ServerWritableStream<string, string>) => {
      const [verb, arg = '0'] = call.request.split(' ', 2);
      const n = Number(arg);
      if (verb === 'many') {
        for (let i = 0; i < n; i++) call.write(nth(i));
        call.end();
      } else if (verb === 'then-fail') {
        for (let i = 0; i < n; i++) call.write(nth(i));
        call.emit('error', { code: status.FAILED_PRECONDITION, details: 'after the messages' });
      } else if (verb === 'hang') {
        call.write('first');
        hanging.push(call);
      }
    },
  };
  server.addService(Test, impl);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `127.0.0.1:${port}`,
      tls === undefined
        ? ServerCredentials.createInsecure()
        : ServerCredentials.createSsl(null, [{ cert_chain: tls.certChain, private_key: tls.privateKey }]),
      (err, p) => (err === null ? resolve(p) : reject(err)),
    ),
  );
  return { server, port: bound, deadlines, hanging };
}

function collect(): StreamObserver<string> & { messages: string[]; ended: Promise<CallStatus>; first: Promise<void> } {
  const messages: string[] = [];
  let resolveEnd!: (s: CallStatus) => void;
  let resolveFirst!: () => void;
  let ends = 0;
  const ended = new Promise<CallStatus>((r) => (resolveEnd = r));
  const first = new Promise<void>((r) => (resolveFirst = r));
  return {
    messages,
    ended,
    first,
    message: (m) => {
      assert.equal(ends, 0, 'no message after the end');
      messages.push(m);
      resolveFirst();
    },
    end: (s) => {
      ends++;
      assert.equal(ends, 1, 'exactly one end');
      resolveEnd(s);
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<GrpcCallError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof GrpcCallError, String(err));
    return err;
  }
  assert.fail('the call succeeded');
}

describe('GrpcChannel against a grpc-js server (plaintext)', () => {
  let served: Served;
  let channel: GrpcChannel;

  before(async () => {
    served = await serve();
    channel = new GrpcChannel({ address: { host: '127.0.0.1', port: served.port } });
  });
  after(() => {
    channel.close();
    served.server.forceShutdown();
  });

  test('a unary call resolves with the response, and sends its deadline as grpc-timeout', async () => {
    assert.equal(await channel.unary(Test.unary, 'echo hello', { deadlineMs: 60_000 }), 'hello');
    const deadline = served.deadlines.at(-1) ?? Infinity;
    assert.ok(Number.isFinite(deadline) && deadline > Date.now(), `server deadline ${deadline}`);
    assert.equal(await channel.unary(Test.unary, 'echo'), '');
    assert.equal(served.deadlines.at(-1), Infinity, 'no deadline, no grpc-timeout');
  });

  test('an error status rejects with its name and the decoded message (trailers-only response)', async () => {
    const err = await rejection(channel.unary(Test.unary, 'fail café'));
    assert.equal(err.status, 'PERMISSION_DENIED');
    assert.equal(err.details, 'not for you: café 100% ✓');
    assert.equal(err.tlsProblem, undefined);
    assert.equal(err.code, 'MESH_ERR_GRPC_CALL');
  });

  test('a call past its deadline ends DEADLINE_EXCEEDED', async () => {
    const err = await rejection(channel.unary(Test.unary, 'silent', { deadlineMs: 100 }));
    assert.equal(err.status, 'DEADLINE_EXCEEDED');
  });

  test('a server stream delivers every message in order, large ones too, then OK', async () => {
    const o = collect();
    channel.serverStream(Test.stream, 'many 40', o);
    assert.deepEqual(await o.ended, { code: 'OK', message: '' });
    assert.deepEqual(
      o.messages,
      Array.from({ length: 40 }, (_, i) => nth(i)),
    );
  });

  test('a server stream that fails after its messages delivers them, then the status', async () => {
    const o = collect();
    channel.serverStream(Test.stream, 'then-fail 3', o);
    assert.deepEqual(await o.ended, { code: 'FAILED_PRECONDITION', message: 'after the messages' });
    assert.deepEqual(o.messages, [nth(0), nth(1), nth(2)]);
  });

  test('cancel() ends a stream with CANCELLED, once, and the server sees the cancellation', async () => {
    const o = collect();
    const call = channel.serverStream(Test.stream, 'hang', o);
    await o.first;
    const server = served.hanging.at(-1);
    assert.ok(server !== undefined);
    const cancelled = new Promise<void>((r) => server.once('cancelled', () => r()));
    call.cancel();
    call.cancel();
    assert.equal((await o.ended).code, 'CANCELLED');
    await cancelled;
  });
});

describe('GrpcChannel when connections fail or close', () => {
  test('a refused connection is UNAVAILABLE, saying so, with no tlsProblem', async () => {
    const refused = await serve();
    const port = refused.port;
    refused.server.forceShutdown();
    const channel = new GrpcChannel({ address: { host: '127.0.0.1', port } });
    try {
      const err = await rejection(channel.unary(Test.unary, 'echo x', { deadlineMs: 5000 }));
      assert.equal(err.status, 'UNAVAILABLE');
      assert.match(err.details, /could not connect to 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
      assert.equal(err.tlsProblem, undefined);
    } finally {
      channel.close();
    }
  });

  test('a server that goes away mid-stream ends the stream UNAVAILABLE, and the next call reconnects', async () => {
    const first = await serve();
    const channel = new GrpcChannel({ address: { host: '127.0.0.1', port: first.port } });
    let second: Served | undefined;
    try {
      const o = collect();
      channel.serverStream(Test.stream, 'hang', o);
      await o.first;
      first.server.forceShutdown();
      const end = await o.ended;
      assert.equal(end.code, 'UNAVAILABLE', JSON.stringify(end));
      assert.deepEqual(o.messages, ['first']);
      second = await serve(undefined, first.port);
      assert.equal(await channel.unary(Test.unary, 'echo again', { deadlineMs: 5000 }), 'again');
    } finally {
      channel.close();
      second?.server.forceShutdown();
    }
  });

  test('a peer that goes silent without closing is dropped by keepalive, and the next call reconnects', async () => {
    const served = await serve();
    const relay = await blackholeRelay(served.port);
    const channel = new GrpcChannel({
      address: { host: '127.0.0.1', port: relay.port },
      keepaliveIntervalMs: 100,
      keepaliveTimeoutMs: 200,
    });
    try {
      const o = collect();
      channel.serverStream(Test.stream, 'hang', o);
      await o.first;
      relay.silence();
      const end = await Promise.race([
        o.ended,
        new Promise<'still open'>((resolve) => setTimeout(() => resolve('still open'), 5000).unref()),
      ]);
      assert.notEqual(end, 'still open', 'the stream to a silent peer was not ended');
      assert.equal(end === 'still open' ? '' : end.code, 'UNAVAILABLE', JSON.stringify(end));
      assert.match(end === 'still open' ? '' : end.message, /PING acknowledgement/);
      assert.equal(await channel.unary(Test.unary, 'echo again', { deadlineMs: 5000 }), 'again');
    } finally {
      channel.close();
      relay.close();
      served.server.forceShutdown();
    }
  });

  test('close() ends open streams with CANCELLED, and later calls too', async () => {
    const served = await serve();
    const channel = new GrpcChannel({ address: { host: '127.0.0.1', port: served.port } });
    try {
      const streams = [collect(), collect()];
      for (const o of streams) channel.serverStream(Test.stream, 'hang', o);
      await Promise.all(streams.map((o) => o.first));
      channel.close();
      for (const o of streams) assert.equal((await o.ended).code, 'CANCELLED');
      assert.equal((await rejection(channel.unary(Test.unary, 'echo late'))).status, 'CANCELLED');
    } finally {
      served.server.forceShutdown();
    }
  });
});

describe('GrpcChannel over TLS', () => {
  const IDENTITY = 'nodemesh-identity.nodemesh.serviceaccount.identity.nodemesh.cluster.local';
  let ca: TestCa;
  let other: TestCa;
  const servers: Server[] = [];

  before(async () => {
    [ca, other] = await Promise.all([createTestCa(), createTestCa()]);
  });
  after(() => {
    for (const server of servers) server.forceShutdown();
  });

  async function call(tls: { certChain: Buffer; privateKey: Buffer } | undefined): Promise<string | GrpcCallError> {
    const served = await serve(tls);
    servers.push(served.server);
    const channel = new GrpcChannel({
      address: { host: '127.0.0.1', port: served.port },
      tls: { serverName: IDENTITY, trustAnchorsPem: ca.trust.pem },
    });
    try {
      return await channel.unary(Test.unary, 'echo secure', { deadlineMs: 5000 });
    } catch (err) {
      assert.ok(err instanceof GrpcCallError, String(err));
      return err;
    } finally {
      channel.close();
    }
  }

  test('calls a server whose certificate chains to the anchors and names the expected identity', async () => {
    assert.equal(await call(await createServingCertificate(ca, IDENTITY)), 'secure');
  });

  const refusals: [string, () => Promise<{ certChain: Buffer; privateKey: Buffer } | undefined>, RegExp][] = [
    [
      'another identity',
      () => createServingCertificate(ca, 'web.shop.serviceaccount.identity.nodemesh.cluster.local'),
      /presented DNS:web\.shop\.serviceaccount\.identity\.nodemesh\.cluster\.local but "nodemesh-identity\..*" was expected/,
    ],
    ['another CA', () => createServingCertificate(other, IDENTITY), /issuer|certificate/],
    ['no TLS at all', () => Promise.resolve(undefined), /SSL|TLS|socket/],
  ];
  for (const [what, tls, problem] of refusals) {
    test(`refuses a server with ${what}: UNAVAILABLE with a tlsProblem`, async () => {
      const result = await call(await tls());
      assert.ok(result instanceof GrpcCallError, String(result));
      assert.equal(result.status, 'UNAVAILABLE');
      assert.match(result.tlsProblem ?? '(no tlsProblem)', problem);
      assert.match(result.details, /TLS handshake with 127\.0\.0\.1:\d+ \(expecting nodemesh-identity\./);
    });
  }
});

/**
 * A TCP relay to 127.0.0.1:`port`; silence() stops forwarding on the connections open then, in both
 * directions, without closing them (a peer that vanished); later connections are relayed.
 */
async function blackholeRelay(port: number): Promise<{ port: number; silence(): void; close(): void }> {
  const pairs: (readonly [Socket, Socket])[] = [];
  const silenced: Socket[] = [];
  const server = createNetServer((client) => {
    const upstream = netConnect({ host: '127.0.0.1', port });
    client.pipe(upstream).pipe(client);
    const ignore = (): void => undefined;
    client.on('error', ignore);
    upstream.on('error', ignore);
    pairs.push([client, upstream]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    silence: () => {
      for (const [client, upstream] of pairs.splice(0)) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
        silenced.push(client, upstream);
      }
    },
    close: () => {
      for (const socket of silenced.splice(0)) socket.destroy();
      for (const [client, upstream] of pairs.splice(0)) {
        client.destroy();
        upstream.destroy();
      }
      server.close();
    },
  };
}
