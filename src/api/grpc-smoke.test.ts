// gRPC smoke test: the generated service definitions and client classes talk to each other through
// @grpc/grpc-js on 127.0.0.1 (a unary Identity.Certify and a server-streaming Destination.Get), and
// use Linkerd2's method paths.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Server, ServerCredentials, credentials, status, type ServiceError } from '@grpc/grpc-js';

import { DestinationClient, IdentityClient } from './grpc-js-clients.ts';
import {
  CertifyRequest,
  CertifyResponse,
  DestinationService,
  GetDestination,
  IdentityService,
  Update,
  tcpAddressFromParts,
  type DestinationServer,
  type IdentityServer,
} from './index.ts';

describe('gRPC over loopback', () => {
  const server = new Server();
  let identityClient: IdentityClient;
  let destinationClient: DestinationClient;

  const identity: IdentityServer = {
    certify(call, callback) {
      const request = call.request;
      if (request.identity === '') {
        callback({ code: status.INVALID_ARGUMENT, details: 'identity is required' });
        return;
      }
      callback(
        null,
        CertifyResponse.create({
          leafCertificate: Buffer.concat([Buffer.from('leaf for '), Buffer.from(request.identity)]),
          intermediateCertificates: [request.certificateSigningRequest],
          validUntil: { seconds: 1_800_000_000n, nanos: 5 },
        }),
      );
    },
  };

  const destination: DestinationServer = {
    get(call) {
      call.write(
        Update.create({
          update: { $case: 'add', add: { addrs: [{ addr: tcpAddressFromParts('10.1.2.3', 8080), weight: 10_000 }] } },
        }),
      );
      call.write(Update.create({ update: { $case: 'noEndpoints', noEndpoints: { exists: true } } }));
      call.end();
    },
    getProfile(call) {
      call.end();
    },
  };

  before(async () => {
    server.addService(IdentityService, identity);
    server.addService(DestinationService, destination);
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) => {
        if (err === null) resolve(bound);
        else reject(err);
      });
    });
    identityClient = new IdentityClient(`127.0.0.1:${port}`, credentials.createInsecure());
    destinationClient = new DestinationClient(`127.0.0.1:${port}`, credentials.createInsecure());
  });

  after(() => {
    identityClient.close();
    destinationClient.close();
    server.forceShutdown();
  });

  test('serves the methods at Linkerd2 paths', () => {
    assert.equal(IdentityService.certify.path, '/io.linkerd.proxy.identity.Identity/Certify');
    assert.equal(DestinationService.get.path, '/io.linkerd.proxy.destination.Destination/Get');
    assert.equal(DestinationService.getProfile.path, '/io.linkerd.proxy.destination.Destination/GetProfile');
  });

  test('answers one Certify call', async () => {
    const request = CertifyRequest.create({
      identity: 'web.shop.serviceaccount.identity.nodemesh.cluster.local',
      token: Buffer.from('token'),
      certificateSigningRequest: Buffer.from([0x30, 0x82]),
    });
    const response = await new Promise<CertifyResponse>((resolve, reject) => {
      identityClient.certify(request, (err, reply) => (err === null ? resolve(reply) : reject(err)));
    });
    assert.deepStrictEqual(response.leafCertificate.toString(), `leaf for ${request.identity}`);
    assert.deepStrictEqual(response.intermediateCertificates, [Buffer.from([0x30, 0x82])]);
    assert.deepStrictEqual(response.validUntil, { seconds: 1_800_000_000n, nanos: 5 });
  });

  test('carries a server error as a gRPC status', async () => {
    const err = await new Promise<ServiceError | null>((resolve) => {
      identityClient.certify(CertifyRequest.create({}), (error) => resolve(error));
    });
    assert.equal(err?.code, status.INVALID_ARGUMENT);
    assert.equal(err?.details, 'identity is required');
  });

  test('streams Get updates in order', async () => {
    const updates: Update[] = [];
    for await (const update of destinationClient.get(
      GetDestination.create({ scheme: 'k8s', path: 'web.shop.svc.cluster.local:8080' }),
    )) {
      updates.push(update as Update);
    }
    assert.deepStrictEqual(
      updates.map((u) => u.update?.$case),
      ['add', 'noEndpoints'],
    );
  });
});
