// Garbage in place of a protobuf message on the control plane's gRPC APIs: the real identity
// service (Certify, over TLS) and the destination service (Get and GetProfile) each answer bytes
// that are not their request message with an error status, promptly, and go on serving the next
// well-formed call.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { DestinationController } from '../../controller/destination/index.ts';
import { GrpcCertifyClient } from '../../proxy/identity-client/index.ts';
import { GetDestination, Update } from '../../src/api/index.ts';
import { createCaFiles } from '../../src/cli/identity/ca-files.ts';
import { FileResourceSource } from '../../src/k8s/index.ts';
import { freePort } from '../../src/net/index.ts';
import { createTestWorkload } from '../../src/testing/index.ts';
import { TrustBundle, identityName, identityServiceName } from '../../src/tls/index.ts';
import { generateLocalSigningKey, mintLocalToken } from '../../src/tokens/index.ts';
import { fileDestination, silentLog } from '../support/file-mesh.ts';
import { killAll, startDaemon, waitReady, type Daemon } from '../support/processes.ts';

const DOMAIN = { trustDomain: 'cluster.local', controlNamespace: 'nodemesh' };

/** Bytes that are not a valid protobuf message: an invalid wire type, a truncated length, junk. */
const GARBAGE: readonly (readonly [string, Buffer])[] = [
  ['an invalid wire type', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])],
  ['a length running past the end', Buffer.from([0x0a, 0xf0, 0x01, 0x41])],
  ['random bytes', Buffer.from('9a7c1e44b0d3f2a8e5c6d7b8a9f0e1d2c3b4a5968778695a4b3c2d1e0f', 'hex')],
];

const identity = (b: Buffer): Buffer => b;

/** A unary call with `body` as the raw request bytes; resolves with the status code. */
function rawUnary(client: Client, method: string, body: Buffer): Promise<GrpcStatus> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(method, identity, identity, body, (err: ServiceError | null) =>
      resolve(err === null ? GrpcStatus.OK : err.code),
    );
  });
}

/** A server-streaming call with `body` as the raw request; resolves with the status it ends with. */
function rawStream(client: Client, method: string, body: Buffer): Promise<GrpcStatus> {
  return new Promise((resolve) => {
    const call = client.makeServerStreamRequest(method, identity, identity, body);
    call.on('data', () => undefined);
    call.on('error', (err: ServiceError) => resolve(err.code));
    call.on('end', () => resolve(GrpcStatus.OK));
  });
}

describe('garbage protobuf on the gRPC APIs', () => {
  let dir: string;
  let identityDaemon: Daemon;
  let identityAddr: string;
  let trust: TrustBundle;
  let token: string;
  let source: FileResourceSource;
  let destination: DestinationController;
  let destinationPort: number;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-garbage-grpc-'));
    const ca = await createCaFiles({
      dir: path.join(dir, 'ca'),
      domain: DOMAIN,
      anchorLifetimeMs: 86_400_000,
      issuerLifetimeMs: 86_400_000,
      force: true,
      command: 'test',
    });
    trust = TrustBundle.fromPem(ca.anchor.pem);
    const signing = await generateLocalSigningKey();
    await writeFile(path.join(dir, 'token.pub'), signing.publicKeyPem);
    token = mintLocalToken({ key: signing.privateKeyPem, namespace: 'shop', serviceAccount: 'web' });
    const [grpcPort, adminPort] = [await freePort(), await freePort()];
    identityAddr = `127.0.0.1:${grpcPort}`;
    identityDaemon = startDaemon(['identity'], {
      NODEMESH_IDENTITY_LISTEN_ADDR: identityAddr,
      NODEMESH_IDENTITY_ADMIN_LISTEN_ADDR: `127.0.0.1:${adminPort}`,
      NODEMESH_IDENTITY_ISSUER_DIR: ca.files.issuerDir,
      NODEMESH_IDENTITY_TRUST_ANCHORS_FILE: ca.files.anchor,
      NODEMESH_IDENTITY_TOKEN_VALIDATOR: 'local',
      NODEMESH_IDENTITY_LOCAL_TOKEN_KEYS_FILE: path.join(dir, 'token.pub'),
    });
    await waitReady(identityDaemon, `http://127.0.0.1:${adminPort}/ready`);

    await writeFile(
      path.join(dir, 'web.yaml'),
      'apiVersion: v1\nkind: Service\nmetadata: { name: web, namespace: shop }\nspec:\n  ports: [{ port: 80 }]\n',
    );
    source = new FileResourceSource({ log: silentLog }, { folder: dir, pollIntervalMs: 100 });
    destination = fileDestination(source);
    destinationPort = await destination.start();
  });

  after(async () => {
    await identityDaemon?.stop();
    killAll();
    await destination?.close(200);
    await source?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('identity: Certify with garbage gets an error status, and the next real Certify succeeds', async () => {
    const client = new Client(identityAddr, credentials.createSsl(Buffer.from(trust.pem)), {
      'grpc.ssl_target_name_override': identityServiceName(DOMAIN),
      'grpc.default_authority': identityServiceName(DOMAIN),
    });
    try {
      for (const [what, bytes] of GARBAGE) {
        const code = await rawUnary(client, '/io.linkerd.proxy.identity.Identity/Certify', bytes);
        assert.ok(
          code === GrpcStatus.INTERNAL || code === GrpcStatus.INVALID_ARGUMENT,
          `${what}: status ${code} (INTERNAL or INVALID_ARGUMENT expected)`,
        );
      }
    } finally {
      client.close();
    }
    const web = identityName({ serviceAccount: 'web', namespace: 'shop', ...DOMAIN });
    const workload = await createTestWorkload(web);
    const certify = new GrpcCertifyClient({
      address: { host: '127.0.0.1', port: Number(identityAddr.split(':')[1]) },
      serverName: identityServiceName(DOMAIN),
      trust,
    });
    try {
      const issued = await certify.certify({ identity: web, token: Buffer.from(token), csr: workload.csr });
      assert.ok(issued.leaf.length > 0, 'a certificate was issued after the garbage');
    } finally {
      certify.close();
    }
  });

  test('destination: Get and GetProfile with garbage end with an error status; a real Get still works', async () => {
    const client = new Client(`127.0.0.1:${destinationPort}`, credentials.createInsecure());
    try {
      for (const method of ['Get', 'GetProfile']) {
        for (const [what, bytes] of GARBAGE) {
          const code = await rawStream(client, `/io.linkerd.proxy.destination.Destination/${method}`, bytes);
          assert.ok(
            code === GrpcStatus.INTERNAL || code === GrpcStatus.INVALID_ARGUMENT,
            `${method} with ${what}: status ${code} (INTERNAL or INVALID_ARGUMENT expected)`,
          );
        }
      }
      const request = Buffer.from(
        GetDestination.encode({ scheme: 'k8s', path: 'web.shop.svc.cluster.local:80', contextToken: '' }).finish(),
      );
      const first = await new Promise<Update>((resolve, reject) => {
        const call = client.makeServerStreamRequest(
          '/io.linkerd.proxy.destination.Destination/Get',
          identity,
          (b: Buffer) => Update.decode(b),
          request,
        );
        call.once('data', (u: Update) => {
          resolve(u);
          call.cancel();
        });
        call.on('error', (err: ServiceError) => {
          if (err.code !== GrpcStatus.CANCELLED) reject(err);
        });
      });
      assert.ok(first.update !== undefined, 'the real Get got its first update');
    } finally {
      client.close();
    }
  });
});
