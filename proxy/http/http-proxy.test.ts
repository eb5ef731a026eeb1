import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { createHttpMetrics, createRegistry } from '../../src/metrics/index.ts';
import { attachContext } from '../connection.ts';
import { HttpProxy } from './http-proxy.ts';
import type { HttpOutcome, HttpRequest } from './stack.ts';

test("the edge's arrival time reaches the stack's synchronous run only", async () => {
  const seen: (number | undefined)[] = [];
  const proxy = new HttpProxy({
    metrics: createHttpMetrics(createRegistry({ component: 'proxy', version: '0', collectDefaults: false })),
    service: async (req: HttpRequest): Promise<HttpOutcome> => {
      // A layer of the first run finds the arrival; one that runs after an await (discovery, a
      // queue, a retry) finds it cleared and reads the clock itself.
      seen.push(req.state.syncStartedAt);
      await Promise.resolve();
      seen.push(req.state.syncStartedAt);
      if (req.downstream.kind === 'h1') req.downstream.res.end('ok');
      return { status: 200, grpcStatus: undefined, committed: true };
    },
  });
  const server = createServer((socket: Socket) => {
    attachContext(socket, {
      direction: 'outbound',
      origDst: undefined,
      localAddress: '127.0.0.1',
      localPort: 0,
      clientIp: '127.0.0.1',
      tls: { tls: 'disabled' },
    });
    proxy.accept(socket, 'http1');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const client = connect(address.port, '127.0.0.1');
  client.setEncoding('latin1');
  let answer = '';
  client.on('data', (d: string) => (answer += d));
  client.write('GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n');
  await once(client, 'close');
  proxy.close();
  server.close();
  assert.match(answer, /^HTTP\/1\.1 200 [\s\S]*ok$/);
  assert.equal(seen.length, 2);
  assert.equal(typeof seen[0], 'number');
  assert.equal(seen[1], undefined);
});
