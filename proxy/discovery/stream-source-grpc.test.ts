import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Server, ServerCredentials, status, type ServerWritableStream } from '@grpc/grpc-js';
import { DestinationService, type DestinationProfile, type GetDestination, type Update } from '../../src/api/index.ts';
import { createServingCertificate, createTestCa, type TestCa } from '../../src/testing/index.ts';
import { GrpcDiscoveryStreams } from './stream-source-grpc.ts';
import type { StreamEnd, StreamObserver } from './stream-source.ts';

/** A destination replica that answers Get with exists=true and GetProfile with INVALID_ARGUMENT. */
async function replica(
  paths: string[],
  tls?: { certChain: Buffer; privateKey: Buffer },
): Promise<{ server: Server; port: number }> {
  const server = new Server();
  server.addService(DestinationService, {
    get: (call: ServerWritableStream<GetDestination, Update>) => {
      paths.push(call.request.path);
      call.write({ update: { $case: 'noEndpoints', noEndpoints: { exists: true } } });
    },
    getProfile: (call: ServerWritableStream<GetDestination, DestinationProfile>) => {
      call.emit('error', { code: status.INVALID_ARGUMENT, details: 'not a service' });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      '127.0.0.1:0',
      tls === undefined
        ? ServerCredentials.createInsecure()
        : ServerCredentials.createSsl(null, [{ cert_chain: tls.certChain, private_key: tls.privateKey }]),
      (err, p) => (err === null ? resolve(p) : reject(err)),
    ),
  );
  return { server, port };
}

function observe<T>(): StreamObserver<T> & { messages: T[]; ended: Promise<StreamEnd>; first: Promise<T> } {
  const messages: T[] = [];
  let resolveEnd!: (r: StreamEnd) => void;
  let resolveFirst!: (m: T) => void;
  const ended = new Promise<StreamEnd>((r) => (resolveEnd = r));
  const first = new Promise<T>((r) => (resolveFirst = r));
  return {
    messages,
    ended,
    first,
    message: (m) => {
      messages.push(m);
      resolveFirst(m);
    },
    end: resolveEnd,
  };
}

async function within<T>(promise: Promise<T>, ms = 2000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)),
  );
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('GrpcDiscoveryStreams', () => {
  const pathsA: string[] = [];
  const pathsB: string[] = [];
  let a: { server: Server; port: number };
  let b: { server: Server; port: number };
  let streams: GrpcDiscoveryStreams;
  const open: { cancel(): void }[] = [];

  before(async () => {
    a = await replica(pathsA);
    b = await replica(pathsB);
    streams = new GrpcDiscoveryStreams({
      addresses: [
        { host: '127.0.0.1', port: a.port },
        { host: '127.0.0.1', port: b.port },
      ],
    });
  });

  after(() => {
    for (const s of open) s.cancel();
    streams.close();
    a.server.forceShutdown();
    b.server.forceShutdown();
  });

  test('spreads new streams over the replicas in turn', async () => {
    const addrs: string[] = [];
    for (let i = 0; i < 4; i++) {
      const o = observe<Update>();
      const s = streams.get({ scheme: 'k8s', path: `svc-${i}:80`, contextToken: '' }, o);
      open.push(s);
      addrs.push(s.addr);
      assert.deepEqual((await within(o.first)).update, { $case: 'noEndpoints', noEndpoints: { exists: true } });
    }
    assert.deepEqual(
      addrs,
      [a, b, a, b].map((r) => `127.0.0.1:${r.port}`),
    );
    assert.deepEqual(pathsA, ['svc-0:80', 'svc-2:80']);
    assert.deepEqual(pathsB, ['svc-1:80', 'svc-3:80']);
  });

  test('reports INVALID_ARGUMENT as its own kind of end', async () => {
    const o = observe<DestinationProfile>();
    open.push(streams.getProfile({ scheme: 'k8s', path: 'example.com:443', contextToken: '' }, o));
    assert.deepEqual(await within(o.ended), { kind: 'invalid-argument', message: 'not a service' });
  });

  test('reports a replica that is down as a failed stream', async () => {
    const down = new GrpcDiscoveryStreams({ addresses: [{ host: '127.0.0.1', port: 1 }] });
    try {
      const o = observe<Update>();
      down.get({ scheme: 'k8s', path: 'web:80', contextToken: '' }, o);
      const end = await within(o.ended, 5000);
      assert.equal(end.kind, 'failed');
      assert.equal(end.kind === 'failed' ? end.status : '', 'UNAVAILABLE');
    } finally {
      down.close();
    }
  });
});

describe('GrpcDiscoveryStreams over TLS', () => {
  const DESTINATION = 'nodemesh-destination.nodemesh.serviceaccount.identity.nodemesh.cluster.local';
  let ca: TestCa;
  let other: TestCa;
  const servers: Server[] = [];

  before(async () => {
    [ca, other] = await Promise.all([createTestCa(), createTestCa()]);
  });
  after(() => {
    for (const server of servers) server.forceShutdown();
  });

  /** The first Get answer, or how the stream ended, from a replica serving `tls` (or plaintext). */
  async function firstGet(tls: { certChain: Buffer; privateKey: Buffer } | undefined): Promise<Update | StreamEnd> {
    const r = await replica([], tls);
    servers.push(r.server);
    const streams = new GrpcDiscoveryStreams({
      addresses: [{ host: '127.0.0.1', port: r.port }],
      tls: { serverName: DESTINATION, trust: ca.trust },
    });
    try {
      const o = observe<Update>();
      streams.get({ scheme: 'k8s', path: 'web:80', contextToken: '' }, o);
      return await within(Promise.race([o.first, o.ended]), 5000);
    } finally {
      streams.close();
    }
  }

  test('takes answers from a replica whose certificate names the destination identity', async () => {
    const first = await firstGet(await createServingCertificate(ca, DESTINATION));
    assert.deepEqual('update' in first ? first.update : first, {
      $case: 'noEndpoints',
      noEndpoints: { exists: true },
    });
  });

  const refusals: [string, () => Promise<{ certChain: Buffer; privateKey: Buffer } | undefined>, RegExp][] = [
    [
      'another identity',
      () => createServingCertificate(ca, 'web.shop.serviceaccount.identity.nodemesh.cluster.local'),
      /presented DNS:web\.shop\.serviceaccount\.identity\.nodemesh\.cluster\.local but "nodemesh-destination\..*" was expected/,
    ],
    ['another CA', () => createServingCertificate(other, DESTINATION), /issuer|certificate/],
    ['no TLS at all', () => Promise.resolve(undefined), /TLS|SSL|socket/],
  ];
  for (const [what, tls, problem] of refusals) {
    test(`refuses a replica with ${what}, saying why`, async () => {
      const end = await firstGet(await tls());
      assert.ok('kind' in end && end.kind === 'failed', JSON.stringify(end));
      assert.equal(end.status, 'UNAVAILABLE');
      assert.match(end.tlsProblem ?? '(no tlsProblem)', problem);
    });
  }
});
