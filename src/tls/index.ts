// Public surface of src/tls: identity names, P-256 keys, PEM, CSRs, the issuer (CA), trust
// bundles, TLS options for meshed connections, and certificate descriptions.
//
// The DER codec, the certificate parser/builder and SPKI helpers stay internal.

export {
  DEFAULT_CONTROL_NAMESPACE,
  DEFAULT_TRUST_DOMAIN,
  IDENTITY_SERVICE_ACCOUNT,
  checkDnsLabel,
  checkDnsName,
  dnsLabelProblem,
  identityName,
  identityServiceName,
  isDnsLabel,
  isDnsName,
  issuerCommonName,
  parseIdentityName,
  trustAnchorCommonName,
  type IdentityParts,
  type MeshDomain,
} from './identity-name.ts';
export {
  assertP256,
  describeKey,
  exportPrivateKeyPem,
  exportPublicKeySpki,
  generateP256KeyPair,
  keysMatch,
  parsePrivateKeyPem,
  type KeyPair,
} from './keys.ts';
export { certificatesFromPem, certificatesToPem, derToPem, joinPem, pemToDer, splitPem, type PemBlock } from './pem.ts';
export { createCsr, parseCsr, verifyCsr, type CsrRequest, type ParsedCsr, type VerifiedCsr } from './csr.ts';
export {
  DEFAULT_CLOCK_SKEW_MS,
  DEFAULT_ISSUANCE_LIFETIME_MS,
  Issuer,
  loadIssuerFromPem,
  type IssuedCertificate,
  type IssuerDependencies,
  type IssuerMaterial,
  type IssuerOptions,
  type IssuerPem,
} from './issuer.ts';
export {
  DEFAULT_CA_LIFETIME_MS,
  createIssuer,
  createTrustAnchor,
  type CreatedCa,
  type IssuerSpec,
  type TrustAnchorSpec,
} from './ca-create.ts';
export { TrustBundle, peerIdentity, type CertificateInput, type PeerIdentity, type VerifiedChain } from './trust.ts';
export {
  checkPeerIdentity,
  clientIdentity,
  clientTlsOptions,
  meshSecureContext,
  secureContextOptions,
  serverTlsOptions,
  type ClientAuthentication,
  type ClientTlsSpec,
  type LocalIdentity,
  type ServerTlsSpec,
} from './tls-context.ts';
export {
  describeCertificate,
  describePemBundle,
  formatDescription,
  type CertificateDescription,
  type DescribeOptions,
  type TrustStatus,
} from './inspect.ts';
export {
  CertificateError,
  ChainError,
  CsrError,
  IdentityNameError,
  TlsKeyError,
  type ChainProblem,
  type CsrProblem,
  type TlsKeyProblem,
} from './errors.ts';
export type { GeneralName, NameAttribute } from './x509-names.ts';
