// The edge of the identity service: turns errors into gRPC statuses with messages a person can
// act on. Nothing else in identity/ knows about gRPC status codes.

import { status as GrpcStatus } from '@grpc/grpc-js';
import { MeshError, type ErrorCode } from '../src/errors/index.ts';
import { CsrError } from '../src/tls/index.ts';

export interface RescuedStatus {
  readonly code: GrpcStatus;
  readonly details: string;
  /** The stable error code, for logs and metrics (`internal` for unexpected errors). */
  readonly outcome: string;
}

const STATUS_BY_CODE: Partial<Record<ErrorCode, GrpcStatus>> = {
  MESH_ERR_CERTIFY_REQUEST: GrpcStatus.INVALID_ARGUMENT,
  MESH_ERR_TLS_CSR: GrpcStatus.INVALID_ARGUMENT,
  MESH_ERR_IDENTITY_NAME: GrpcStatus.INVALID_ARGUMENT,
  MESH_ERR_TOKEN_INVALID: GrpcStatus.UNAUTHENTICATED,
  MESH_ERR_TOKEN_EXPIRED: GrpcStatus.UNAUTHENTICATED,
  MESH_ERR_IDENTITY_MISMATCH: GrpcStatus.PERMISSION_DENIED,
  MESH_ERR_ISSUER_UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  MESH_ERR_TOKEN_REVIEW: GrpcStatus.UNAVAILABLE,
};

export function rescue(err: unknown): RescuedStatus {
  // A well-formed CSR that names another identity than the request is Linkerd's "CSR name
  // mismatch": the request is readable but its precondition (CSR matches identity) fails.
  if (err instanceof CsrError && (err.reason === 'san-mismatch' || err.reason === 'cn-mismatch')) {
    return { code: GrpcStatus.FAILED_PRECONDITION, details: err.message, outcome: err.code };
  }
  if (err instanceof MeshError) {
    const code = STATUS_BY_CODE[err.code];
    if (code !== undefined) return { code, details: err.message, outcome: err.code };
  }
  return {
    code: GrpcStatus.INTERNAL,
    details: 'internal error in the identity service; see its log',
    outcome: 'internal',
  };
}
