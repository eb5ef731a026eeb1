// The identity client's failure kinds.

import { MeshError, type MeshErrorOptions } from '../../src/errors/index.ts';

/** The identity service answered with a certificate we must not use. */
export class CertificateRejectedError extends MeshError {
  constructor(message: string, options?: MeshErrorOptions) {
    super('MESH_ERR_CERT_REJECTED', message, options);
  }
}

/** Certify could not be called or answered with an error status. */
export class CertifyCallError extends MeshError {
  constructor(message: string, options?: MeshErrorOptions) {
    super('MESH_ERR_CERTIFY_CALL', message, options);
  }
}
