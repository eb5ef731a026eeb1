// Public surface of proxy/grpc-client: the proxy's own small gRPC client over its own HTTP/2 (ADR 0017, 0020),
// for its two control-plane calls: Certify (unary, TLS) and Destination Get/GetProfile (server
// streaming, plaintext or TLS). It loads no @grpc/grpc-js.
export {
  GrpcChannel,
  type CallOptions,
  type GrpcChannelOptions,
  type StreamCall,
  type StreamObserver,
} from './channel.ts';
export type { ConnectorTls as GrpcChannelTls } from './connector.ts';
export { GrpcCallError, type CallStatus } from './errors.ts';
export type { MethodDescriptor } from './method.ts';
export { STATUS_NAMES, type StatusName } from './status.ts';
