import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { connect, createServer, type ConnectionOptions, type Server, type TLSSocket, type TlsOptions } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createIssuer, createTrustAnchor } from './ca-create.ts';
import { createCsr } from './csr.ts';
import { ChainError } from './errors.ts';
import { Issuer } from './issuer.ts';
import { generateP256KeyPair } from './keys.ts';
import {
  checkPeerIdentity,
  clientIdentity,
  clientTlsOptions,
  meshSecureContext,
  serverTlsOptions,
  type ClientAuthentication,
  type LocalIdentity,
} from './tls-context.ts';
import { TrustBundle } from './trust.ts';

const WEB = 'web.shop.serviceaccount.identity.nodemesh.cluster.local';
const DB = 'db.shop.serviceaccount.identity.nodemesh.cluster.local';

interface Mesh {
  readonly trust: TrustBundle;
  workload(identity: string): Promise<LocalIdentity>;
}

async function mesh(name: string): Promise<Mesh> {
  const anchor = await createTrustAnchor({ commonName: `root.${name}` });
  const ca = await createIssuer({
    anchor: anchor.certificate,
    anchorKey: anchor.privateKey,
    commonName: `identity.${name}`,
  });
  const trust = TrustBundle.fromPem(anchor.certificatePem);
  const issuer = new Issuer({
    material: { certificate: ca.certificate, privateKey: ca.privateKey },
    trustBundle: trust,
  });
  return {
    trust,
    async workload(identity) {
      const { privateKey } = await generateP256KeyPair();
      const issued = issuer.issueFromCsr(createCsr({ identity, privateKey }), identity);
      return { leaf: issued.leaf, intermediates: issued.intermediates, privateKey };
    },
  };
}

interface Served {
  readonly port: number;
  readonly seen: ClientAuthentication[];
  readonly clientErrors: Error[];
}

const servers: Server[] = [];

async function serve(options: TlsOptions): Promise<Served> {
  const seen: ClientAuthentication[] = [];
  const clientErrors: Error[] = [];
  const server = createServer(options, (socket: TLSSocket) => {
    const who = clientIdentity(socket);
    seen.push(who);
    socket.end(`hello ${who.kind === 'authenticated' ? who.identity : who.kind} via ${String(socket.servername)}`);
  });
  server.on('tlsClientError', (err) => clientErrors.push(err));
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, seen, clientErrors };
}

type Outcome = { ok: true; data: string; protocol: string | null } | { ok: false; error: Error };

function call(port: number, options: ConnectionOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ...options });
    let data = '';
    let protocol: string | null = null;
    socket.setEncoding('utf8');
    socket.on('secureConnect', () => (protocol = socket.getProtocol()));
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', (error: Error) => resolve({ ok: false, error }));
    socket.on('close', () =>
      resolve(data === '' ? { ok: false, error: new Error('closed without data') } : { ok: true, data, protocol }),
    );
  });
}

let home: Mesh;
let other: Mesh;

before(async () => {
  [home, other] = await Promise.all([mesh('home.example'), mesh('other.example')]);
});

