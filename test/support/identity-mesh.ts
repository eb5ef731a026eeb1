// Test support: a small meshed pair on loopback, in process, with identity — front's proxy calls
// web's app through web's proxy over mTLS (web's app is an h1Echo: /status?code=N answers N) — and
// a state.json describing both proxies as `nodemesh demo` writes it, for the CLI verbs and the
// dashboard. Front's outbound resolver labels the endpoint as discovery would (dst_pod, dst_service).

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ProxyApp } from '../../proxy/app.ts';
import { parseProxyConfig } from '../../proxy/config.ts';
import type { Endpoint } from '../../proxy/http/http-proxy.ts';
import { FunctionTargets } from '../../proxy/outbound/function-targets.ts';
import { createLogger } from '../../src/log/index.ts';
import { createRegistry } from '../../src/metrics/index.ts';
import { createTestCa, type TestCa } from '../../src/testing/index.ts';
import { h1Echo, type Upstream } from './upstreams.ts';
import { staticIdentitySource } from './test-identities.ts';

export const FRONT_ID = 'front.shop.serviceaccount.identity.nodemesh.cluster.local';
export const WEB_ID = 'web.shop.serviceaccount.identity.nodemesh.cluster.local';
export const WEB_AUTHORITY = 'web.shop.svc.cluster.local';

const silent = createLogger({ config: { level: 'silent', format: 'json', trace: [] }, name: 'test' });

function env(ca: TestCa, local: string): Record<string, string> {
  return {
    NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: '127.0.0.1:0',
    NODEMESH_PROXY_INBOUND_LISTEN_ADDR: '127.0.0.1:0',
    NODEMESH_PROXY_ADMIN_LISTEN_ADDR: '127.0.0.1:0',
    NODEMESH_PROXY_CONTROL_LISTEN_ADDR: '127.0.0.1:0',
    NODEMESH_PROXY_IDENTITY_TRUST_ANCHORS: ca.anchor.certificatePem,
    NODEMESH_PROXY_IDENTITY_SVC_ADDR: '127.0.0.1:1',
    NODEMESH_PROXY_IDENTITY_SVC_NAME: 'nodemesh-identity.nodemesh.serviceaccount.identity.nodemesh.cluster.local',
    NODEMESH_PROXY_IDENTITY_LOCAL_NAME: local,
    NODEMESH_PROXY_OUTBOUND_DETECT_TIMEOUT: '200ms',
  };
}

export interface IdentityMesh {
  /** The folder holding state.json. */
  readonly stateDir: string;
  readonly frontAdmin: string;
  readonly webAdmin: string;
  /** GET `path` from web through front's outbound proxy; resolves to the status. */
  call(path: string): Promise<number>;
  close(): Promise<void>;
}

export async function startIdentityMesh(): Promise<IdentityMesh> {
  const ca = await createTestCa();
  const app: Upstream = await h1Echo();
  const web = new ProxyApp({
    config: parseProxyConfig(env(ca, WEB_ID)),
    registry: createRegistry({ component: 'proxy', version: '0', collectDefaults: false }),
    log: silent,
    identity: { source: await staticIdentitySource(ca, WEB_ID), trust: ca.trust },
  });
  const webAddr = await web.start().catch(async (err: unknown) => {
    await web.shutdown(0);
    await app.close();
    throw err;
  });
  const labels = { dst_pod: 'web', dst_service: 'web', dst_namespace: 'shop', dst_serviceaccount: 'web' };
  const targets = new FunctionTargets(({ authority }): Endpoint | undefined =>
    authority?.startsWith(WEB_AUTHORITY) === true
      ? { host: '127.0.0.1', port: app.port, labels, mesh: { identity: WEB_ID, inboundPort: webAddr.inbound.port } }
      : undefined,
  );
  const front = new ProxyApp({
    config: parseProxyConfig(env(ca, FRONT_ID)),
    registry: createRegistry({ component: 'proxy', version: '0', collectDefaults: false }),
    log: silent,
    identity: { source: await staticIdentitySource(ca, FRONT_ID), trust: ca.trust },
    outboundTargets: targets,
    originalDestination: { read: () => undefined },
  });
  const frontAddr = await front.start().catch(async (err: unknown) => {
    await front.shutdown(0);
    await web.shutdown(0);
    await app.close();
    throw err;
  });
  const outboundPort = frontAddr.outbound[0]?.port ?? 0;

  const stateDir = await mkdtemp(path.join(tmpdir(), 'nodemesh-identity-mesh-'));
  const frontAdmin = `http://127.0.0.1:${frontAddr.admin.port}`;
  const webAdmin = `http://127.0.0.1:${webAddr.admin.port}`;
  const component = (name: string, identity: string, admin: string, inbound: number): unknown => ({
    name,
    pid: process.pid,
    log: '',
    addresses: { identity, admin, inbound: `127.0.0.1:${inbound}` },
  });
  await writeFile(
    path.join(stateDir, 'state.json'),
    JSON.stringify({
      version: 'test',
      pid: process.pid,
      startedAt: new Date().toISOString(),
      stateDir,
      components: [
        component('front-proxy', FRONT_ID, frontAdmin, frontAddr.inbound.port),
        component('web-proxy', WEB_ID, webAdmin, webAddr.inbound.port),
      ],
      planned: [],
    }),
  );

  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const call = (p: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: outboundPort, path: p, agent, headers: { host: WEB_AUTHORITY } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });

  return {
    stateDir,
    frontAdmin,
    webAdmin,
    call,
    async close() {
      agent.destroy();
      await front.shutdown(100);
      await web.shutdown(100);
      await app.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
