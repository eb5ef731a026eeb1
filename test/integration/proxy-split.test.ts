// ServiceProfile dstOverrides on a real proxy (linkerd.md §8): a weighted split across backend
// Services, each balanced over its own endpoints; weight changes apply to the next request; a backend
// discovery does not know fails its share with 503.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startOutboundProxy, type OutboundProxy } from '../support/outbound-proxy.ts';

async function version(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => res.end(name));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

const endpointAt = (port: number) => ({
  host: '127.0.0.1',
  port,
  weight: 10_000,
  protocolHint: undefined,
  labels: {},
});

describe('dstOverrides: weighted traffic split', () => {
  let proxy: OutboundProxy;
  const servers: Server[] = [];

  before(async () => {
    const stable = await version('stable');
    const canary = await version('canary');
    servers.push(stable.server, canary.server);
    proxy = await startOutboundProxy();
    proxy.setEndpoints([stable.port]);
    proxy.resolver.setEndpoints('web-stable.shop.svc.cluster.local:80', [endpointAt(stable.port)]);
    proxy.resolver.setEndpoints('web-canary.shop.svc.cluster.local:80', [endpointAt(canary.port)]);
  });

  after(async () => {
    await proxy.close();
    for (const s of servers) s.close();
  });

  const split = (stable: string, canary: string): void =>
    proxy.setProfile(`dstOverrides:
- authority: web-stable.shop.svc.cluster.local:80
  weight: ${stable}
- authority: web-canary.shop.svc.cluster.local:80
  weight: ${canary}`);

  async function count(total: number, concurrency: number): Promise<Record<string, number>> {
    const seen: Record<string, number> = {};
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          next++;
          const reply = await proxy.get('/');
          assert.equal(reply.status, 200);
          seen[reply.body] = (seen[reply.body] ?? 0) + 1;
        }
      }),
    );
    return seen;
  }

  test('90/10 over 10,000 requests falls within 5 standard deviations of 1,000 for the canary', async () => {
    split('900m', '100m');
    const seen = await count(10_000, 20);
    // Binomial(n = 10,000, p = 0.1): mean 1,000, sd 30; ±5 sd is [850, 1150] (false alarm < 1e-6).
    const canary = seen['canary'] ?? 0;
    assert.equal((seen['stable'] ?? 0) + canary, 10_000);
    assert.ok(canary >= 850 && canary <= 1150, `canary got ${canary} of 10,000`);
  });

  test('stepping 0 → 10 → 50 → 100 % under steady load loses no request, and 100 % means all', async () => {
    for (const [stable, canary] of [
      ['1', '0'],
      ['900m', '100m'],
      ['500m', '500m'],
      ['0', '1'],
    ] as const) {
      split(stable, canary);
      const seen = await count(400, 10);
      if (canary === '0') assert.equal(seen['canary'], undefined);
      if (stable === '0') assert.equal(seen['stable'], undefined);
    }
  });

  test('a backend discovery does not know fails its share with 503', async () => {
    proxy.setProfile(`dstOverrides:
- authority: web-gone.shop.svc.cluster.local:80
  weight: 1`);
    const reply = await proxy.get('/');
    assert.equal(reply.status, 503);
    assert.match(
      String(reply.headers['l5d-proxy-error']),
      /backend web-gone\.shop\.svc\.cluster\.local:80 .* not a known Service/,
    );
  });
});
