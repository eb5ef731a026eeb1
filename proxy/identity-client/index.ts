// Public surface of proxy/identity-client.
export {
  WorkloadIdentity,
  type CertifyClient,
  type CertifyResult,
  type WorkloadCertificate,
  type WorkloadIdentityOptions,
  type CertificateListener,
} from './workload-identity.ts';
export { GrpcCertifyClient, type GrpcCertifyClientOptions } from './grpc-certify-client.ts';
export { tokenFileReader } from './token-file.ts';
export { CertificateRejectedError, CertifyCallError } from './errors.ts';
