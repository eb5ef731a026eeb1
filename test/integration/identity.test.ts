// The identity service as it runs: the real `nodemesh identity` process on loopback with a CA made
// by `nodemesh identity init` and tokens minted by `nodemesh identity token`, called through the
// proxy's own Certify client over TLS. Proves: leaves that openssl verifies; mTLS between two
// issued workloads (and its refusals); each refusal's gRPC status over the wire; issuer rotation
// on disk picked up while requests are in flight; metrics; clean stop; bad settings refused.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { GrpcCertifyClient, CertifyCallError } from '../../proxy/identity-client/index.ts';
import { parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';
import { freePort } from '../../src/net/index.ts';
import { createTestCa, createTestWorkload, type TestWorkload } from '../../src/testing/index.ts';
import { generateLocalSigningKey, mintLocalToken } from '../../src/tokens/index.ts';
import {
  Issuer,
  TrustBundle,
  certificatesToPem,
  clientTlsOptions,
  derToPem,
  serverTlsOptions,
  type LocalIdentity,
} from '../../src/tls/index.ts';
import { killAll, nodemesh, startDaemon, waitReady, type Daemon } from '../support/processes.ts';

const WEB = 'web.shop.serviceaccount.identity.nodemesh.cluster.local';
const DB = 'db.shop.serviceaccount.identity.nodemesh.cluster.local';
const IDENTITY_SVC = 'nodemesh-identity.nodemesh.serviceaccount.identity.nodemesh.cluster.local';

describe('nodemesh identity (the service)', () => {
  let dir: string;
  let daemon: Daemon;
  let client: GrpcCertifyClient;
  let trust: TrustBundle;
  let adminUrl: string;
  let webToken: string;
  let dbToken: string;
  let web: TestWorkload;
  let db: TestWorkload;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-identity-'));
    const init = await nodemesh(['identity', 'init', '--dir', path.join(dir, 'ca')]);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /trust anchor\s+CN=root\.nodemesh\.cluster\.local/);
    const mint = async (sa: string): Promise<string> => {
      const r = await nodemesh([
        'identity',
        'token',
        '--sa',
        sa,
        '--ns',
        'shop',
        '--key',
        path.join(dir, 'token.key'),
        '--create-key',
      ]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim();
    };
    webToken = await mint('web');
    dbToken = await mint('db');
    trust = TrustBundle.fromPem(await readFile(path.join(dir, 'ca', 'ca-bundle.crt'), 'utf8'));
    [web, db] = await Promise.all([createTestWorkload(WEB), createTestWorkload(DB)]);

    const [grpcPort, adminPort] = [await freePort(), await freePort()];
    adminUrl = `http://127.0.0.1:${adminPort}`;
    daemon = startDaemon(['identity'], {
      NODEMESH_IDENTITY_LISTEN_ADDR: `127.0.0.1:${grpcPort}`,
      NODEMESH_IDENTITY_ADMIN_LISTEN_ADDR: `127.0.0.1:${adminPort}`,
      NODEMESH_IDENTITY_ISSUER_DIR: path.join(dir, 'ca', 'issuer'),
      NODEMESH_IDENTITY_TRUST_ANCHORS_FILE: path.join(dir, 'ca', 'ca-bundle.crt'),
      NODEMESH_IDENTITY_TOKEN_VALIDATOR: 'local',
      NODEMESH_IDENTITY_LOCAL_TOKEN_KEYS_FILE: path.join(dir, 'token.key.pub'),
      NODEMESH_IDENTITY_ISSUER_POLL_INTERVAL: '200ms',
      NODEMESH_LOG_FORMAT: 'json',
    });
    await waitReady(daemon, `${adminUrl}/ready`);
    client = new GrpcCertifyClient({
      address: { host: '127.0.0.1', port: grpcPort },
      serverName: IDENTITY_SVC,
      trust,
      timeoutMs: 10_000,
    });
  });

  after(async () => {
    client?.close();
    await daemon?.stop();
    killAll();
    await rm(dir, { recursive: true, force: true });
  });

  async function certify(workload: TestWorkload, token: string, identity = workload.identity) {
    return client.certify({ identity, token: Buffer.from(token), csr: workload.csr });
  }

  test('issues a leaf that openssl verifies against the anchors with the issuer as intermediate', async () => {
    const issued = await certify(web, webToken);
    await writeFile(path.join(dir, 'leaf.pem'), derToPem(issued.leaf));
    await writeFile(path.join(dir, 'chain.pem'), certificatesToPem(issued.intermediates));
    const { stdout } = await promisify(execFile)('openssl', [
      'verify',
      '-CAfile',
      path.join(dir, 'ca', 'ca-bundle.crt'),
      '-untrusted',
      path.join(dir, 'chain.pem'),
      path.join(dir, 'leaf.pem'),
    ]);
    assert.match(stdout, /leaf\.pem: OK/);
    const hours = (issued.validUntil.getTime() - Date.now()) / 3_600_000;
    assert.ok(hours > 23.9 && hours < 24.1, `valid for ${hours} h`);
  });

  test("two issued workloads complete a TLS 1.3 mTLS handshake and learn each other's identity", async () => {
    const [webId, dbId] = await Promise.all([local(web, webToken), local(db, dbToken)]);
    const result = await handshake(dbId, webId, DB, trust);
    assert.equal(result.ok, true, result.error);
    assert.equal(result.protocol, 'TLSv1.3');
    assert.equal(result.serverSawClient, `DNS:${WEB}`);
  });

  test('mTLS fails for a certificate from another CA and for an unexpected server identity', async () => {
    const [webId, dbId] = await Promise.all([local(web, webToken), local(db, dbToken)]);
    const foreign = await createTestCa();
    const stranger = await createTestWorkload(WEB);
    const foreignIssuer = new Issuer({
      material: { certificate: foreign.issuer.certificate, privateKey: foreign.issuer.privateKey },
      trustBundle: foreign.trust,
    });
    const strangerIssued = foreignIssuer.issueFromCsr(stranger.csr, WEB);
    const strangerId: LocalIdentity = {
      leaf: strangerIssued.leaf,
      intermediates: strangerIssued.intermediates,
      privateKey: stranger.keys.privateKey,
    };
    const otherCa = await handshake(dbId, strangerId, DB, trust);
    assert.equal(otherCa.ok, false, 'a client from another CA is refused');
    const wrongName = await handshake(
      dbId,
      webId,
      'payments.shop.serviceaccount.identity.nodemesh.cluster.local',
      trust,
    );
    assert.equal(wrongName.ok, false);
    assert.match(wrongName.error ?? '', /db\.shop\.serviceaccount/);
  });

  const refusals: { name: string; run: () => Promise<unknown>; status: string; message: RegExp }[] = [
    { name: 'no token', run: () => certify(web, ''), status: 'INVALID_ARGUMENT', message: /has no token/ },
    {
      name: 'a garbage CSR',
      run: () => client.certify({ identity: WEB, token: Buffer.from(webToken), csr: Buffer.from('junk') }),
      status: 'INVALID_ARGUMENT',
      message: /could not be parsed/,
    },
    {
      name: 'a token signed by an unknown key',
      run: async () =>
        certify(
          web,
          mintLocalToken({
            key: (await generateLocalSigningKey()).privateKeyPem,
            namespace: 'shop',
            serviceAccount: 'web',
          }),
        ),
      status: 'UNAUTHENTICATED',
      message: /token/,
    },
    {
      name: "another workload's token",
      run: () => certify(web, dbToken),
      status: 'PERMISSION_DENIED',
      message: /belongs to service account shop\/db/,
    },
    {
      name: "a CSR for someone else's identity",
      run: () => client.certify({ identity: WEB, token: Buffer.from(webToken), csr: db.csr }),
      status: 'FAILED_PRECONDITION',
      message: /db\.shop/,
    },
    {
      name: "a name outside the mesh's domain",
      run: () =>
        client.certify({
          identity: 'web.shop.serviceaccount.identity.linkerd.cluster.local',
          token: Buffer.from(webToken),
          csr: web.csr,
        }),
      status: 'INVALID_ARGUMENT',
      message: /not in this control plane's domain/,
    },
  ];
  for (const r of refusals) {
    test(`refuses ${r.name} with ${r.status} over the wire`, async () => {
      const err = await r.run().then(
        () => assert.fail('expected a refusal'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof CertifyCallError, String(err));
      assert.equal(err.fields.grpcStatus, r.status);
      assert.match(err.message, r.message);
    });
  }

  test('picks up a rotated issuer on disk while requests are in flight, failing none', async () => {
    const before = await certify(web, webToken);
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const load = Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 400 && !stop; i++) {
        try {
          await certify(web, webToken);
          ok++;
        } catch (err) {
          failures.push(String(err));
        }
      }
    });
    const rotate = await nodemesh([
      'identity',
      'issuer',
      '--anchor-cert',
      path.join(dir, 'ca', 'ca-bundle.crt'),
      '--anchor-key',
      path.join(dir, 'ca', 'anchor.key'),
      '--out',
      path.join(dir, 'ca', 'issuer'),
      '--force',
    ]);
    assert.equal(rotate.code, 0, rotate.stderr);
    const newIssuerPem = await readFile(path.join(dir, 'ca', 'issuer', 'crt.pem'), 'utf8');
    let rotated = false;
    for (let i = 0; i < 100 && !rotated; i++) {
      const issued = await certify(web, webToken);
      rotated = derToPem(issued.intermediates[0] ?? new Uint8Array()) === newIssuerPem;
      if (!rotated) await new Promise((r) => setTimeout(r, 100));
    }
    stop = true;
    await Promise.all(load);
    assert.ok(rotated, 'leaves are signed by the new issuer');
    assert.notEqual(derToPem(before.intermediates[0] ?? new Uint8Array()), newIssuerPem);
    assert.deepEqual(failures, []);
    assert.ok(ok > 0);
    const metrics = parsePrometheusText(await (await fetch(`${adminUrl}/metrics`)).text());
    assert.equal(sumSamples(metrics, 'identity_issuer_reload_total', { result: 'loaded' }), 2);
  });

  test('reports outcomes and the issuer TTL in /metrics', async () => {
    const metrics = parsePrometheusText(await (await fetch(`${adminUrl}/metrics`)).text());
    assert.ok(sumSamples(metrics, 'identity_certify_requests_total', { outcome: 'issued' }) >= 3);
    assert.ok(sumSamples(metrics, 'identity_certify_requests_total', { outcome: 'MESH_ERR_IDENTITY_MISMATCH' }) >= 1);
    assert.ok(sumSamples(metrics, 'issuer_cert_ttl_seconds') > 300 * 86400);
  });

  test('stops cleanly on SIGTERM', async () => {
    assert.equal(await daemon.stop(), 0, daemon.output());
    assert.match(daemon.output(), /"msg":"identity service stopping"/);
  });

  async function local(workload: TestWorkload, token: string): Promise<LocalIdentity> {
    const issued = await certify(workload, token);
    return { leaf: issued.leaf, intermediates: issued.intermediates, privateKey: workload.keys.privateKey };
  }
});

