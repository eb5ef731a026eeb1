// The gRPC services of the proxy API as method descriptors in the shape grpc-js's
// ServiceDefinition takes (path, streaming flags, serializers), built from ts-proto's generic
// definitions. Nothing here loads @grpc/grpc-js: the sidecar's own gRPC client (node:http2) uses
// these descriptors too, and grpc-js costs a process several MB it does not otherwise need
// (ADR 0017). The grpc-js client constructors live in ./grpc-js-clients.ts.
//
// Contract: `IdentityService` and `DestinationService` can be passed to grpc-js's
// `server.addService` unchanged; every serializer encodes with the generated codec and wraps the
// bytes in a Buffer without copying them.

import type { handleServerStreamingCall, handleUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import {
  DestinationDefinition,
  type DestinationProfile,
  type GetDestination,
  type Update,
} from './gen/io/linkerd/proxy/destination/destination.ts';
import {
  IdentityDefinition,
  type CertifyRequest,
  type CertifyResponse,
} from './gen/io/linkerd/proxy/identity/identity.ts';

/** One method of a service: what a gRPC client or server needs to put it on the wire. */
export interface MethodDescriptor<Req, Res> {
  /** `/package.Service/Method`. */
  readonly path: string;
  /** The method's name in the .proto file (`Certify`). */
  readonly originalName: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly requestSerialize: (value: Req) => Buffer;
  readonly requestDeserialize: (bytes: Buffer) => Req;
  readonly responseSerialize: (value: Res) => Buffer;
  readonly responseDeserialize: (bytes: Buffer) => Res;
}

/** The codec part of a ts-proto message object. */
interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

/** The parts of a ts-proto generic method definition a descriptor is made from. */
interface GenericMethod<Req, Res> {
  readonly name: string;
  readonly requestType: Codec<Req>;
  readonly responseType: Codec<Res>;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

function serializer<T>(codec: Codec<T>): (value: T) => Buffer {
  return (value) => {
    const bytes = codec.encode(value).finish();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

/** The descriptor of `method` of the service named `serviceFullName` (`io.linkerd.proxy.identity.Identity`). */
export function methodDescriptor<Req, Res>(
  serviceFullName: string,
  method: GenericMethod<Req, Res>,
): MethodDescriptor<Req, Res> {
  return {
    path: `/${serviceFullName}/${method.name}`,
    originalName: method.name,
    requestStream: method.requestStream,
    responseStream: method.responseStream,
    requestSerialize: serializer(method.requestType),
    requestDeserialize: (bytes) => method.requestType.decode(bytes),
    responseSerialize: serializer(method.responseType),
    responseDeserialize: (bytes) => method.responseType.decode(bytes),
  };
}

/** io.linkerd.proxy.identity.Identity: signs certificates for proxies. */
export const IdentityService = {
  certify: methodDescriptor<CertifyRequest, CertifyResponse>(
    IdentityDefinition.fullName,
    IdentityDefinition.methods.certify,
  ),
} as const;

/** io.linkerd.proxy.destination.Destination: endpoints and profiles of authorities, streamed. */
export const DestinationService = {
  get: methodDescriptor<GetDestination, Update>(DestinationDefinition.fullName, DestinationDefinition.methods.get),
  getProfile: methodDescriptor<GetDestination, DestinationProfile>(
    DestinationDefinition.fullName,
    DestinationDefinition.methods.getProfile,
  ),
} as const;

/** What a grpc-js server implements for the Identity service. */
export interface IdentityServer extends UntypedServiceImplementation {
  /** Signs the CSR in the request if the token proves the requested identity. Unary. */
  certify: handleUnaryCall<CertifyRequest, CertifyResponse>;
}

/** What a grpc-js server implements for the Destination service. */
export interface DestinationServer extends UntypedServiceImplementation {
  /** Streams the endpoints behind an authority, as an initial set and then changes. */
  get: handleServerStreamingCall<GetDestination, Update>;
  /** Streams the profile (routes, retry budget, traffic split) of an authority, whole on every change. */
  getProfile: handleServerStreamingCall<GetDestination, DestinationProfile>;
}
