// The sidecar as the image runs it: proxy/main bundled into one module (scripts/bundle-proxy.ts,
// ADR 0019). The bundle is built from the sources here, imports nothing but Node's built-ins at
// load, and serves: a request through its outbound listener reaches a loopback upstream and is
// counted in /metrics; SIGTERM stops it cleanly.

import assert from 'node:assert/strict';
import { readFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bundleProxy } from '../../scripts/bundle-proxy.ts';
import { parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';
import { freePort } from '../../src/net/index.ts';
import { killAll, startScript, waitReady, type Daemon } from '../support/processes.ts';
import { h1Echo, type Upstream } from '../support/upstreams.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

// Runs the bundle's runProxy as bin/nodemesh.js does for `nodemesh proxy`.
const RUNNER = `import { runProxy } from './proxy/main.js';
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => controller.abort(new Error('received ' + signal)));
process.exitCode = await runProxy({
  argv: process.argv.slice(2), env: process.env, stdout: process.stdout, stderr: process.stderr,
  signal: controller.signal, program: 'nodemesh', cwd: process.cwd(), self: [process.execPath, import.meta.filename],
});
`;

describe('the bundled proxy (scripts/bundle-proxy.ts)', () => {
  // Inside the checkout, so that koffi (external) resolves from its node_modules as in the image.
  const dir = path.join(ROOT, 'test-artifacts', `proxy-bundle-${process.pid}`);
  const bundle = path.join(dir, 'proxy', 'main.js');
  let upstream: Upstream;
  let proxy: Daemon | undefined;
  let outboundPort = 0;
  let adminPort = 0;

  before(async () => {
    await mkdir(path.dirname(bundle), { recursive: true });
    await bundleProxy({ entry: path.join(ROOT, 'proxy', 'main.ts'), outFile: bundle });
    await writeFile(path.join(dir, 'run.js'), RUNNER);
    upstream = await h1Echo();
  });

  after(async () => {
    killAll();
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('is one module that imports only Node built-ins when it loads', async () => {
    const code = await readFile(bundle, 'utf8');
    const specifiers = [...code.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gm)].map((m) => m[1]);
    assert.ok(specifiers.length > 0, 'the bundle imports the built-ins it uses');
    assert.deepEqual(
      specifiers.filter((s) => s === undefined || !s.startsWith('node:')),
      [],
      'static imports other than node: built-ins',
    );
    assert.doesNotMatch(code, /\bimport\(\s*["'][./]/, 'no dynamic import of another chunk');
  });

  test('serves a request through the outbound listener, counts it, and stops on SIGTERM', async () => {
    [outboundPort, adminPort] = [await freePort(), await freePort()];
    const daemon = startScript(path.join(dir, 'run.js'), [], {
      NODEMESH_PROXY_IDENTITY_DISABLED: 'true',
      NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: `127.0.0.1:${outboundPort}`,
      NODEMESH_PROXY_INBOUND_LISTEN_ADDR: `127.0.0.1:${await freePort()}`,
      NODEMESH_PROXY_ADMIN_LISTEN_ADDR: `127.0.0.1:${adminPort}`,
      NODEMESH_PROXY_CONTROL_LISTEN_ADDR: `127.0.0.1:${await freePort()}`,
      NODEMESH_LOG_FORMAT: 'json',
    });
    proxy = daemon;
    await waitReady(daemon, `http://127.0.0.1:${adminPort}/ready`);

    const res = await get(outboundPort, '/hello', `127.0.0.1:${upstream.port}`);
    assert.equal(res.status, 200, daemon.output());
    assert.equal((JSON.parse(res.body) as { url?: string }).url, '/hello');

    const metrics = parsePrometheusText(await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text());
    assert.equal(sumSamples(metrics, 'request_total', { direction: 'outbound' }), 1);

    assert.equal(await daemon.stop(), 0, daemon.output());
    proxy = undefined;
  });

  after(async () => {
    if (proxy !== undefined) await proxy.stop();
  });
});

/** GET `path` from 127.0.0.1:`port` with the Host header `host`. */
function get(port: number, urlPath: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: urlPath, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
