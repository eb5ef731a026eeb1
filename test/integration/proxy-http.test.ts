// The sidecar proxy as a real process on loopback, with real clients: curl (HTTP/1.1 and h2c),
// grpc-js (all four call kinds, errors, metadata and trailers), a WebSocket, 100 MB bodies both
// ways with the proxy's memory measured, synthesized errors, exact metrics, graceful shutdown.
// Apps address the outbound listener directly here (no iptables), so the request's authority
// picks the target, as the proxy allows for apps that point at it explicitly.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'node:http';
import { connect as connectTcp, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { connect as connectH2, createServer as createH2Server } from 'node:http2';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import WebSocket from 'ws';
import { parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';
import { freePort } from '../../src/net/index.ts';
import { echoClient, grpcEcho } from '../support/grpc-echo.ts';
import { killAll, startDaemon, waitReady, type Daemon } from '../support/processes.ts';
import { h1Echo, h2Echo, wsEcho, type Upstream } from '../support/upstreams.ts';

const run = promisify(execFile);

describe('nodemesh proxy (HTTP on loopback)', () => {
  let proxy: Daemon;
  let outbound: string;
  let admin: string;
  let h1: Upstream;
  let h2: Upstream;
  let ws: Upstream;
  let grpc: { port: number; close: () => Promise<void> };

  before(async () => {
    [h1, h2, ws, grpc] = await Promise.all([h1Echo(), h2Echo(), wsEcho(), grpcEcho()]);
    const [o, i, a] = [await freePort(), await freePort(), await freePort()];
    outbound = `127.0.0.1:${o}`;
    admin = `127.0.0.1:${a}`;
    proxy = startDaemon(['proxy'], {
      NODEMESH_PROXY_IDENTITY_DISABLED: 'true',
      NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: outbound,
      NODEMESH_PROXY_INBOUND_LISTEN_ADDR: `127.0.0.1:${i}`,
      NODEMESH_PROXY_ADMIN_LISTEN_ADDR: admin,
      NODEMESH_PROXY_CONTROL_LISTEN_ADDR: '127.0.0.1:0',
      NODEMESH_PROXY_SHUTDOWN_GRACE_PERIOD: '5s',
      NODEMESH_LOG_FORMAT: 'json',
    });
    await waitReady(proxy, `http://${admin}/ready`);
  });

  after(async () => {
    await proxy?.stop();
    killAll();
    await Promise.all([h1?.close(), h2?.close(), ws?.close(), grpc?.close()]);
  });

  const curl = (args: string[]) => run('curl', ['-sS', '--max-time', '20', ...args], { maxBuffer: 4 << 20 });

  test('curl HTTP/1.1: forwards the request and strips hop-by-hop headers', async () => {
    const { stdout } = await curl([
      `http://${outbound}/hello?x=1`,
      '-H',
      `Host: 127.0.0.1:${h1.port}`,
      '-H',
      'Connection: keep-alive, x-secret',
      '-H',
      'x-secret: do-not-forward',
      '-H',
      'x-visible: yes',
    ]);
    const echo = JSON.parse(stdout) as { url: string; headers: Record<string, string> };
    assert.equal(echo.url, '/hello?x=1');
    assert.equal(echo.headers['x-visible'], 'yes');
    assert.equal(echo.headers['x-secret'], undefined);
    assert.equal(echo.headers.host, `127.0.0.1:${h1.port}`);
  });

  test('a request with nothing to change reaches the endpoint as the client sent it; others are rewritten', async () => {
    // An endpoint that records the bytes of each request it gets and answers it.
    const received: string[] = [];
    const upstream = createTcpServer((socket) => {
      let data = '';
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => {
        data += d;
        for (;;) {
          const end = data.indexOf('\r\n\r\n');
          if (end < 0) return;
          const length = Number(/\r\ncontent-length: *(\d+)/i.exec(data.slice(0, end))?.[1] ?? 0);
          if (data.length < end + 4 + length) return;
          received.push(data.slice(0, end + 4 + length));
          data = data.slice(end + 4 + length);
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        }
      });
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    const port = (upstream.address() as AddressInfo).port;
    const client = connectTcp(Number(outbound.split(':')[1]), '127.0.0.1');
    client.setEncoding('latin1');
    let answers = '';
    client.on('data', (d: string) => (answers += d));
    const send = async (request: string, n: number): Promise<void> => {
      client.write(request);
      for (let i = 0; i < 400 && answers.split('\r\n\r\nok').length - 1 < n; i++)
        await new Promise((r) => setTimeout(r, 5));
    };
    try {
      const plain = `GET /as/sent?q=1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Mixed-Case:   spaced  \r\naccept: */*\r\n\r\n`;
      await send(plain, 1);
      const upload = `POST /up HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 5\r\n\r\nhello`;
      await send(upload, 2);
      // Fields the proxy must remove: a hop-by-hop one, one it drops (l5d-dst-override outside
      // ingress mode), and a repeated field.
      await send(`GET /hop HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: x-gone\r\nX-Gone: 1\r\n\r\n`, 3);
      await send(`GET /drop HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nl5d-dst-override: elsewhere:1\r\n\r\n`, 4);
      await send(`GET /twice HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: a\r\nUser-Agent: b\r\n\r\n`, 5);
      assert.equal(received.length, 5, JSON.stringify(received));
      assert.equal(received[0], plain);
      assert.equal(received[1], upload);
      assert.equal(received[2], `GET /hop HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`);
      assert.equal(received[3], `GET /drop HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`);
      // node:http's rule for a repeated User-Agent (the first one wins), as before.
      assert.equal(received[4], `GET /twice HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nuser-agent: a\r\n\r\n`);
    } finally {
      client.destroy();
      upstream.close();
    }
  });

  test('curl HTTP/1.1: chunked upload and 100-continue', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-body-'));
    try {
      const file = path.join(dir, 'body');
      await writeFile(file, 'x'.repeat(300_000));
      const { stdout, stderr } = await curl([
        '-v',
        `http://${outbound}/upload`,
        '-H',
        `Host: 127.0.0.1:${h1.port}`,
        '-H',
        'Transfer-Encoding: chunked',
        '-H',
        'Expect: 100-continue',
        '--data-binary',
        `@${file}`,
      ]);
      assert.equal((JSON.parse(stdout) as { bodyBytes: number }).bodyBytes, 300_000);
      assert.match(stderr, /HTTP\/1\.1 100 Continue/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('curl --http2-prior-knowledge: forwards over HTTP/2 with trailers', async () => {
    const { stdout } = await curl([
      '--http2-prior-knowledge',
      `http://${outbound}/h2path`,
      '-H',
      `Host: 127.0.0.1:${h2.port}`,
      '-d',
      'abc',
    ]);
    const echo = JSON.parse(stdout) as { method: string; path: string; bodyBytes: number };
    assert.deepEqual([echo.method, echo.path, echo.bodyBytes], ['POST', '/h2path', 3]);
  });

  test('ends an HTTP/2 response without trailers with END_STREAM, not a reset', async () => {
    const upstream = createH2Server();
    upstream.on('stream', (s) => {
      s.respond({ ':status': 200 });
      s.end('no trailers here');
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    const port = (upstream.address() as { port: number }).port;
    const session = connectH2(`http://${outbound}`);
    try {
      const req = session.request({ ':path': '/', ':authority': `127.0.0.1:${port}` });
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      await once(req, 'end');
      assert.equal(body, 'no trailers here');
      assert.equal(req.rstCode, 0);
    } finally {
      session.close();
      upstream.close();
    }
  });

  test('HTTP/1.1 trailers pass through', async () => {
    const trailers = await new Promise<Record<string, string | undefined>>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: Number(outbound.split(':')[1]),
          path: '/trailers',
          headers: { host: `127.0.0.1:${h1.port}`, te: 'trailers' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.trailers));
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(trailers['x-checksum'], 'abc123');
  });

  test('a WebSocket is tunnelled both ways', async () => {
    const socket = new WebSocket(`ws://${outbound}/chat`, { headers: { host: `127.0.0.1:${ws.port}` } });
    await once(socket, 'open');
    const reply = once(socket, 'message');
    socket.send('ping over the mesh');
    const [data] = (await reply) as [Buffer];
    assert.equal(data.toString(), 'ping over the mesh');
    // After the upgrade the proxy reads the client's socket as a stream again (it read it through
    // the shared buffer while it was HTTP): many frames, one of 4 MiB, come back whole and in order.
    const sent = Array.from({ length: 20 }, (_, i) =>
      i === 7 ? Buffer.alloc(4 << 20, i) : Buffer.from(`message ${i} `.repeat(i + 1)),
    );
    const replies: Buffer[] = [];
    const all = new Promise<void>((resolve) => {
      socket.on('message', (m: Buffer) => {
        replies.push(m);
        if (replies.length === sent.length) resolve();
      });
    });
    for (const m of sent) socket.send(m);
    await all;
    for (const [i, m] of sent.entries()) assert.ok(replies[i]!.equals(m), `message ${i} came back changed`);
    socket.close();
    await once(socket, 'close');
  });

  test('gRPC: unary with metadata and trailers, all streaming kinds, and an error status', async () => {
    const client = echoClient(outbound, `127.0.0.1:${grpc.port}`);
    try {
      const md = new Metadata();
      md.set('x-request', 'r1');
      let initial: Metadata | undefined;
      let trailing: Metadata | undefined;
      const unary = await new Promise<Buffer>((resolve, reject) => {
        const call = client.makeUnaryRequest(
          '/test.Echo/Unary',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from('one'),
          md,
          (err: ServiceError | null, res?: Buffer) => (err ? reject(err) : resolve(res ?? Buffer.alloc(0))),
        );
        call.on('metadata', (m: Metadata) => (initial = m));
        call.on('status', (s: { metadata: Metadata }) => (trailing = s.metadata));
      });
      assert.equal(unary.toString(), 'one');
      assert.equal(initial?.get('x-initial')[0], 'hello');
      await new Promise((r) => setImmediate(r));
      assert.equal(trailing?.get('x-trailer')[0], 'saw-r1');

      const streamed: string[] = [];
      const server = client.makeServerStreamRequest(
        '/test.Echo/ServerStream',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from('s'),
      );
      server.on('data', (d: Buffer) => streamed.push(d.toString()));
      await once(server, 'end');
      assert.deepEqual(streamed, ['s-0', 's-1', 's-2']);

      const summed = await new Promise<Buffer>((resolve, reject) => {
        const call = client.makeClientStreamRequest(
          '/test.Echo/ClientStream',
          (b: Buffer) => b,
          (b: Buffer) => b,
          (err: ServiceError | null, res?: Buffer) => (err ? reject(err) : resolve(res ?? Buffer.alloc(0))),
        );
        for (const part of ['a', 'b', 'c']) call.write(Buffer.from(part));
        call.end();
      });
      assert.equal(summed.toString(), 'abc');

      const bidi = client.makeBidiStreamRequest(
        '/test.Echo/Bidi',
        (b: Buffer) => b,
        (b: Buffer) => b,
      );
      const echoed: string[] = [];
      bidi.on('data', (d: Buffer) => echoed.push(d.toString()));
      bidi.write(Buffer.from('x'));
      bidi.write(Buffer.from('y'));
      bidi.end();
      await once(bidi, 'end');
      assert.deepEqual(echoed, ['echo:x', 'echo:y']);

      const failure = await new Promise<ServiceError>((resolve) =>
        client.makeUnaryRequest(
          '/test.Echo/Fail',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from(''),
          (err: ServiceError | null) => resolve(err as ServiceError),
        ),
      );
      assert.equal(failure.code, GrpcStatus.PERMISSION_DENIED);
      assert.equal(failure.details, 'no entry for you');
    } finally {
      client.close();
    }
  });

  test('synthesizes 502 with l5d-proxy-error for a refused endpoint, and UNAVAILABLE for gRPC', async () => {
    const dead = await freePort();
    const { stdout } = await curl(['-i', `http://${outbound}/`, '-H', `Host: 127.0.0.1:${dead}`]);
    assert.match(stdout, /^HTTP\/1\.1 502/);
    assert.match(stdout, new RegExp(`l5d-proxy-error: connection to 127\\.0\\.0\\.1:${dead} failed: ECONNREFUSED`));
    const client = echoClient(outbound, `127.0.0.1:${dead}`);
    try {
      const err = await new Promise<ServiceError>((resolve) =>
        client.makeUnaryRequest(
          '/test.Echo/Unary',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from('x'),
          (e: ServiceError | null) => resolve(e as ServiceError),
        ),
      );
      assert.equal(err.code, GrpcStatus.UNAVAILABLE);
      assert.match(String(err.metadata.get('l5d-proxy-error')[0]), /ECONNREFUSED/);
    } finally {
      client.close();
    }
  });

  test('synthesizes 504 when connecting to the endpoint times out, and DEADLINE_EXCEEDED for gRPC', async (t) => {
    const stalled = await stalledListener();
    if (stalled === undefined) return t.skip('needs python3 to hold a listener with a full accept queue');
    try {
      const { stdout } = await curl(['-i', `http://${outbound}/`, '-H', `Host: 127.0.0.1:${stalled.port}`]);
      assert.match(stdout, /^HTTP\/1\.1 504/);
      assert.match(stdout, /l5d-proxy-error: connecting to 127\.0\.0\.1:\d+ timed out/);
      const client = echoClient(outbound, `127.0.0.1:${stalled.port}`);
      try {
        const err = await new Promise<ServiceError>((resolve) =>
          client.makeUnaryRequest(
            '/test.Echo/Unary',
            (b: Buffer) => b,
            (b: Buffer) => b,
            Buffer.from('x'),
            (e: ServiceError | null) => resolve(e as ServiceError),
          ),
        );
        assert.equal(err.code, GrpcStatus.DEADLINE_EXCEEDED);
      } finally {
        client.close();
      }
    } finally {
      stalled.close();
    }
  });

  test('ignores and strips l5d-dst-override outside ingress mode', async () => {
    const dead = await freePort();
    const { stdout } = await curl([
      `http://${outbound}/o`,
      '-H',
      `Host: 127.0.0.1:${h1.port}`,
      '-H',
      `l5d-dst-override: 127.0.0.1:${dead}`,
    ]);
    const echo = JSON.parse(stdout) as { headers: Record<string, string> };
    assert.equal(echo.headers['l5d-dst-override'], undefined);
  });

  test('closes the client connection when the endpoint resets mid-response, and counts it', async () => {
    await assert.rejects(curl([`http://${outbound}/reset`, '-H', `Host: 127.0.0.1:${h1.port}`]));
    const metrics = parsePrometheusText(await (await fetch(`http://${admin}/metrics`)).text());
    assert.equal(sumSamples(metrics, 'response_total', { target_port: String(h1.port), error: 'upstream-reset' }), 1);
  });

  test('refuses to send a request to the proxy itself', async () => {
    const { stdout } = await curl(['-i', `http://${outbound}/`, '-H', `Host: ${outbound}`]);
    assert.match(stdout, /^HTTP\/1\.1 502/);
    assert.match(stdout, /l5d-proxy-error: refusing to proxy to .*this proxy's own listener/);
  });

  test('counts exactly the requests and responses it served', async () => {
    const target = await h1Echo();
    try {
      for (let i = 0; i < 5; i++)
        await curl([`http://${outbound}/status?code=200`, '-H', `Host: 127.0.0.1:${target.port}`]);
      for (let i = 0; i < 2; i++)
        await curl([`http://${outbound}/status?code=503`, '-H', `Host: 127.0.0.1:${target.port}`]);
      const metrics = parsePrometheusText(await (await fetch(`http://${admin}/metrics`)).text());
      const sel = { direction: 'outbound', target_port: String(target.port) };
      assert.equal(sumSamples(metrics, 'request_total', sel), 7);
      assert.equal(sumSamples(metrics, 'response_total', { ...sel, classification: 'success', status_code: '200' }), 5);
      assert.equal(sumSamples(metrics, 'response_total', { ...sel, classification: 'failure', status_code: '503' }), 2);
      assert.equal(sumSamples(metrics, 'response_latency_ms_count', sel), 7);
    } finally {
      await target.close();
    }
  });

  test('many clients at once, each pipelining: every response reaches its own client, in order', async () => {
    // 48 connections that each send 8 requests in one write: the proxy answers them one at a time,
    // and under this load holds its writes to the end of each poll phase (write-batch.ts), so
    // several responses queue on one corked socket and many sockets flush together.
    const connections = 48;
    const perConnection = 8;
    const authority = `127.0.0.1:${h1.port}`;
    const [host, port] = outbound.split(':') as [string, string];
    const exchange = async (c: number): Promise<string[]> => {
      let wire = '';
      for (let r = 0; r < perConnection; r++) {
        const path = `/c${c}/r${r}`;
        if (r % 3 === 1) {
          const body = `body-${c}-${r}`;
          wire += `POST ${path} HTTP/1.1\r\nHost: ${authority}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
        } else wire += `GET ${path} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`;
      }
      const socket = connectTcp(Number(port), host);
      socket.setEncoding('latin1');
      let data = '';
      const urls: string[] = [];
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => socket.destroy(new Error(`connection ${c}: ${urls.length} responses`)), 20_000);
        socket.on('error', reject);
        socket.on('close', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.on('data', (d: string) => {
          data += d;
          try {
            // Whole responses (the echo answers chunked).
            for (let next = nextResponse(data); next !== undefined; next = nextResponse(data)) {
              assert.match(next.head, /^HTTP\/1\.1 200 /);
              const echo = JSON.parse(next.body) as { url: string; bodyBytes: number };
              urls.push(`${echo.url} ${echo.bodyBytes}`);
              data = data.slice(next.consumed);
              if (urls.length === perConnection) socket.end();
            }
          } catch (err) {
            socket.destroy(err as Error);
          }
        });
      });
      socket.write(wire);
      await done;
      return urls;
    };
    const results = await Promise.all(Array.from({ length: connections }, (_, c) => exchange(c)));
    for (let c = 0; c < connections; c++) {
      const expected = Array.from(
        { length: perConnection },
        (_, r) => `/c${c}/r${r} ${r % 3 === 1 ? `body-${c}-${r}`.length : 0}`,
      );
      assert.deepEqual(results[c], expected, `connection ${c}`);
    }
  });

  test('streams 100 MB up and down without buffering them', async () => {
    const port = Number(outbound.split(':')[1]);
    const upload = (size: number) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, method: 'POST', path: '/upload', headers: { host: `127.0.0.1:${h1.port}` } },
          (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve((JSON.parse(body) as { bodyBytes: number }).bodyBytes));
          },
        );
        req.on('error', reject);
        const chunk = Buffer.alloc(256 * 1024, 97);
        let sent = 0;
        const pump = (): void => {
          while (sent < size) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          req.end();
        };
        pump();
      });
    const download = (size: number) =>
      new Promise<number>((resolve, reject) => {
        request(
          { host: '127.0.0.1', port, path: `/bytes/${size}`, headers: { host: `127.0.0.1:${h1.port}` } },
          (res) => {
            let n = 0;
            res.on('data', (d: Buffer) => (n += d.length));
            res.on('end', () => resolve(n));
          },
        )
          .on('error', reject)
          .end();
      });
    // Warm up (the heap settles at its working size), then move 100 MB each way: a proxy that
    // buffered bodies would grow by the body size; a streaming one stays where it was.
    const MB = 1024 * 1024;
    assert.equal(await upload(50 * MB), 50 * MB);
    assert.equal(await download(50 * MB), 50 * MB);
    const before = peakRssMb(proxy);
    assert.equal(await upload(100 * MB), 100 * MB);
    assert.equal(await download(100 * MB), 100 * MB);
    const grown = peakRssMb(proxy) - before;
    assert.ok(
      grown < 48,
      `the proxy's peak RSS grew by ${grown.toFixed(1)} MB (from ${before.toFixed(1)} MB) while moving 200 MB`,
    );
  });

  test('drains in-flight requests on SIGTERM and exits 0', async () => {
    // SIGTERM once the response has started (the request is surely in flight, whatever the load):
    // the whole body must still arrive.
    const size = 8 * 1024 * 1024;
    const slow = await new Promise<{ status: number; bytes: number }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: Number(outbound.split(':')[1]),
          path: `/bytes/${size}`,
          headers: { host: `127.0.0.1:${h1.port}` },
        },
        (res) => {
          proxy.proc.kill('SIGTERM');
          let bytes = 0;
          res.on('data', (chunk: Buffer) => (bytes += chunk.length));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.deepEqual(slow, { status: 200, bytes: size });
    assert.equal(await proxy.exited, 0, proxy.output());
    assert.match(proxy.output(), /"msg":"proxy stopped"/);
  });
});

/**
 * The first whole response in `data` (a keep-alive stream of HTTP/1.1 responses, each framed by
 * Content-Length or chunked): its head, its body, and how many characters it took; undefined when
 * it has not all arrived.
 */
function nextResponse(data: string): { head: string; body: string; consumed: number } | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const head = data.slice(0, end);
  let pos = end + 4;
  const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
  if (length !== undefined) {
    const n = Number(length);
    return data.length < pos + n ? undefined : { head, body: data.slice(pos, pos + n), consumed: pos + n };
  }
  assert.match(head, /\r\ntransfer-encoding: *chunked/i);
  let body = '';
  for (;;) {
    const lineEnd = data.indexOf('\r\n', pos);
    if (lineEnd < 0) return undefined;
    const size = parseInt(data.slice(pos, lineEnd), 16);
    if (data.length < lineEnd + 2 + size + 2) return undefined;
    if (size === 0) {
      // No trailers from this upstream: the last chunk's CRLF ends the response.
      return { head, body, consumed: lineEnd + 4 };
    }
    body += data.slice(lineEnd + 2, lineEnd + 2 + size);
    pos = lineEnd + 2 + size + 2;
  }
}

function peakRssMb(daemon: Daemon): number {
  const status = readFileSync(`/proc/${daemon.proc.pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
}

describe('nodemesh proxy (ingress mode and the shutdown endpoint)', () => {
  let proxy: Daemon;
  let outbound: string;
  let admin: string;
  let h1: Upstream;
  before(async () => {
    h1 = await h1Echo();
    const [o, i, a] = [await freePort(), await freePort(), await freePort()];
    outbound = `127.0.0.1:${o}`;
    admin = `127.0.0.1:${a}`;
    proxy = startDaemon(['proxy'], {
      NODEMESH_PROXY_IDENTITY_DISABLED: 'true',
      NODEMESH_PROXY_INGRESS_MODE: 'true',
      NODEMESH_PROXY_SHUTDOWN_ENDPOINT_ENABLED: 'true',
      NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: outbound,
      NODEMESH_PROXY_INBOUND_LISTEN_ADDR: `127.0.0.1:${i}`,
      NODEMESH_PROXY_ADMIN_LISTEN_ADDR: admin,
      NODEMESH_PROXY_CONTROL_LISTEN_ADDR: '127.0.0.1:0',
    });
    await waitReady(proxy, `http://${admin}/ready`);
  });
  after(async () => {
    await proxy?.stop();
    killAll();
    await h1?.close();
  });

  test('routes by l5d-dst-override in ingress mode and strips it', async () => {
    const { stdout } = await run('curl', [
      '-sS',
      `http://${outbound}/ingress`,
      '-H',
      'Host: shop.example.com',
      '-H',
      `l5d-dst-override: 127.0.0.1:${h1.port}`,
    ]);
    const echo = JSON.parse(stdout) as { url: string; headers: Record<string, string> };
    assert.equal(echo.url, '/ingress');
    assert.equal(echo.headers.host, 'shop.example.com');
    assert.equal(echo.headers['l5d-dst-override'], undefined);
  });

  test('/shutdown takes POST only, then drains and exits 0', async () => {
    assert.equal((await fetch(`http://${admin}/shutdown`)).status, 405);
    const res = await fetch(`http://${admin}/shutdown`, { method: 'POST' });
    assert.equal(res.status, 202);
    assert.equal(await proxy.exited, 0, proxy.output());
  });
});

describe('nodemesh proxy (draining with idle keep-alive clients)', () => {
  test('SIGTERM closes idle keep-alive client connections instead of waiting out the grace period', async () => {
    const h1 = await h1Echo();
    const [o, i, a] = [await freePort(), await freePort(), await freePort()];
    const proxy = startDaemon(['proxy'], {
      NODEMESH_PROXY_IDENTITY_DISABLED: 'true',
      NODEMESH_PROXY_SHUTDOWN_GRACE_PERIOD: '120s',
      NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: `127.0.0.1:${o}`,
      NODEMESH_PROXY_INBOUND_LISTEN_ADDR: `127.0.0.1:${i}`,
      NODEMESH_PROXY_ADMIN_LISTEN_ADDR: `127.0.0.1:${a}`,
      NODEMESH_PROXY_CONTROL_LISTEN_ADDR: '127.0.0.1:0',
    });
    try {
      await waitReady(proxy, `http://127.0.0.1:${a}/ready`);
      // One request on a kept-alive connection, which then sits idle.
      const socket = await new Promise<Socket>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: o,
            path: '/',
            headers: { host: `127.0.0.1:${h1.port}`, connection: 'keep-alive' },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(req.socket as Socket));
          },
        );
        req.on('error', reject);
        req.end();
      });
      const closed = once(socket, 'close');
      proxy.proc.kill('SIGTERM');
      // Bounded: the grace period is 120 s, the test's own timeout far less.
      await closed;
      assert.equal(await proxy.exited, 0, proxy.output());
    } finally {
      await proxy.stop();
      await h1.close();
    }
  });
});

/** A loopback listener whose accept queue is full, so new connections hang in SYN (python3 holds it). */
async function stalledListener(): Promise<{ port: number; close: () => void } | undefined> {
  const { spawn } = await import('node:child_process');
  const { connect } = await import('node:net');
  const py = spawn(
    'python3',
    [
      '-c',
      'import socket,time\ns=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(0); print(s.getsockname()[1], flush=True); time.sleep(60)',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const port = await new Promise<number | undefined>((resolve) => {
    py.once('error', () => resolve(undefined));
    py.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
  });
  if (port === undefined) return undefined;
  const fillers = Array.from({ length: 3 }, () => connect(port, '127.0.0.1').on('error', () => undefined));
  await new Promise((r) => setTimeout(r, 200));
  return {
    port,
    close: () => {
      for (const f of fillers) f.destroy();
      py.kill();
    },
  };
}
