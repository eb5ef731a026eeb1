// How the DestinationResolver opens its Get and GetProfile streams: a small interface, so unit
// tests drive the resolver with a fake source and the gRPC details stay in stream-source-grpc.ts.
//
// Contract: open* never throws; it returns at once and reports through the observer. The
// observer's `end` is called at most once, and never after `cancel()`. `addr` names the replica
// the stream went to (for logs and metrics).

import type { DestinationProfile, GetDestination, Update } from '../../src/api/index.ts';

export type DiscoveryMethod = 'get' | 'get_profile';

export type StreamEnd =
  /** The server ended the stream with OK (e.g. it is shutting down). */
  | { readonly kind: 'completed' }
  /** INVALID_ARGUMENT: the server will never serve this name (no profile; not host:port). */
  | { readonly kind: 'invalid-argument'; readonly message: string }
  /**
   * Any other status, including UNAVAILABLE when no replica could be reached. `tlsProblem` says
   * why, when the replica was refused at the TLS handshake (not the expected identity, not our
   * trust anchors, no TLS).
   */
  | { readonly kind: 'failed'; readonly status: string; readonly message: string; readonly tlsProblem?: string };

export interface StreamObserver<T> {
  message(message: T): void;
  end(reason: StreamEnd): void;
}

export interface OpenStream {
  readonly addr: string;
  cancel(): void;
}

export interface DiscoveryStreamSource {
  get(request: GetDestination, observer: StreamObserver<Update>): OpenStream;
  getProfile(request: GetDestination, observer: StreamObserver<DestinationProfile>): OpenStream;
}
