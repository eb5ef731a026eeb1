// The discovery client's failure kinds. They are logged, never thrown to callers: a resolver keeps
// serving its last state and retries.

import { MeshError, type MeshErrorOptions } from '../../src/errors/index.ts';

/** A Get or GetProfile stream to the destination service failed (it is retried with backoff). */
export class DiscoveryStreamError extends MeshError {
  constructor(message: string, options?: MeshErrorOptions) {
    super('MESH_ERR_DISCOVERY_STREAM', message, options);
  }
}
