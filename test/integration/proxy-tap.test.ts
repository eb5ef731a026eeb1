// Tap (ADR 0013): GET /tap on the proxy's control port streams the requests going through it.
//
// First a real proxy process on loopback (identity disabled), with HTTP/1 and gRPC upstreams
// reached through its outbound listener (the authority picks the target) and its inbound listener:
// the events' method, path, status and grpc-status, synthesized errors, each filter, the limit,
// the rate and its dropped lines, the session cap, bad queries, and the streams ending when the
// proxy drains.
//
// Then who may tap, in process with a certificate issued by a test CA: a plaintext client on
// loopback may; from a non-loopback address only an mTLS client whose identity is listed in
// NODEMESH_PROXY_TAP_AUTHORIZED_IDENTITIES. The non-loopback peer is real: the client binds the
// machine's own non-loopback interface address (e.g. 192.0.2.2 on eth0), so the proxy sees that
// address, not 127.0.0.1, exactly as it would see another pod. The proxy has no test switch for
// this. Without such an interface those cases are skipped (the rule itself is unit-tested in
// proxy/tap/tap-access.test.ts).

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { createLogger } from '../../src/log/index.ts';
import { createRegistry, parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';
import { freePort } from '../../src/net/index.ts';
import { createTestCa, type TestCa } from '../../src/testing/index.ts';
import { certificatesToPem, clientTlsOptions, exportPrivateKeyPem, type LocalIdentity } from '../../src/tls/index.ts';
import { ProxyApp, type LocalIdentitySource, type ProxyAddresses } from '../../proxy/app.ts';
import { parseProxyConfig } from '../../proxy/config.ts';
import type { WorkloadCertificate } from '../../proxy/identity-client/index.ts';
import { echoClient, grpcEcho } from '../support/grpc-echo.ts';
import { killAll, startDaemon, waitReady, type Daemon } from '../support/processes.ts';
import { h1Echo, type Upstream } from '../support/upstreams.ts';
import { issueIdentity } from '../support/test-identities.ts';

interface TapLineJson {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** A GET /tap in progress: the answer's status and headers, then its lines as they come. */
interface TapStream {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The next line (JSON), waiting up to `timeoutMs`. */
  next(timeoutMs?: number): Promise<TapLineJson>;
  /** Resolves with every line not yet taken once the server ends the stream. */
  rest(timeoutMs?: number): Promise<TapLineJson[]>;
  /** The whole body as text (for error answers). */
  text(): Promise<string>;
  close(): void;
}

function readTap(res: IncomingMessage, close: () => void): TapStream {
  const lines: TapLineJson[] = [];
  const waiters: (() => void)[] = [];
  let buffered = '';
  let raw = '';
  let ended = false;
  const wake = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    raw += chunk;
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() !== '' && res.headers['content-type'] === 'application/x-ndjson') {
        lines.push(JSON.parse(line) as TapLineJson);
      }
    }
    wake();
  });
  res.on('end', () => {
    ended = true;
    wake();
  });
  res.on('error', () => undefined);
  const wait = (what: string, ready: () => boolean, timeoutMs: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (ready()) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${raw}`)), timeoutMs);
      check();
    });
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    next: async (timeoutMs = 5000) => {
      await wait('a tap line', () => lines.length > 0 || ended, timeoutMs);
      const line = lines.shift();
      if (line === undefined) throw new Error(`the tap stream ended; got ${raw}`);
      return line;
    },
    rest: async (timeoutMs = 5000) => {
      await wait('the end of the tap stream', () => ended, timeoutMs);
      return lines.splice(0);
    },
    text: async () => {
      await wait('the body', () => ended, 5000);
      return raw;
    },
    close,
  };
}

/** GET `path` on the control port; resolves once the answer's head is in (the session is open). */
function tap(
  port: number,
  path: string,
  opts: { host?: string; localAddress?: string; socket?: TLSSocket } = {},
): Promise<TapStream> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: opts.host ?? '127.0.0.1',
        port,
        path,
        ...(opts.localAddress === undefined ? {} : { localAddress: opts.localAddress }),
        // createConnection is used only without an agent (agent: false makes a fresh one).
        ...(opts.socket === undefined ? { agent: false } : { createConnection: () => opts.socket! }),
      },
      (res) => resolve(readTap(res, () => req.destroy())),
    );
    req.on('error', reject);
    req.end();
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** An IPv4 address of this machine that is not loopback, to connect from. */
function nonLoopbackAddress(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

describe('nodemesh proxy: GET /tap on the control port', () => {
  let proxy: Daemon;
  let h1: Upstream;
  let grpc: { port: number; close: () => Promise<void> };
  let outbound: string;
  let inboundPort: number;
  let admin: string;
  let control: number;
  let closedPort: number;

  before(async () => {
    [h1, grpc] = await Promise.all([h1Echo(), grpcEcho()]);
    const [o, i, a, c] = [await freePort(), await freePort(), await freePort(), await freePort()];
    closedPort = await freePort();
    outbound = `127.0.0.1:${o}`;
    inboundPort = i;
    admin = `127.0.0.1:${a}`;
    control = c;
    proxy = startDaemon(['proxy'], {
      NODEMESH_PROXY_IDENTITY_DISABLED: 'true',
      NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: outbound,
      NODEMESH_PROXY_INBOUND_LISTEN_ADDR: `127.0.0.1:${i}`,
      NODEMESH_PROXY_ADMIN_LISTEN_ADDR: admin,
      NODEMESH_PROXY_CONTROL_LISTEN_ADDR: `127.0.0.1:${c}`,
      NODEMESH_PROXY_TAP_MAX_SESSIONS: '3',
      NODEMESH_PROXY_TAP_MAX_RATE: '500',
      NODEMESH_PROXY_SHUTDOWN_GRACE_PERIOD: '30s',
      NODEMESH_LOG_FORMAT: 'json',
    });
    await waitReady(proxy, `http://${admin}/ready`);
  });

  after(async () => {
    await proxy?.stop();
    killAll();
    await Promise.all([h1?.close(), grpc?.close()]);
  });

  /** GET through the outbound listener; the Host names the upstream. */
  const get = (path: string, host = `127.0.0.1:${h1.port}`, port = Number(outbound.split(':')[1])) =>
    new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { host } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });

  const unary = (method: 'Unary' | 'Fail') =>
    new Promise<number>((resolve) => {
      const client = echoClient(outbound, `127.0.0.1:${grpc.port}`);
      (client as unknown as Record<string, (b: Buffer, cb: (err: ServiceError | null) => void) => void>)[method]!(
        Buffer.from('hi'),
        (err) => {
          client.close();
          resolve(err?.code ?? GrpcStatus.OK);
        },
      );
    });

  const metric = async (name: string, labels: Record<string, string> = {}) =>
    sumSamples(parsePrometheusText(await (await fetch(`http://${admin}/metrics`)).text()), name, labels);

  test('streams HTTP/1 and gRPC requests with method, path, status and grpc-status', async () => {
    const stream = await tap(control, '/tap');
    assert.equal(stream.status, 200);
    assert.equal(stream.headers['content-type'], 'application/x-ndjson');
    assert.equal(stream.headers['nodemesh-tap-rate'], '100');
    assert.equal(await metric('tap_sessions'), 1);

    assert.equal(await get('/hello?x=1'), 200);
    const h1Event = await stream.next();
    assert.deepEqual(
      [h1Event.type, h1Event.direction, h1Event.method, h1Event.scheme, h1Event.authority, h1Event.path],
      ['request', 'outbound', 'GET', 'http', `127.0.0.1:${h1.port}`, '/hello?x=1'],
    );
    assert.deepEqual([h1Event.status, h1Event.grpcStatus, h1Event.proxyError], [200, null, null]);
    assert.equal(h1Event.dstAddr, `127.0.0.1:${h1.port}`);
    assert.match(String(h1Event.srcAddr), /^127\.0\.0\.1:\d+$/);
    assert.equal(h1Event.tls, false);
    assert.ok(typeof h1Event.latencyMs === 'number' && typeof h1Event.durationMs === 'number');
    assert.ok(h1Event.latencyMs <= h1Event.durationMs);
    assert.ok(Math.abs(Date.parse(String(h1Event.ts)) - Date.now()) < 10_000);

    assert.equal(await get('/status?code=503'), 503);
    assert.equal((await stream.next()).status, 503);

    assert.equal(await unary('Unary'), GrpcStatus.OK);
    const ok = await stream.next();
    assert.deepEqual(
      [ok.method, ok.path, ok.status, ok.grpcStatus, ok.authority],
      ['POST', '/test.Echo/Unary', 200, 0, `127.0.0.1:${grpc.port}`],
    );
    assert.equal(await unary('Fail'), GrpcStatus.PERMISSION_DENIED);
    const failed = await stream.next();
    assert.deepEqual([failed.path, failed.status, failed.grpcStatus], ['/test.Echo/Fail', 200, 7]);
    stream.close();
    await until('the session to close', async () => (await metric('tap_sessions')) === 0);
  });

  test('shows responses the proxy synthesized, with the l5d-proxy-error reason', async () => {
    const stream = await tap(control, '/tap');
    assert.equal(await get('/nowhere', `127.0.0.1:${closedPort}`), 502);
    const e = await stream.next();
    assert.equal(e.status, 502);
    assert.match(String(e.proxyError), new RegExp(`connection to 127\\.0\\.0\\.1:${closedPort} failed: ECONNREFUSED`));
    assert.equal(e.dstAddr, `127.0.0.1:${closedPort}`);
    stream.close();
  });

  test('filters by direction, authority, path prefix and method', async () => {
    const byMethod = await tap(control, '/tap?method=post&path=/test.Echo/');
    const inbound = await tap(control, '/tap?direction=inbound');
    const byAuthority = await tap(control, `/tap?authority=127.0.0.1:${h1.port}&path=/b`);
    await get('/a');
    await get('/b/1');
    await unary('Unary');
    // Inbound: a request to the inbound listener goes to this address's port named by the authority.
    assert.equal(await get('/from-a-peer', `127.0.0.1:${h1.port}`, inboundPort), 200);

    const m = await byMethod.next();
    assert.deepEqual([m.method, m.path], ['POST', '/test.Echo/Unary']);
    const i = await inbound.next();
    assert.deepEqual(
      [i.direction, i.path, i.status, i.dstAddr],
      ['inbound', '/from-a-peer', 200, `127.0.0.1:${h1.port}`],
    );
    const a = await byAuthority.next();
    assert.deepEqual([a.direction, a.path], ['outbound', '/b/1']);
    // Nothing else reached them: one more request each, and it is the next line.
    await unary('Fail');
    assert.equal((await byMethod.next()).path, '/test.Echo/Fail');
    await get('/b/2');
    assert.equal((await byAuthority.next()).path, '/b/2');
    for (const s of [byMethod, inbound, byAuthority]) s.close();
  });

  test('ends the stream after `limit` requests with an end line', async () => {
    const stream = await tap(control, '/tap?limit=2');
    for (let i = 0; i < 3; i++) await get(`/limited/${i}`);
    const lines = await stream.rest();
    assert.deepEqual(
      lines.map((l) => (l.type === 'request' ? l.path : l)),
      ['/limited/0', '/limited/1', { type: 'end', reason: 'limit' }],
    );
  });

  test('drops what is over the rate and says how many, at most once a second', async () => {
    const stream = await tap(control, '/tap?rate=1');
    assert.equal(stream.headers['nodemesh-tap-rate'], '1');
    const before = await metric('tap_events_dropped_total');
    for (let i = 0; i < 5; i++) await get(`/burst/${i}`);
    assert.equal((await stream.next()).path, '/burst/0');
    assert.deepEqual(await stream.next(3000), { type: 'dropped', count: 4, total: 4 });
    assert.equal((await metric('tap_events_dropped_total', { reason: 'rate' })) - before, 4);
    stream.close();
  });

  test('caps the rate a client asks for at NODEMESH_PROXY_TAP_MAX_RATE', async () => {
    const stream = await tap(control, '/tap?rate=100000');
    assert.equal(stream.headers['nodemesh-tap-rate'], '500');
    stream.close();
  });

  test('answers 503 beyond NODEMESH_PROXY_TAP_MAX_SESSIONS', async () => {
    await until('earlier sessions to close', async () => (await metric('tap_sessions')) === 0);
    const open = [await tap(control, '/tap'), await tap(control, '/tap'), await tap(control, '/tap')];
    const refused = await tap(control, '/tap');
    assert.equal(refused.status, 503);
    assert.match(await refused.text(), /3 tap sessions are open already \(NODEMESH_PROXY_TAP_MAX_SESSIONS\)/);
    open[0]?.close();
    await until('a place to free up', async () => (await metric('tap_sessions')) === 2);
    const again = await tap(control, '/tap');
    assert.equal(again.status, 200);
    for (const s of [...open, again]) s.close();
  });

  test('answers 400 naming a bad parameter and what is allowed, 404 elsewhere, 405 for other methods', async () => {
    const bad = await tap(control, '/tap?direction=sideways');
    assert.equal(bad.status, 400);
    const body = JSON.parse(await bad.text()) as Record<string, string>;
    assert.deepEqual([body.parameter, body.value, body.allowed], ['direction', 'sideways', 'inbound or outbound']);
    const limit = JSON.parse(await (await tap(control, '/tap?limit=0')).text()) as Record<string, string>;
    assert.equal(limit.parameter, 'limit');
    assert.equal((await tap(control, '/metrics')).status, 404);
    const post = await fetch(`http://127.0.0.1:${control}/tap`, { method: 'POST' });
    assert.equal(post.status, 405);
  });

  test('ends every tap stream when the proxy drains, without waiting out the grace period', async () => {
    const stream = await tap(control, '/tap');
    const started = Date.now();
    proxy.proc.kill('SIGTERM');
    assert.deepEqual(await stream.rest(5000), [{ type: 'end', reason: 'shutdown' }]);
    assert.equal(await proxy.exited, 0);
    assert.ok(Date.now() - started < 10_000, 'the 30 s grace period was not waited out');
  });
});

