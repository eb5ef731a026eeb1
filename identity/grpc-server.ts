// The identity service's gRPC server: io.linkerd.proxy.identity.Identity/Certify over TLS.
//
// Contract: start() binds and resolves with the port; the TLS context comes from the serving
// identity provider and changes without a restart; clients are not asked for certificates (a
// proxy has none before its first Certify). Errors from CertifyService become gRPC statuses here
// and nowhere else (rescue.ts). close() stops accepting, lets in-flight calls finish for up to
// `graceMs`, then forces the rest.

import { Server, experimental, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { IdentityService, timestampFromDate, type CertifyRequest, type CertifyResponse } from '../src/api/index.ts';
import type { SocketAddress } from '../src/config/index.ts';
import type { Logger } from '../src/log/index.ts';
import type { CertifyService } from './certify-service.ts';
import { rescue } from './rescue.ts';

export interface IdentityGrpcServerOptions {
  readonly address: SocketAddress;
  readonly certify: CertifyService;
  readonly tls: experimental.CertificateProvider;
  readonly log: Logger;
}

export class IdentityGrpcServer {
  readonly #opts: IdentityGrpcServerOptions;
  readonly #server: Server;

  constructor(opts: IdentityGrpcServerOptions) {
    this.#opts = opts;
    this.#server = new Server({ 'grpc.max_receive_message_length': 64 * 1024 });
    this.#server.addService(IdentityService, {
      certify: (call: ServerUnaryCall<CertifyRequest, CertifyResponse>, callback: sendUnaryData<CertifyResponse>) =>
        void this.#certify(call, callback),
    });
  }

  async start(): Promise<number> {
    const { host, port } = this.#opts.address;
    const credentials = experimental.createCertificateProviderServerCredentials(this.#opts.tls, this.#opts.tls, false);
    const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(target, credentials, (err, bound) => (err === null ? resolve(bound) : reject(err)));
    });
  }

  async close(graceMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.#server.tryShutdown(() => resolve())),
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.#server.forceShutdown();
          resolve();
        }, graceMs);
      }),
    ]);
    clearTimeout(timer);
  }

  async #certify(
    call: ServerUnaryCall<CertifyRequest, CertifyResponse>,
    callback: sendUnaryData<CertifyResponse>,
  ): Promise<void> {
    const abort = new AbortController();
    call.once('cancelled', () => abort.abort());
    try {
      const issued = await this.#opts.certify.certify(
        {
          identity: call.request.identity,
          token: call.request.token,
          certificateSigningRequest: call.request.certificateSigningRequest,
        },
        abort.signal,
      );
      callback(null, {
        leafCertificate: issued.leaf,
        intermediateCertificates: [...issued.intermediates],
        validUntil: timestampFromDate(issued.validUntil),
      });
    } catch (err) {
      const status = rescue(err);
      callback({ code: status.code, details: status.details });
    }
  }
}
