// grpc-js clients of the proxy API's services, for processes that already run grpc-js (the
// controller's tools, the benchmarks, tests). The sidecar does not import this file: it talks to
// the control plane with its own client on node:http2 (ADR 0017).
//
// Contract: the constructors take grpc-js's (address, credentials, options) and return clients
// whose methods are typed with the generated messages.

import {
  makeGenericClientConstructor,
  type CallOptions,
  type ChannelCredentials,
  type Client,
  type ClientOptions,
  type ClientReadableStream,
  type ClientUnaryCall,
  type Metadata,
  type ServiceError,
} from '@grpc/grpc-js';
import type { DestinationProfile, GetDestination, Update } from './gen/io/linkerd/proxy/destination/destination.ts';
import type { CertifyRequest, CertifyResponse } from './gen/io/linkerd/proxy/identity/identity.ts';
import { DestinationService, IdentityService } from './services.ts';

type UnaryCallback<Res> = (error: ServiceError | null, response: Res) => void;

export interface IdentityClient extends Client {
  certify(request: CertifyRequest, callback: UnaryCallback<CertifyResponse>): ClientUnaryCall;
  certify(request: CertifyRequest, metadata: Metadata, callback: UnaryCallback<CertifyResponse>): ClientUnaryCall;
  certify(
    request: CertifyRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: UnaryCallback<CertifyResponse>,
  ): ClientUnaryCall;
}

export interface DestinationClient extends Client {
  get(request: GetDestination, options?: Partial<CallOptions>): ClientReadableStream<Update>;
  get(request: GetDestination, metadata?: Metadata, options?: Partial<CallOptions>): ClientReadableStream<Update>;
  getProfile(request: GetDestination, options?: Partial<CallOptions>): ClientReadableStream<DestinationProfile>;
  getProfile(
    request: GetDestination,
    metadata?: Metadata,
    options?: Partial<CallOptions>,
  ): ClientReadableStream<DestinationProfile>;
}

type ClientConstructor<C> = new (
  address: string,
  credentials: ChannelCredentials,
  options?: Partial<ClientOptions>,
) => C;

export const IdentityClient = makeGenericClientConstructor(
  IdentityService,
  'io.linkerd.proxy.identity.Identity',
) as unknown as ClientConstructor<IdentityClient>;

export const DestinationClient = makeGenericClientConstructor(
  DestinationService,
  'io.linkerd.proxy.destination.Destination',
) as unknown as ClientConstructor<DestinationClient>;
