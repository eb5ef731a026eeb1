// The edge of the destination service: turns errors into gRPC statuses. Nothing else in
// controller/destination knows about gRPC status codes.

import { status as GrpcStatus } from '@grpc/grpc-js';
import { MeshError, type ErrorCode } from '../../src/errors/index.ts';

export interface RescuedStatus {
  readonly code: GrpcStatus;
  readonly details: string;
  /** The stable error code, for logs and metrics (`internal` for unexpected errors). */
  readonly outcome: string;
}

const STATUS_BY_CODE: Partial<Record<ErrorCode, GrpcStatus>> = {
  MESH_ERR_DESTINATION_PATH: GrpcStatus.INVALID_ARGUMENT,
  MESH_ERR_DESTINATION_QUEUE_OVERFLOW: GrpcStatus.RESOURCE_EXHAUSTED,
};

export function rescue(err: unknown): RescuedStatus {
  if (err instanceof MeshError) {
    const code = STATUS_BY_CODE[err.code];
    if (code !== undefined) return { code, details: err.message, outcome: err.code };
  }
  return {
    code: GrpcStatus.INTERNAL,
    details: 'internal error in the destination service; see its log',
    outcome: 'internal',
  };
}
