// The Certify call over gRPC + TLS: verifies that the server is the identity service (its
// certificate chains to our trust anchors and names the expected identity, sent as SNI too) and
// turns error statuses into CertifyCallError with the status name and the server's message.

import { Metadata, credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { dateFromTimestamp } from '../../src/api/index.ts';
import { IdentityClient } from '../../src/api/grpc-js-clients.ts';
import type { HostPort } from '../../src/config/index.ts';
import { checkPeerIdentity, type TrustBundle } from '../../src/tls/index.ts';
import { CertifyCallError } from './errors.ts';
import type { CertifyClient, CertifyResult } from './workload-identity.ts';

export interface GrpcCertifyClientOptions {
  readonly address: HostPort;
  /** The identity service's identity name (its certificate's DNS SAN). */
  readonly serverName: string;
  readonly trust: TrustBundle;
  readonly timeoutMs?: number;
  /** Extra grpc-js channel options (e.g. a private subchannel pool for one connection per client). */
  readonly channelOptions?: Readonly<Record<string, string | number>>;
}

export class GrpcCertifyClient implements CertifyClient {
  readonly #client: IdentityClient;
  readonly #opts: GrpcCertifyClientOptions;

  constructor(opts: GrpcCertifyClientOptions) {
    this.#opts = opts;
    const { host, port } = opts.address;
    const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const creds = credentials.createSsl(Buffer.from(opts.trust.pem), null, null, {
      checkServerIdentity: (_host, cert) => checkPeerIdentity(opts.serverName, cert),
    });
    this.#client = new IdentityClient(target, creds, {
      'grpc.ssl_target_name_override': opts.serverName,
      'grpc.default_authority': opts.serverName,
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 5000,
      ...opts.channelOptions,
    });
  }

  certify(req: { identity: string; token: Uint8Array; csr: Uint8Array }): Promise<CertifyResult> {
    const deadline = new Date(Date.now() + (this.#opts.timeoutMs ?? 10_000));
    return new Promise((resolve, reject) => {
      this.#client.certify(
        { identity: req.identity, token: Buffer.from(req.token), certificateSigningRequest: Buffer.from(req.csr) },
        new Metadata(),
        { deadline },
        (err: ServiceError | null, res) => {
          if (err !== null) {
            const name = GrpcStatus[err.code] ?? String(err.code);
            reject(
              new CertifyCallError(`Certify at ${this.#opts.serverName} failed with ${name}: ${err.details}`, {
                cause: err,
                fields: { grpcStatus: name },
              }),
            );
            return;
          }
          if (res.validUntil === undefined || res.leafCertificate.length === 0) {
            reject(new CertifyCallError('the identity service answered without a certificate or valid_until'));
            return;
          }
          resolve({
            leaf: res.leafCertificate,
            intermediates: res.intermediateCertificates,
            validUntil: dateFromTimestamp(res.validUntil),
          });
        },
      );
    });
  }

  close(): void {
    this.#client.close();
  }
}