describe('nodemesh identity (bad settings)', () => {
  test('refuses to start and names every bad variable', async () => {
    const result = await nodemesh(['identity'], {
      NODEMESH_IDENTITY_TOKEN_VALIDATOR: 'oidc',
      NODEMESH_IDENTITY_ISSUANCE_LIFETIME: '24',
      NODEMESH_IDENTITY_LISTEN_ADDR: 'localhost:8080',
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\[MESH_ERR_CONFIG\]: nodemesh identity: 3 invalid settings/);
    for (const name of [
      'NODEMESH_IDENTITY_TOKEN_VALIDATOR',
      'NODEMESH_IDENTITY_ISSUANCE_LIFETIME',
      'NODEMESH_IDENTITY_LISTEN_ADDR',
    ]) {
      assert.match(result.stderr, new RegExp(name));
    }
  });
});

async function handshake(
  server: LocalIdentity,
  client: LocalIdentity,
  expectedServer: string,
  trust: TrustBundle,
): Promise<{ ok: boolean; protocol?: string; serverSawClient?: string; error?: string }> {
  let serverSawClient: string | undefined;
  const srv = createServer(serverTlsOptions({ local: server, trust }), (socket: TLSSocket) => {
    serverSawClient = socket.getPeerX509Certificate()?.subjectAltName;
    socket.end('hi');
  });
  srv.on('tlsClientError', () => undefined);
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  try {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ...clientTlsOptions({ serverIdentity: expectedServer, local: client, trust }),
    });
    const outcome = await new Promise<{ ok: boolean; protocol?: string; error?: string }>((resolve) => {
      socket.once('secureConnect', () => resolve({ ok: true, protocol: socket.getProtocol() ?? '' }));
      socket.once('error', (err: Error) => resolve({ ok: false, error: err.message }));
    });
    if (outcome.ok) {
      // The server may still refuse the client's certificate after the client's handshake ends.
      const data = await new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (d: Buffer) => (text += d.toString()));
        socket.once('end', () => resolve(text));
        socket.once('error', () => resolve(text));
        socket.once('close', () => resolve(text));
      });
      socket.destroy();
      if (data !== 'hi') return { ok: false, error: 'the server closed the connection' };
    }
    return { ...outcome, ...(serverSawClient === undefined ? {} : { serverSawClient }) };
  } finally {
    srv.close();
  }
}
