// The fake API server's pods/portforward: a WebSocket client (ws) speaking v4.channel.k8s.io to a
// TCP echo server behind a pod — the framing (channel byte, the 2-byte little-endian port opening
// each channel, data both ways on channel 0), the error channel when the pod does not answer, and
// the refusals (missing pod, planned 403, no credentials).

import assert from 'node:assert/strict';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import type { FakeObject } from './fake-api-resources.ts';
import { FakeApiServer } from './fake-api-server.ts';
import { channelFrame, parsePortForwardPath, portPrefixFrame } from './fake-api-port-forward.ts';

function pod(name: string): FakeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop' },
    spec: { containers: [{ name: 'app' }] },
    status: { phase: 'Running', podIP: '127.0.0.1' },
  };
}

/** Opens a port-forward WebSocket; resolves with it and its messages, or rejects with the HTTP status. */
async function open(
  api: FakeApiServer,
  path: string,
  token = api.bearerToken,
): Promise<{ ws: WebSocket; messages: Buffer[]; next: () => Promise<Buffer> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${api.port}${path}`, ['v4.channel.k8s.io'], {
    headers: { authorization: `Bearer ${token}` },
  });
  const messages: Buffer[] = [];
  const waiters: ((b: Buffer) => void)[] = [];
  ws.on('message', (data: Buffer) => {
    const w = waiters.shift();
    if (w !== undefined) w(data);
    else messages.push(data);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`HTTP ${res.statusCode}`));
      res.resume();
      ws.terminate();
    });
    ws.once('error', reject);
  });
  const next = (): Promise<Buffer> => {
    const queued = messages.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message within 5s')), 5000);
      waiters.push((b) => (clearTimeout(timer), resolve(b)));
    });
  };
  return { ws, messages, next };
}

describe('the fake API server: pods/portforward', () => {
  let api: FakeApiServer;
  let echo: net.Server;
  let echoPort: number;
  let closedPort: number;

  before(async () => {
    echo = net.createServer((socket) => socket.pipe(socket));
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    echoPort = (echo.address() as AddressInfo).port;
    const gone = net.createServer();
    gone.listen(0, '127.0.0.1');
    await once(gone, 'listening');
    closedPort = (gone.address() as AddressInfo).port;
    await new Promise((resolve) => gone.close(resolve));
    api = new FakeApiServer();
    await api.start();
    api.add(pod('web-1'));
  });

  after(async () => {
    await api.close();
    echo.close();
  });

  test('parses the path and frames channels as the kubelet does', () => {
    assert.deepEqual(parsePortForwardPath('/api/v1/namespaces/shop/pods/web-1/portforward'), {
      namespace: 'shop',
      pod: 'web-1',
    });
    assert.equal(parsePortForwardPath('/api/v1/namespaces/shop/pods/web-1/proxy'), undefined);
    assert.deepEqual([...portPrefixFrame(1, 4190)], [1, 4190 & 0xff, 4190 >> 8]);
    assert.deepEqual([...channelFrame(0, 'hi')], [0, 0x68, 0x69]);
  });

  test('each channel opens with its port; data on channel 0 goes to the pod and comes back', async () => {
    const { ws, next } = await open(api, `/api/v1/namespaces/shop/pods/web-1/portforward?ports=${echoPort}`);
    try {
      assert.deepEqual(await next(), portPrefixFrame(0, echoPort));
      assert.deepEqual(await next(), portPrefixFrame(1, echoPort));
      ws.send(channelFrame(0, 'hello pod'));
      const answer = await next();
      assert.equal(answer[0], 0);
      assert.equal(answer.subarray(1).toString(), 'hello pod');
      // Messages on other channels are not data.
      ws.send(channelFrame(1, 'ignored'));
      ws.send(channelFrame(0, '!'));
      assert.equal((await next()).subarray(1).toString(), '!');
    } finally {
      const closed = once(ws, 'close');
      ws.close();
      await closed;
    }
  });

  test('a pod port that does not answer: the reason on channel 1, then the WebSocket closes', async () => {
    const { ws, next } = await open(api, `/api/v1/namespaces/shop/pods/web-1/portforward?ports=${closedPort}`);
    const closed = once(ws, 'close');
    await next();
    await next();
    const error = await next();
    assert.equal(error[0], 1);
    assert.match(
      error.subarray(1).toString(),
      new RegExp(
        `^error forwarding port ${closedPort} to pod web-1: dial tcp 127\\.0\\.0\\.1:${closedPort}: connect: connection refused$`,
      ),
    );
    await closed;
  });

  test('a missing pod is 404, a planned failure is answered, and credentials are required', async () => {
    const counted = api.requestCount('/api/v1/namespaces/shop/pods/web-1/portforward');
    await assert.rejects(open(api, `/api/v1/namespaces/shop/pods/nope/portforward?ports=${echoPort}`), /HTTP 404/);
    api.failNext('/api/v1/namespaces/shop/pods/web-1/portforward', 403);
    await assert.rejects(open(api, `/api/v1/namespaces/shop/pods/web-1/portforward?ports=${echoPort}`), /HTTP 403/);
    await assert.rejects(
      open(api, `/api/v1/namespaces/shop/pods/web-1/portforward?ports=${echoPort}`, 'wrong'),
      /HTTP 401/,
    );
    await assert.rejects(open(api, `/api/v1/namespaces/shop/pods/web-1/portforward?ports=1,2`), /HTTP 400/);
    assert.equal(api.requestCount('/api/v1/namespaces/shop/pods/web-1/portforward'), counted + 3);
  });
});
