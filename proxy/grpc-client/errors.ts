// How a call ends: a CallStatus (data, for stream observers) and GrpcCallError (thrown / rejected
// by unary calls), both carrying the status name, the server's (or our) message, and `tlsProblem`
// when the connection failed at the TLS handshake or the server's identity check.

import { MeshError, type MeshErrorOptions } from '../../src/errors/index.ts';
import type { StatusName } from './status.ts';

export interface CallStatus {
  readonly code: StatusName;
  /** grpc-message (percent-decoded), or what went wrong on our side; '' for OK. */
  readonly message: string;
  /** Why the TLS handshake or the identity check failed; only with code UNAVAILABLE. */
  readonly tlsProblem?: string;
}

export const OK_STATUS: CallStatus = Object.freeze({ code: 'OK', message: '' });

/** A call that ended with a status other than OK. */
export class GrpcCallError extends MeshError {
  readonly status: StatusName;
  readonly details: string;
  readonly tlsProblem: string | undefined;

  constructor(path: string, status: CallStatus, options?: MeshErrorOptions) {
    super('MESH_ERR_GRPC_CALL', `${path} failed with ${status.code}: ${status.message}`, {
      ...options,
      fields: {
        path,
        grpcStatus: status.code,
        ...(status.tlsProblem === undefined ? {} : { tlsProblem: status.tlsProblem }),
        ...options?.fields,
      },
    });
    this.status = status.code;
    this.details = status.message;
    this.tlsProblem = status.tlsProblem;
  }
}
