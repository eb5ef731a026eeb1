// The discovery client's failure kinds. They are logged, never thrown to callers: a resolver keeps
// serving its last state and retries.

import { MeshError, type MeshErrorOptions } from '../../src/errors/index.ts';

/** A Get or GetProfile stream to the destination service failed (it is retried with backoff). */
export class DiscoveryStreamError extends MeshError {
  constructor(message: string, options?: MeshErrorOptions) {
    super('MESH_ERR_DISCOVERY_STREAM', message, options);
  }
}

/**
 * A destination replica failed the TLS check: its certificate does not chain to the trust anchors,
 * does not name NODEMESH_PROXY_DESTINATION_SVC_NAME, or it does not speak TLS. Nothing it sends
 * is used; the stream is retried with backoff like any failed stream.
 */
export class DiscoveryTlsError extends MeshError {
  constructor(message: string, options?: MeshErrorOptions) {
    super('MESH_ERR_DISCOVERY_TLS', message, options);
  }
}
