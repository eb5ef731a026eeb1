// The failure kinds of src/tls, one class per code, each with a `reason` naming the exact rule
// that was broken.
//
// Contract: messages are written for a person who must act on them (they name the part that is
// wrong and what is allowed) and never contain key material. `reason` is stable and is what
// callers branch on; servers map it to a wire status at their boundary (for the identity service:
// CsrError 'malformed' is INVALID_ARGUMENT, every other CsrError reason is FAILED_PRECONDITION,
// as in Linkerd's pkg/identity/service.go).

import { MeshError, type MeshErrorOptions } from '../errors/index.ts';

/** Why a key was refused. */
export type TlsKeyProblem = 'unparsable' | 'unsupported' | 'mismatch';

/** A key that could not be generated or parsed, is not ECDSA P-256, or does not match its certificate. */
export class TlsKeyError extends MeshError {
  readonly reason: TlsKeyProblem;

  constructor(reason: TlsKeyProblem, message: string, options: MeshErrorOptions = {}) {
    super('MESH_ERR_TLS_KEY', message, { ...options, fields: { reason, ...options.fields } });
    this.reason = reason;
  }
}

/** Why a certificate signing request was refused. */
export type CsrProblem =
  | 'malformed'
  | 'unsupported-key'
  | 'unsupported-signature-algorithm'
  | 'bad-signature'
  | 'email-san'
  | 'ip-san'
  | 'uri-san'
  | 'other-san'
  | 'no-dns-san'
  | 'multiple-dns-sans'
  | 'san-mismatch'
  | 'multiple-common-names'
  | 'cn-mismatch';

/** A CSR that is unparsable, badly signed, or breaks the identity service's CSR rules. */
export class CsrError extends MeshError {
  readonly reason: CsrProblem;

  constructor(reason: CsrProblem, message: string, options: MeshErrorOptions = {}) {
    super('MESH_ERR_TLS_CSR', message, { ...options, fields: { reason, ...options.fields } });
    this.reason = reason;
  }
}

/** A certificate or PEM bundle that could not be parsed or built. */
export class CertificateError extends MeshError {
  constructor(message: string, options: MeshErrorOptions = {}) {
    super('MESH_ERR_TLS_CERT', message, options);
  }
}

/** Why a certificate was not trusted. */
export type ChainProblem =
  'untrusted' | 'expired' | 'not-yet-valid' | 'not-a-ca' | 'no-key-cert-sign' | 'path-length' | 'identity-mismatch';

/**
 * A certificate that does not chain to the trust anchors, is outside its validity window, is not
 * a CA where one is needed, or (peer checks) does not name the identity that was expected.
 */
export class ChainError extends MeshError {
  readonly reason: ChainProblem;

  constructor(reason: ChainProblem, message: string, options: MeshErrorOptions = {}) {
    super('MESH_ERR_TLS_CHAIN', message, { ...options, fields: { reason, ...options.fields } });
    this.reason = reason;
  }
}

/** An identity name, or one of its labels, that is not a valid DNS-1123 name. */
export class IdentityNameError extends MeshError {
  constructor(message: string, options: MeshErrorOptions = {}) {
    super('MESH_ERR_IDENTITY_NAME', message, options);
  }
}