after(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('mTLS between two workloads', { timeout: 10_000 }, () => {
  test('completes a TLS 1.3 handshake and the server learns the client identity', async () => {
    const server = await serve(serverTlsOptions({ local: await home.workload(DB), trust: home.trust }));
    const outcome = await call(
      server.port,
      clientTlsOptions({ local: await home.workload(WEB), trust: home.trust, serverIdentity: DB }),
    );
    assert.deepEqual(outcome, { ok: true, data: `hello ${WEB} via ${DB}`, protocol: 'TLSv1.3' });
    assert.deepEqual(server.seen, [{ kind: 'authenticated', identity: WEB, dnsNames: [WEB], uris: [] }]);
  });

  test('works with a shared SecureContext on the client', async () => {
    const server = await serve(serverTlsOptions({ local: await home.workload(DB), trust: home.trust }));
    const secureContext = meshSecureContext(await home.workload(WEB), home.trust);
    const outcome = await call(server.port, clientTlsOptions({ secureContext, serverIdentity: DB }));
    assert.equal(outcome.ok, true);
  });

  test('fails when the client certificate comes from another CA', async () => {
    const server = await serve(serverTlsOptions({ local: await home.workload(DB), trust: home.trust }));
    const outcome = await call(
      server.port,
      clientTlsOptions({ local: await other.workload(WEB), trust: home.trust, serverIdentity: DB }),
    );
    assert.equal(outcome.ok, false);
    assert.equal(server.seen.length, 0);
    assert.equal(server.clientErrors.length, 1);
  });

  test('fails when the client presents no certificate and one is required', async () => {
    const server = await serve(serverTlsOptions({ local: await home.workload(DB), trust: home.trust }));
    const outcome = await call(server.port, clientTlsOptions({ trust: home.trust, serverIdentity: DB }));
    assert.equal(outcome.ok, false);
    assert.equal(server.seen.length, 0);
  });

  test('fails when the server SAN differs from the expected identity', async () => {
    const server = await serve(serverTlsOptions({ local: await home.workload(WEB), trust: home.trust }));
    const outcome = await call(
      server.port,
      clientTlsOptions({ local: await home.workload(WEB), trust: home.trust, serverIdentity: DB }),
    );
    assert.equal(outcome.ok, false);
    assert.ok(outcome.error instanceof ChainError, String(outcome.error));
    assert.equal(outcome.error.reason, 'identity-mismatch');
    assert.match(
      outcome.error.message,
      new RegExp(`presented DNS:${WEB.replace(/\./g, '\\.')} but "${DB.replace(/\./g, '\\.')}" was expected`),
    );
  });

  test('fails when the server certificate comes from another CA', async () => {
    const server = await serve(serverTlsOptions({ local: await other.workload(DB), trust: other.trust }));
    const outcome = await call(
      server.port,
      clientTlsOptions({ local: await home.workload(WEB), trust: home.trust, serverIdentity: DB }),
    );
    assert.equal(outcome.ok, false);
    assert.ok(!(outcome.error instanceof ChainError), 'OpenSSL refuses the chain before the identity check');
  });

  test('refuses a client that offers only TLS 1.2', async () => {
    const server = await serve(serverTlsOptions({ local: await home.workload(DB), trust: home.trust }));
    const options = clientTlsOptions({ local: await home.workload(WEB), trust: home.trust, serverIdentity: DB });
    const outcome = await call(server.port, { ...options, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    assert.equal(outcome.ok, false);
  });

  test('with optional client certificates, reports anonymous and rejected clients instead of failing', async () => {
    const server = await serve(
      serverTlsOptions({ local: await home.workload(DB), trust: home.trust, clientCertificate: 'optional' }),
    );
    const anonymous = await call(server.port, clientTlsOptions({ trust: home.trust, serverIdentity: DB }));
    assert.deepEqual(anonymous, { ok: true, data: `hello anonymous via ${DB}`, protocol: 'TLSv1.3' });
    const foreign = await call(
      server.port,
      clientTlsOptions({ local: await other.workload(WEB), trust: home.trust, serverIdentity: DB }),
    );
    assert.equal(foreign.ok, true);
    assert.equal(server.seen[1]?.kind, 'rejected');
  });
});

describe('checkPeerIdentity', () => {
  test('matches only an exact DNS SAN, without wildcard or case folding', async () => {
    const { X509Certificate } = await import('node:crypto');
    const cert = new X509Certificate((await home.workload(WEB)).leaf);
    assert.equal(checkPeerIdentity(WEB, cert), undefined);
    assert.ok(checkPeerIdentity(WEB.toUpperCase(), cert) instanceof ChainError);
    assert.ok(checkPeerIdentity(`*.${WEB.split('.').slice(1).join('.')}`, cert) instanceof ChainError);
    assert.ok(checkPeerIdentity(WEB.split('.').slice(1).join('.'), cert) instanceof ChainError);
  });
});
