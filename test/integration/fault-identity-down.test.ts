// The identity service down through renewals: a real `nodemesh proxy` certified by a real
// `nodemesh identity` process renews every 2 s (NODEMESH_PROXY_IDENTITY_MAX_REFRESH). The identity
// service is stopped: the proxy keeps its valid certificate and keeps answering /ready 200 (its
// certificate is valid, so it is ready), logs each failed attempt and counts it in
// identity_cert_refresh_failures_total, and keeps serving traffic. The identity service comes back
// on the same address: the proxy renews again by itself.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createCaFiles } from '../../src/cli/identity/ca-files.ts';
import { parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';
import { freePort } from '../../src/net/index.ts';
import { identityName, identityServiceName } from '../../src/tls/index.ts';
import { generateLocalSigningKey, mintLocalToken } from '../../src/tokens/index.ts';
import { killAll, startDaemon, waitReady, type Daemon } from '../support/processes.ts';

const DOMAIN = { trustDomain: 'cluster.local', controlNamespace: 'nodemesh' };

describe('identity service down through renewals', () => {
  let dir: string;
  let identity: Daemon;
  let proxy: Daemon;
  let identityEnv: Record<string, string>;
  let adminUrl: string;
  let outbound: string;
  let app: Server;
  let appPort: number;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-identity-down-'));
    const ca = await createCaFiles({
      dir: path.join(dir, 'ca'),
      domain: DOMAIN,
      anchorLifetimeMs: 86_400_000,
      issuerLifetimeMs: 86_400_000,
      force: true,
      command: 'test',
    });
    const signing = await generateLocalSigningKey();
    await writeFile(path.join(dir, 'token.pub'), signing.publicKeyPem);
    const tokenFile = path.join(dir, 'front.token');
    await writeFile(
      tokenFile,
      mintLocalToken({ key: signing.privateKeyPem, namespace: 'shop', serviceAccount: 'front' }),
    );

    app = createServer((_req, res) => res.end('ok'));
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    appPort = (app.address() as { port: number }).port;

    const [idGrpc, idAdmin] = [await freePort(), await freePort()];
    identityEnv = {
      NODEMESH_IDENTITY_LISTEN_ADDR: `127.0.0.1:${idGrpc}`,
      NODEMESH_IDENTITY_ADMIN_LISTEN_ADDR: `127.0.0.1:${idAdmin}`,
      NODEMESH_IDENTITY_ISSUER_DIR: ca.files.issuerDir,
      NODEMESH_IDENTITY_TRUST_ANCHORS_FILE: ca.files.anchor,
      NODEMESH_IDENTITY_TOKEN_VALIDATOR: 'local',
      NODEMESH_IDENTITY_LOCAL_TOKEN_KEYS_FILE: path.join(dir, 'token.pub'),
    };
    identity = startDaemon(['identity'], identityEnv);
    await waitReady(identity, `http://127.0.0.1:${idAdmin}/ready`);

    const [o, i, a] = [await freePort(), await freePort(), await freePort()];
    outbound = `127.0.0.1:${o}`;
    adminUrl = `http://127.0.0.1:${a}`;
    proxy = startDaemon(['proxy'], {
      NODEMESH_PROXY_IDENTITY_TRUST_ANCHORS: ca.anchor.pem,
      NODEMESH_PROXY_IDENTITY_SVC_ADDR: `127.0.0.1:${idGrpc}`,
      NODEMESH_PROXY_IDENTITY_SVC_NAME: identityServiceName(DOMAIN),
      NODEMESH_PROXY_IDENTITY_LOCAL_NAME: identityName({ serviceAccount: 'front', namespace: 'shop', ...DOMAIN }),
      NODEMESH_PROXY_IDENTITY_TOKEN_FILE: tokenFile,
      NODEMESH_PROXY_IDENTITY_DIR: dir,
      NODEMESH_PROXY_IDENTITY_MIN_REFRESH: '1s',
      NODEMESH_PROXY_IDENTITY_MAX_REFRESH: '2s',
      NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS: outbound,
      NODEMESH_PROXY_INBOUND_LISTEN_ADDR: `127.0.0.1:${i}`,
      NODEMESH_PROXY_ADMIN_LISTEN_ADDR: `127.0.0.1:${a}`,
      NODEMESH_PROXY_CONTROL_LISTEN_ADDR: '127.0.0.1:0',
      NODEMESH_LOG_FORMAT: 'json',
    });
    await waitReady(proxy, `${adminUrl}/ready`);
  });

  after(async () => {
    await proxy?.stop();
    await identity?.stop();
    killAll();
    app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A GET through the proxy's outbound listener to the app (fetch cannot set Host). */
  const getThroughProxy = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const [host, port] = outbound.split(':');
      const req = request({ host, port: Number(port), path: '/', headers: { host: `127.0.0.1:${appPort}` } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });

  const metric = async (name: string): Promise<number> =>
    sumSamples(parsePrometheusText(await (await fetch(`${adminUrl}/metrics`)).text()), name);

  /** Polls every 100 ms until `done()` holds, for at most `ms`; returns whether it did. */
  const until = async (done: () => Promise<boolean>, ms: number): Promise<boolean> => {
    for (let waited = 0; waited < ms; waited += 100) {
      if (await done()) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return done();
  };

  test('keeps its certificate, stays ready and serving while identity is down, and renews once it is back', async () => {
    assert.ok(await until(async () => (await metric('identity_cert_refresh_count')) >= 1, 10_000), 'renewing');
    await identity.stop();
    const renewalsWhileUp = await metric('identity_cert_refresh_count');
    const expiryWhileUp = await metric('identity_cert_expiration_timestamp_seconds');
    const failuresBefore = await metric('identity_cert_refresh_failures_total');

    // At least two failed renewals, with /ready and traffic checked on every poll.
    let polls = 0;
    const failed = await until(async () => {
      polls++;
      const ready = await fetch(`${adminUrl}/ready`);
      assert.equal(ready.status, 200, `ready while the certificate is valid (${await ready.text()})`);
      assert.equal(await getThroughProxy(), 200, 'traffic still flows');
      return (await metric('identity_cert_refresh_failures_total')) >= failuresBefore + 2;
    }, 15_000);
    assert.ok(failed, `failed renewals counted (after ${polls} polls)`);
    assert.equal(
      await metric('identity_cert_expiration_timestamp_seconds'),
      expiryWhileUp,
      'the same certificate kept',
    );
    assert.match(proxy.output(), /"msg":"certify failed"/);

    identity = startDaemon(['identity'], identityEnv);
    // (The expiry may not move: no leaf outlives its issuer, and this issuer is younger than 24 h.)
    const renewed = await until(async () => (await metric('identity_cert_refresh_count')) > renewalsWhileUp, 20_000);
    assert.ok(renewed, 'renewed after the identity service came back');
    assert.equal((await fetch(`${adminUrl}/ready`)).status, 200);
  });
});
