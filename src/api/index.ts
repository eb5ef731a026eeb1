// Public surface of src/api: the generated protobuf messages (types and codecs) and gRPC service
// definitions of the Linkerd2-compatible proxy API, plus helpers for addresses, well-known types and
// the transport.l5d.io/v1 connection header.
//
// Contract: other code imports these names from here (the grpc-js client constructors from
// ./grpc-js-clients.ts, which loads grpc-js; the sidecar never imports it), never from ./gen
// directly. Each message name is both a type and a codec object with
// encode/decode/fromPartial/create/fromJSON/toJSON; 64-bit integers are bigint, oneofs are
// `{ $case: 'field', field: value }` unions, optional message fields are `?:`, and enums are
// `as const` objects of numbers.

// io.linkerd.proxy.identity
export { CertifyRequest, CertifyResponse } from './gen/io/linkerd/proxy/identity/identity.ts';

// io.linkerd.proxy.destination
export {
  AddrSet,
  AuthorityOverride,
  DestinationProfile,
  GetDestination,
  Http2ClientParams,
  Http2ClientParams_FlowControl,
  Http2ClientParams_Internals,
  Http2ClientParams_KeepAlive,
  HttpStatusRange,
  NoEndpoints,
  PathMatch,
  ProtocolHint,
  ProtocolHint_H2,
  ProtocolHint_Opaque,
  ProtocolHint_OpaqueTransport,
  RequestMatch,
  RequestMatch_Seq,
  ResponseClass,
  ResponseMatch,
  ResponseMatch_Seq,
  RetryBudget,
  Route,
  TlsIdentity,
  TlsIdentity_DnsLikeIdentity,
  TlsIdentity_UriLikeIdentity,
  Update,
  WeightedAddr,
  WeightedAddrSet,
  WeightedDst,
} from './gen/io/linkerd/proxy/destination/destination.ts';

// The services as method descriptors (grpc-js's ServiceDefinition shape, no grpc-js loaded); the
// grpc-js client constructors are in ./grpc-js-clients.ts.
export {
  DestinationService,
  IdentityService,
  methodDescriptor,
  type DestinationServer,
  type IdentityServer,
  type MethodDescriptor,
} from './services.ts';

// io.linkerd.proxy.net
export { IPAddress, IPv6, TcpAddress } from './gen/io/linkerd/proxy/net/net.ts';

// io.linkerd.proxy.http_types
export {
  HttpMethod,
  HttpMethod_Registered,
  Scheme,
  Scheme_Registered,
} from './gen/io/linkerd/proxy/http_types/http_types.ts';

// io.linkerd.proxy.meta
export { Metadata, Resource } from './gen/io/linkerd/proxy/meta/meta.ts';

// transport.l5d.io (the message inside the connection header; see transport-header.ts for framing)
export {
  Header as TransportHeaderMessage,
  SessionProtocol as TransportSessionProtocol,
  SessionProtocol_Http1 as TransportSessionProtocol_Http1,
  SessionProtocol_Http2 as TransportSessionProtocol_Http2,
} from './gen/transport/l5d/io/header.ts';

// google.protobuf
export { Duration } from './gen/google/protobuf/duration.ts';
export { Timestamp } from './gen/google/protobuf/timestamp.ts';

// Shared shapes of every generated codec.
export type { DeepPartial, MessageFns } from './gen/io/linkerd/proxy/net/net.ts';

// Helpers
export {
  InvalidAddressError,
  formatIpv6,
  formatTcpAddress,
  ipAddressFromString,
  ipAddressToString,
  parseTcpAddress,
  tcpAddressFromParts,
  tcpAddressToParts,
  type AddressParts,
  type IpFamily,
  type ParseAddressOptions,
} from './net-address.ts';
export {
  DEFAULT_MAX_TRANSPORT_HEADER_BYTES,
  TRANSPORT_HEADER_ALPN,
  TRANSPORT_HEADER_PREFACE,
  TransportHeaderDecoder,
  decodeTransportHeader,
  encodeTransportHeader,
  type DecodedTransportHeader,
  type SessionProtocolName,
  type TransportHeader,
  type TransportHeaderDecodeResult,
  type TransportHeaderDecoderOptions,
} from './transport-header.ts';
export { dateFromTimestamp, durationFromMillis, millisFromDuration, timestampFromDate } from './well-known.ts';