const SERVER = 'web.shop.serviceaccount.identity.nodemesh.cluster.local';
const OPS = 'ops.tools.serviceaccount.identity.nodemesh.cluster.local';
const OTHER = 'front.shop.serviceaccount.identity.nodemesh.cluster.local';

describe('who may tap', () => {
  const external = nonLoopbackAddress();
  const skip = external === undefined ? 'this machine has no non-loopback IPv4 address to connect from' : false;
  let ca: TestCa;
  let app: ProxyApp;
  let addrs: ProxyAddresses;
  let ops: LocalIdentity;
  let other: LocalIdentity;

  before(async () => {
    ca = await createTestCa();
    const server = await issueIdentity(ca, SERVER);
    [ops, other] = [await issueIdentity(ca, OPS), await issueIdentity(ca, OTHER)];
    const cert: WorkloadCertificate = {
      identity: SERVER,
      chainPem: certificatesToPem([server.leaf, ...server.intermediates]),
      keyPem: exportPrivateKeyPem(server.privateKey),
      leaf: new X509Certificate(server.leaf),
      validUntil: new Date(Date.now() + 3_600_000),
    };
    const source: LocalIdentitySource = {
      identity: SERVER,
      current: cert,
      subscribe: (fn) => (fn(cert), () => undefined),
    };
    const config = parseProxyConfig({
      NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: '127.0.0.1:0',
      NODEMESH_PROXY_INBOUND_LISTEN_ADDR: '127.0.0.1:0',
      NODEMESH_PROXY_ADMIN_LISTEN_ADDR: '127.0.0.1:0',
      // Every address, as in a pod: loopback clients and other addresses reach the same listener.
      NODEMESH_PROXY_CONTROL_LISTEN_ADDR: '0.0.0.0:0',
      NODEMESH_PROXY_TAP_AUTHORIZED_IDENTITIES: OPS,
      NODEMESH_PROXY_IDENTITY_TRUST_ANCHORS: ca.anchor.certificatePem,
      NODEMESH_PROXY_IDENTITY_SVC_ADDR: '127.0.0.1:1',
      NODEMESH_PROXY_IDENTITY_SVC_NAME: 'nodemesh-identity.nodemesh.serviceaccount.identity.nodemesh.cluster.local',
      NODEMESH_PROXY_IDENTITY_LOCAL_NAME: SERVER,
    });
    app = new ProxyApp({
      config,
      log: createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' }),
      registry: createRegistry({ component: 'proxy', version: '0', collectDefaults: false }),
      identity: { source, trust: ca.trust },
    });
    addrs = await app.start();
  });
  after(async () => {
    await app?.shutdown(100);
  });

  /** An mTLS connection to the control port from `from`, presenting `local` (or no certificate). */
  async function dial(from: string, host: string, local: LocalIdentity | undefined): Promise<TLSSocket> {
    const socket = tlsConnect({
      socket: tcpConnect({ host, port: addrs.control.port, localAddress: from }),
      ...clientTlsOptions({ serverIdentity: SERVER, trust: ca.trust, ...(local === undefined ? {} : { local }) }),
    });
    await once(socket, 'secureConnect');
    return socket;
  }

  test('a plaintext client on loopback may tap', async () => {
    const stream = await tap(addrs.control.port, '/tap');
    assert.equal(stream.status, 200);
    stream.close();
  });

  test('a TLS client on loopback may tap too', async () => {
    const stream = await tap(addrs.control.port, '/tap', { socket: await dial('127.0.0.1', '127.0.0.1', undefined) });
    assert.equal(stream.status, 200);
    stream.close();
  });

  test('a plaintext client from a non-loopback address is refused with the reason', { skip }, async () => {
    const refused = await tap(addrs.control.port, '/tap', { host: external!, localAddress: external! });
    assert.equal(refused.status, 403);
    const body = JSON.parse(await refused.text()) as { reason: string };
    assert.match(body.reason, new RegExp(`tap from ${external!.replace(/\./g, '\\.')} needs mTLS`));
  });

  test('an mTLS client with an authorized identity from a non-loopback address may tap', { skip }, async () => {
    const stream = await tap(addrs.control.port, '/tap', { socket: await dial(external!, external!, ops) });
    assert.equal(stream.status, 200);
    assert.equal(stream.headers['content-type'], 'application/x-ndjson');
    stream.close();
  });

  const refusals: { name: string; client: () => LocalIdentity | undefined; reason: RegExp }[] = [
    {
      name: 'an mTLS client whose identity is not listed',
      client: () => other,
      reason: new RegExp(
        `client identity ${OTHER.replace(/\./g, '\\.')} is not listed in NODEMESH_PROXY_TAP_AUTHORIZED_IDENTITIES`,
      ),
    },
    { name: 'a TLS client without a certificate', client: () => undefined, reason: /presented no certificate/ },
  ];
  for (const r of refusals) {
    test(`${r.name}, from a non-loopback address, is refused with the reason`, { skip }, async () => {
      const refused = await tap(addrs.control.port, '/tap', { socket: await dial(external!, external!, r.client()) });
      assert.equal(refused.status, 403);
      assert.match((JSON.parse(await refused.text()) as { reason: string }).reason, r.reason);
    });
  }

  test('a client certificate from another CA is refused', { skip }, async () => {
    const stranger = await issueIdentity(await createTestCa(), OPS);
    const refused = await tap(addrs.control.port, '/tap', { socket: await dial(external!, external!, stranger) });
    assert.equal(refused.status, 403);
    assert.match(
      (JSON.parse(await refused.text()) as { reason: string }).reason,
      /does not chain to the trust anchors/,
    );
  });
});
