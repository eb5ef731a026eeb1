// The Certify call over gRPC + TLS (proxy/grpc-client, not grpc-js; ADR 0017): verifies that the
// server is the identity service (its certificate chains to our trust anchors and names the
// expected identity, sent as SNI too) and turns error statuses into CertifyCallError with the
// status name and the server's message (`grpcStatus`, and `tlsProblem` when the handshake or the
// identity check failed). One connection per client, opened on the first call, reopened on the
// next call after it is lost, closed after 5 minutes without calls.

import { IdentityService, dateFromTimestamp, type CertifyRequest, type CertifyResponse } from '../../src/api/index.ts';
import type { HostPort } from '../../src/config/index.ts';
import type { TrustBundle } from '../../src/tls/index.ts';
import { GrpcCallError, GrpcChannel, type MethodDescriptor } from '../grpc-client/index.ts';
import { CertifyCallError } from './errors.ts';
import type { CertifyClient, CertifyResult } from './workload-identity.ts';
import { Buffer } from 'node:buffer';

export interface GrpcCertifyClientOptions {
  readonly address: HostPort;
  /** The identity service's identity name (its certificate's DNS SAN). */
  readonly serverName: string;
  readonly trust: TrustBundle;
  readonly timeoutMs?: number;
}

const CERTIFY: MethodDescriptor<CertifyRequest, CertifyResponse> = IdentityService.certify;

export class GrpcCertifyClient implements CertifyClient {
  readonly #channel: GrpcChannel;
  readonly #opts: GrpcCertifyClientOptions;

  constructor(opts: GrpcCertifyClientOptions) {
    this.#opts = opts;
    this.#channel = new GrpcChannel({
      address: opts.address,
      tls: { serverName: opts.serverName, trustAnchorsPem: opts.trust.pem },
    });
  }

  async certify(req: { identity: string; token: Uint8Array; csr: Uint8Array }): Promise<CertifyResult> {
    let res: CertifyResponse;
    try {
      res = await this.#channel.unary(
        CERTIFY,
        { identity: req.identity, token: Buffer.from(req.token), certificateSigningRequest: Buffer.from(req.csr) },
        { deadlineMs: this.#opts.timeoutMs ?? 10_000 },
      );
    } catch (err) {
      const status = err instanceof GrpcCallError ? err.status : 'UNKNOWN';
      const details = err instanceof GrpcCallError ? err.details : String(err);
      const tlsProblem = err instanceof GrpcCallError ? err.tlsProblem : undefined;
      throw new CertifyCallError(`Certify at ${this.#opts.serverName} failed with ${status}: ${details}`, {
        cause: err,
        fields: { grpcStatus: status, ...(tlsProblem === undefined ? {} : { tlsProblem }) },
      });
    }
    if (res.validUntil === undefined || res.leafCertificate.length === 0)
      throw new CertifyCallError('the identity service answered without a certificate or valid_until');
    return {
      leaf: res.leafCertificate,
      intermediates: res.intermediateCertificates,
      validUntil: dateFromTimestamp(res.validUntil),
    };
  }

  close(): void {
    this.#channel.close();
  }
}
