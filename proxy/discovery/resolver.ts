// The discovery interfaces the proxy's outbound path depends on: resolve an authority to a
// stream of EndpointSet snapshots, and to a stream of profiles. Implementations:
// DestinationResolver (the destination service over gRPC) and StaticResolver (a fixed map, for
// tests and local experiments).
//
// Contract for every handle:
// - current() is never blocking and always returns the latest snapshot ('pending' until the first
//   answer). onChange(fn) calls fn with each later snapshot (not the current one) and returns an
//   unsubscribe function. Listeners run synchronously; they must not throw or block.
// - release() is idempotent; after it the handle's listeners are dropped and current() keeps
//   returning the last snapshot. Every resolve() must be paired with one release().

import type { DestinationProfile } from '../../src/api/index.ts';
import type { CompiledProfile } from '../../src/profiles/index.ts';
import type { EndpointSet } from './endpoint.ts';

export interface ResolveTarget {
  /** `host:port`, as sent in GetDestination.path (e.g. `web.shop.svc.cluster.local:80`). */
  readonly authority: string;
}

export type Unsubscribe = () => void;

export interface Handle<S> {
  current(): S;
  onChange(fn: (snapshot: S) => void): Unsubscribe;
  release(): void;
}

export type ResolutionHandle = Handle<EndpointSet>;

export type ProfileState =
  | { readonly kind: 'pending' }
  /** No profile for this name (GetProfile said INVALID_ARGUMENT, or none is configured). */
  | { readonly kind: 'none' }
  | { readonly kind: 'profile'; readonly profile: DestinationProfile; readonly compiled: CompiledProfile };

export interface ProfileHandle extends Handle<ProfileState> {
  /** The current profile, if there is one. */
  profile(): DestinationProfile | undefined;
  /** The current profile compiled for route matching and classification, if there is one. */
  compiled(): CompiledProfile | undefined;
}

export interface EndpointResolver {
  resolve(target: ResolveTarget): ResolutionHandle;
}

export interface ProfileResolver {
  resolveProfile(target: ResolveTarget): ProfileHandle;
}

export interface Resolver extends EndpointResolver, ProfileResolver {
  /** Ends every stream and timer; handles keep their last snapshot. */
  close(): void;
}
