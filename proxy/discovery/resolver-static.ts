// StaticResolver: a Resolver answered from in-memory maps, for tests and local experiments. Tests
// push changes with setEndpoints / setProfile and every open handle sees them at once.
//
// Contract: an authority with no entry resolves to no-endpoints exists=false and profile 'none'
// (never 'pending'). Endpoint lists are copied and frozen. close() drops every listener.

import type { DestinationProfile } from '../../src/api/index.ts';
// Deep import: src/profiles/index.ts also exports the YAML parser (loads `yaml`, ~4 MB per sidecar).
import { compileProfile } from '../../src/profiles/profile-match.ts';
import { endpointSetOf, noEndpointsSet, type Endpoint, type EndpointSet } from './endpoint.ts';
import type { Handle, ProfileHandle, ProfileState, ResolutionHandle, ResolveTarget, Resolver } from './resolver.ts';

export type StaticEndpoints = readonly Endpoint[] | { readonly noEndpoints: { readonly exists: boolean } };

export interface StaticResolverOptions {
  readonly endpoints?: Readonly<Record<string, StaticEndpoints>>;
  readonly profiles?: Readonly<Record<string, DestinationProfile>>;
}

const NONE: ProfileState = Object.freeze({ kind: 'none' });

class Slot<S> {
  state: S;
  readonly listeners = new Set<(s: S) => void>();

  constructor(state: S) {
    this.state = state;
  }

  set(state: S): void {
    this.state = state;
    for (const fn of [...this.listeners]) fn(state);
  }

  handle(): Handle<S> {
    const mine = new Set<(s: S) => void>();
    let released = false;
    return {
      current: () => this.state,
      onChange: (fn) => {
        if (released) return () => undefined;
        mine.add(fn);
        this.listeners.add(fn);
        return () => {
          mine.delete(fn);
          this.listeners.delete(fn);
        };
      },
      release: () => {
        released = true;
        for (const fn of mine) this.listeners.delete(fn);
        mine.clear();
      },
    };
  }
}

export class StaticResolver implements Resolver {
  readonly #endpoints = new Map<string, Slot<EndpointSet>>();
  readonly #profiles = new Map<string, Slot<ProfileState>>();

  constructor(opts: StaticResolverOptions = {}) {
    for (const [authority, e] of Object.entries(opts.endpoints ?? {})) this.setEndpoints(authority, e);
    for (const [authority, p] of Object.entries(opts.profiles ?? {})) this.setProfile(authority, p);
  }

  setEndpoints(authority: string, endpoints: StaticEndpoints): void {
    const set =
      'noEndpoints' in endpoints
        ? noEndpointsSet(endpoints.noEndpoints.exists)
        : endpointSetOf(endpoints.map((e) => Object.freeze({ ...e, labels: Object.freeze({ ...e.labels }) })));
    this.#slot(this.#endpoints, authority, noEndpointsSet(false)).set(set);
  }

  /** Sets (or with undefined, removes) the profile of an authority. */
  setProfile(authority: string, profile: DestinationProfile | undefined): void {
    const state: ProfileState =
      profile === undefined ? NONE : Object.freeze({ kind: 'profile', profile, compiled: compileProfile(profile) });
    this.#slot(this.#profiles, authority, NONE).set(state);
  }

  resolve(target: ResolveTarget): ResolutionHandle {
    return this.#slot(this.#endpoints, target.authority, noEndpointsSet(false)).handle();
  }

  resolveProfile(target: ResolveTarget): ProfileHandle {
    const handle = this.#slot(this.#profiles, target.authority, NONE).handle();
    return {
      ...handle,
      profile: () => {
        const s = handle.current();
        return s.kind === 'profile' ? s.profile : undefined;
      },
      compiled: () => {
        const s = handle.current();
        return s.kind === 'profile' ? s.compiled : undefined;
      },
    };
  }

  close(): void {
    for (const slot of [...this.#endpoints.values(), ...this.#profiles.values()]) slot.listeners.clear();
  }

  #slot<S>(map: Map<string, Slot<S>>, authority: string, initial: S): Slot<S> {
    let slot = map.get(authority);
    if (slot === undefined) {
      slot = new Slot(initial);
      map.set(authority, slot);
    }
    return slot;
  }
}
