// DestinationResolver: the Resolver over the destination service (reference §1.3, §1.4). One Get
// stream and one GetProfile stream per authority, shared by every user of that authority.
//
// Contract:
// - resolve()/resolveProfile() start a stream on first use and return at once ('pending' until the
//   first answer). Requests carry scheme `k8s`, path = the authority, and the configured context
//   token.
// - When a stream ends or fails the last state keeps being served and the stream is reopened after
//   a jittered exponential backoff (default 100 ms to 10 s); the first message of the new stream
//   replaces the state.
// - GetProfile INVALID_ARGUMENT means "no profile for this name": the state becomes 'none' and
//   the stream is not retried. (Get INVALID_ARGUMENT, a malformed path, likewise becomes
//   no-endpoints exists=false.) no-endpoints exists=false is passed on as it is: the caller decides
//   whether to fall back to DNS.
// - A target unused for `idleTimeoutMs` (default 5 s, Linkerd's outbound discovery idle timeout,
//   reference §4.8) is evicted: its stream is cancelled and the next resolve starts afresh.
// - close() ends every stream and timer; it does not close the stream source (its owner does).
//
// Metrics (when a registry is given): discovery_stream_opens_total{method,addr} and
// discovery_stream_ends_total{method,addr,classification} (classification =
// completed|invalid_argument|<gRPC status name>), and discovery_streams{method} open now.

import { Counter, Gauge, type Registry } from '../../src/metrics/index.ts';
import { DestinationProfile, type GetDestination, type Update } from '../../src/api/index.ts';
import type { Logger } from '../../src/log/index.ts';
// Deep import: src/profiles/index.ts also exports the YAML parser (loads `yaml`, ~4 MB per sidecar).
import { compileProfile } from '../../src/profiles/profile-match.ts';
import { systemClock, type BackoffOptions, type Clock } from '../../src/time/index.ts';
import { PENDING_ENDPOINTS, noEndpointsSet, sameEndpointSet, type EndpointSet } from './endpoint.ts';
import { applyEndpointUpdate } from './endpoint-update.ts';
import { DiscoveryStreamError, DiscoveryTlsError } from './errors.ts';
import type { ProfileHandle, ProfileState, ResolutionHandle, ResolveTarget, Resolver } from './resolver.ts';
import type { DiscoveryMethod, DiscoveryStreamSource, StreamEnd } from './stream-source.ts';
import { TargetWatch, type TargetWatchEvents } from './target-watch.ts';
import { Buffer } from 'node:buffer';

export const DEFAULT_DISCOVERY_IDLE_TIMEOUT_MS = 5000;
export const DEFAULT_DISCOVERY_BACKOFF: BackoffOptions = Object.freeze({ minMs: 100, maxMs: 10_000, jitter: 0.1 });

export interface DestinationResolverDependencies {
  readonly streams: DiscoveryStreamSource;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly registry?: Registry;
}

export interface DestinationResolverOptions {
  /** GetDestination.context_token (NODEMESH_PROXY_DESTINATION_CONTEXT), e.g. `{"ns":"shop"}`. */
  readonly contextToken: string;
  readonly idleTimeoutMs?: number;
  readonly backoff?: BackoffOptions;
}

export interface DestinationResolverStats {
  /** Targets being watched (in use or idle but not yet evicted). */
  readonly targets: number;
  /** Streams open now. */
  readonly openStreams: number;
}

const PROFILE_PENDING: ProfileState = Object.freeze({ kind: 'pending' });
const PROFILE_NONE: ProfileState = Object.freeze({ kind: 'none' });

export class DestinationResolver implements Resolver {
  readonly #deps: DestinationResolverDependencies;
  readonly #opts: DestinationResolverOptions;
  readonly #clock: Clock;
  readonly #events: TargetWatchEvents;
  readonly #endpoints = new Map<string, TargetWatch<Update, EndpointSet>>();
  readonly #profiles = new Map<string, TargetWatch<DestinationProfile, ProfileState>>();

  constructor(deps: DestinationResolverDependencies, opts: DestinationResolverOptions) {
    this.#deps = deps;
    this.#opts = opts;
    this.#clock = deps.clock ?? systemClock;
    this.#events = createEvents(deps.log, deps.registry);
  }

