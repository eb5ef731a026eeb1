// The error kinds shared by every component. Component-specific kinds live with their component.

import { MeshError, type MeshErrorOptions } from './mesh-error.ts';

/** A command line that was not understood (the CLI exits 2). */
export class UsageError extends MeshError {
  constructor(message: string, options?: MeshErrorOptions) {
    super('MESH_ERR_USAGE', message, options);
  }
}

/** Something that should be impossible happened. */
export class InternalError extends MeshError {
  constructor(message: string, options?: MeshErrorOptions) {
    super('MESH_ERR_INTERNAL', message, options);
  }
}

/** Bytes that should hold a protobuf message did not decode. */
export class ProtobufDecodeError extends MeshError {
  constructor(message: string, options?: MeshErrorOptions) {
    super('MESH_ERR_PROTOBUF_DECODE', message, options);
  }
}

/** A `transport.l5d.io/v1` header that was malformed, truncated or too large. */
export class TransportHeaderError extends MeshError {
  constructor(message: string, options?: MeshErrorOptions) {
    super('MESH_ERR_TRANSPORT_HEADER', message, options);
  }
}
