// The destination service's own failure kinds. They become gRPC statuses only in rescue.ts.

import { MeshError, type MeshErrorOptions } from '../../src/errors/index.ts';

/** A GetDestination path the service cannot answer: not `host:port`, or a name it does not serve. */
export class DestinationPathError extends MeshError {
  readonly path: string;

  constructor(path: string, message: string, options?: MeshErrorOptions) {
    super('MESH_ERR_DESTINATION_PATH', message, { ...options, fields: { path, ...options?.fields } });
    this.path = path;
  }
}

/** A stream's bounded queue filled up (the client reads too slowly); the stream is closed. */
export class StreamOverflowError extends MeshError {
  constructor(capacity: number, options?: MeshErrorOptions) {
    super(
      'MESH_ERR_DESTINATION_QUEUE_OVERFLOW',
      `the stream fell ${capacity} updates behind and was closed; reconnect to get the current state`,
      { ...options, fields: { capacity, ...options?.fields } },
    );
  }
}