  resolve(target: ResolveTarget): ResolutionHandle {
    const { authority } = target;
    let watch = this.#endpoints.get(authority);
    if (watch === undefined) {
      const request = this.#request(authority);
      const log = this.#deps.log;
      const created: TargetWatch<Update, EndpointSet> = new TargetWatch(
        {
          method: 'get',
          authority,
          initial: PENDING_ENDPOINTS,
          open: (observer) => this.#deps.streams.get(request, observer),
          apply: (current, update, first) => {
            const base = first ? PENDING_ENDPOINTS : current;
            const next = applyEndpointUpdate(base, update, (err) =>
              log.warn({ err, authority }, 'skipped an endpoint address that does not decode'),
            );
            return sameEndpointSet(current, next) ? current : next;
          },
          onInvalid: () => noEndpointsSet(false),
        },
        this.#watchOptions(() => {
          if (this.#endpoints.get(authority) === created) this.#endpoints.delete(authority);
        }),
      );
      watch = created;
      this.#endpoints.set(authority, watch);
      watch.start();
    }
    return watch.acquire();
  }

  resolveProfile(target: ResolveTarget): ProfileHandle {
    const { authority } = target;
    let watch = this.#profiles.get(authority);
    if (watch === undefined) {
      const request = this.#request(authority);
      const log = this.#deps.log;
      const created: TargetWatch<DestinationProfile, ProfileState> = new TargetWatch(
        {
          method: 'get_profile',
          authority,
          initial: PROFILE_PENDING,
          open: (observer) => this.#deps.streams.getProfile(request, observer),
          apply: (current, profile) => {
            if (current.kind === 'profile' && sameProfile(current.profile, profile)) return current;
            const compiled = compileProfile(profile);
            if (compiled.skipped.length > 0) {
              log.warn({ authority, skipped: compiled.skipped }, 'parts of the profile cannot be used');
            }
            return Object.freeze({ kind: 'profile', profile, compiled });
          },
          onInvalid: () => PROFILE_NONE,
        },
        this.#watchOptions(() => {
          if (this.#profiles.get(authority) === created) this.#profiles.delete(authority);
        }),
      );
      watch = created;
      this.#profiles.set(authority, watch);
      watch.start();
    }
    const handle = watch.acquire();
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

  stats(): DestinationResolverStats {
    const all = [...this.#endpoints.values(), ...this.#profiles.values()];
    return { targets: all.length, openStreams: all.filter((w) => w.streaming).length };
  }

  close(): void {
    for (const w of this.#endpoints.values()) w.close();
    for (const w of this.#profiles.values()) w.close();
    this.#endpoints.clear();
    this.#profiles.clear();
  }

  #request(authority: string): GetDestination {
    return { scheme: 'k8s', path: authority, contextToken: this.#opts.contextToken };
  }

  #watchOptions(onEvict: () => void) {
    return {
      clock: this.#clock,
      backoff: this.#opts.backoff ?? DEFAULT_DISCOVERY_BACKOFF,
      idleTimeoutMs: this.#opts.idleTimeoutMs ?? DEFAULT_DISCOVERY_IDLE_TIMEOUT_MS,
      events: this.#events,
      onEvict,
    };
  }
}

function sameProfile(a: DestinationProfile, b: DestinationProfile): boolean {
  return Buffer.from(DestinationProfile.encode(a).finish()).equals(DestinationProfile.encode(b).finish());
}

function classification(reason: StreamEnd): string {
  switch (reason.kind) {
    case 'completed':
      return 'completed';
    case 'invalid-argument':
      return 'invalid_argument';
    case 'failed':
      return reason.tlsProblem === undefined ? reason.status : 'tls';
  }
}

function createEvents(log: Logger, registry: Registry | undefined): TargetWatchEvents {
  const opens =
    registry === undefined
      ? undefined
      : new Counter({
          name: 'discovery_stream_opens_total',
          help: 'Get and GetProfile streams opened to the destination service, by replica.',
          labelNames: ['method', 'addr'],
          registers: [registry],
        });
  const ends =
    registry === undefined
      ? undefined
      : new Counter({
          name: 'discovery_stream_ends_total',
          help: 'Get and GetProfile streams that ended, by replica and how they ended.',
          labelNames: ['method', 'addr', 'classification'],
          registers: [registry],
        });
  const open =
    registry === undefined
      ? undefined
      : new Gauge({
          name: 'discovery_streams',
          help: 'Get and GetProfile streams open now.',
          labelNames: ['method'],
          registers: [registry],
        });
  return {
    streamOpened: (method: DiscoveryMethod, addr: string) => {
      opens?.inc({ method, addr });
      open?.inc({ method });
      log.debug({ method, addr }, 'discovery stream opened');
    },
    streamEnded: (method: DiscoveryMethod, addr: string, reason: StreamEnd) => {
      ends?.inc({ method, addr, classification: classification(reason) });
      open?.dec({ method });
      switch (reason.kind) {
        case 'completed':
          log.debug({ method, addr }, 'discovery stream ended by the server');
          return;
        case 'invalid-argument':
          log.debug({ method, addr, details: reason.message }, 'destination service does not serve this name');
          return;
        case 'failed': {
          if (reason.tlsProblem !== undefined) {
            const err = new DiscoveryTlsError(
              `the destination service at ${addr} was refused at the TLS handshake: ${reason.tlsProblem}`,
              { fields: { method, addr, problem: reason.tlsProblem } },
            );
            log.error({ err }, 'destination service not trusted; serving the last state and retrying');
            return;
          }
          const err = new DiscoveryStreamError(`${method} stream to ${addr} failed with ${reason.status}`, {
            fields: { method, addr, grpcStatus: reason.status, details: reason.message },
          });
          log.warn({ err }, 'discovery stream failed; serving the last state and retrying');
          return;
        }
      }
    },
    listenerFailed: (err: unknown) => log.error({ err }, 'a discovery listener threw'),
  };
}
