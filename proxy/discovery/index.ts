// Public surface of proxy/discovery: the discovery client of the proxy (ADR 0008). It resolves an
// authority to endpoints and a profile over the destination service's Get and GetProfile streams,
// shared per target, kept through control-plane outages, and evicted when idle.
export {
  PENDING_ENDPOINTS,
  endpointKey,
  endpointSetOf,
  endpointsOf,
  noEndpointsSet,
  type Endpoint,
  type EndpointSet,
  type EndpointState,
  type ProtocolHintKind,
} from './endpoint.ts';
export { applyEndpointUpdate } from './endpoint-update.ts';
export type {
  EndpointResolver,
  Handle,
  ProfileHandle,
  ProfileResolver,
  ProfileState,
  ResolutionHandle,
  ResolveTarget,
  Resolver,
  Unsubscribe,
} from './resolver.ts';
export {
  DEFAULT_DISCOVERY_BACKOFF,
  DEFAULT_DISCOVERY_IDLE_TIMEOUT_MS,
  DestinationResolver,
  type DestinationResolverDependencies,
  type DestinationResolverOptions,
  type DestinationResolverStats,
} from './resolver-destination.ts';
export { StaticResolver, type StaticEndpoints, type StaticResolverOptions } from './resolver-static.ts';
export type { DiscoveryMethod, DiscoveryStreamSource, OpenStream, StreamEnd, StreamObserver } from './stream-source.ts';
export { GrpcDiscoveryStreams, type DestinationTls, type GrpcDiscoveryStreamsOptions } from './stream-source-grpc.ts';
export { DiscoveryStreamError, DiscoveryTlsError } from './errors.ts';
