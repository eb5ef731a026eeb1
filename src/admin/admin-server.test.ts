import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../log/index.ts';
import { createRegistry } from '../metrics/index.ts';
import { AdminServer, type Readiness } from './admin-server.ts';

describe('AdminServer', () => {
  let readiness: Readiness = { ready: false, reason: 'identity not certified yet' };
  const registry = createRegistry({ component: 'test', version: '0.0.0', collectDefaults: false });
  const server = new AdminServer({
    address: { host: '127.0.0.1', port: 0 },
    registry,
    readiness: () => readiness,
    log: createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' }),
    routes: {
      '/boom': () => {
        throw new Error('boom');
      },
    },
  });
  let base = '';
  before(async () => {
    const addr = await server.start();
    base = `http://127.0.0.1:${addr.port}`;
  });
  after(() => server.close());

  test('serves metrics in the Prometheus text format', async () => {
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    assert.match(await res.text(), /nodemesh_build_info\{component="test"/);
  });

  test('is live always and ready only when the component says so', async () => {
    assert.equal((await fetch(`${base}/live`)).status, 200);
    const notReady = await fetch(`${base}/ready`);
    assert.equal(notReady.status, 503);
    assert.equal(await notReady.text(), 'not ready: identity not certified yet\n');
    readiness = { ready: true };
    assert.equal((await fetch(`${base}/ready`)).status, 200);
  });

  test('answers 404, 405 and 500 where they apply', async () => {
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
    assert.equal((await fetch(`${base}/boom`)).status, 500);
  });
});
