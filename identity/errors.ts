// The identity service's own failure kinds. They become gRPC statuses only in rescue.ts.

import { MeshError, type MeshErrorOptions } from '../src/errors/index.ts';

/** A Certify request missing a field, or asking for a name outside this control plane's domain. */
export class CertifyRequestError extends MeshError {
  constructor(message: string, options?: MeshErrorOptions) {
    super('MESH_ERR_CERTIFY_REQUEST', message, options);
  }
}

/** A valid token whose service account is not the identity that was asked for. */
export class IdentityMismatchError extends MeshError {
  constructor(message: string, options?: MeshErrorOptions) {
    super('MESH_ERR_IDENTITY_MISMATCH', message, options);
  }
}

/** No valid issuer is loaded (never loaded, refused, or expired). */
export class IssuerUnavailableError extends MeshError {
  constructor(message: string, options?: MeshErrorOptions) {
    super('MESH_ERR_ISSUER_UNAVAILABLE', message, options);
  }
}
