// Logical outbound targets: a Service name (an authority under one of the profile suffixes) or a
// connection's original destination (a ClusterIP), with the endpoints, profile and retry budget the
// destination service streams for it, and the balancer that spreads requests over its endpoints.
//
// Contract:
// - resolve() answers a LogicalTarget once discovery has answered (waiting at most `waitMs` for the
//   first answer), or undefined when discovery has no opinion — not a cluster name, unknown to the
//   destination service (`exists: false`, so the caller falls back to the original destination or
//   the name itself), or no answer in time. A target the destination service knows is answered
//   even with no ready endpoints: its balancer then queues and fails fast (linkerd.md §4.6).
// - Endpoint set changes reach the balancer as they arrive; endpoints that stay keep their load and
//   breaker state, in-flight requests to removed ones finish.
// - The Service's `balancer.linkerd.io/failure-accrual*` annotations (sent with its endpoints)
//   override the proxy's failure-accrual setting for that target; a change rebuilds the balancer.
// - A target unused for `idleMs` is dropped: its discovery handles are released and its balancer
//   closed. The retry budget follows the profile's retryBudget (the default one when the profile
//   has none; none at all when the profile's budget is invalid).
// - gatewayRouting() compiles the profile's Gateway API routes (ADR 0012) once per profile update;
//   a profile without them costs one identity comparison per request.

import type { DestinationProfile } from '../../src/api/index.ts';
import type { Logger } from '../../src/log/index.ts';
import type { CompiledProfile, CompiledRetryBudget } from '../../src/profiles/index.ts';
import { systemClock, type Clock, type TimerHandle } from '../../src/time/index.ts';
import {
  createBalancer,
  parseFailureAccrualAnnotations,
  type Balancer,
  type BalancerOptions,
  type BalancerStrategy,
  type FailureAccrualOptions,
} from '../balance/index.ts';
import type {
  Endpoint as DiscoveredEndpoint,
  EndpointSet,
  ProfileHandle,
  ProfileState,
  ResolutionHandle,
  Resolver,
} from '../discovery/index.ts';
import { parseAuthority } from '../authority.ts';
import type { Endpoint } from '../http/stack.ts';
import { RetryBudget } from '../retry/index.ts';
import { compileGatewayRouting, type GatewayRouting } from './gateway-routing.ts';
import type { SocketAddressPort } from '../transport/original-dst.ts';

export interface OutboundTargetsOptions {
  /** Names under these suffixes are asked of discovery (Linkerd's default: svc.cluster.local.). */
  readonly profileSuffixes: readonly string[];
  /** How long a first lookup may wait for discovery's first answer (default 1 s). */
  readonly waitMs?: number;
  /** Drop a target after this long unused (default 60 s). */
  readonly idleMs?: number;
  /** The peer proxy's inbound port when discovery does not say (default 4143). */
  readonly defaultInboundPort?: number;
  /** Balancing strategy (default p2c). */
  readonly strategy?: BalancerStrategy;
  readonly balancer?: BalancerOptions;
  /** This proxy's namespace, the client namespace of Gateway API routes (the Service's when unset). */
  readonly clientNamespace?: string;
}

export interface LogicalTarget {
  /** The logical name, `host:port` (the `dst` label of route metrics). */
  readonly name: string;
  readonly balancer: Balancer<Endpoint>;
  /** The current profile compiled for route matching, if there is one. */
  profile(): CompiledProfile | undefined;
  /** The retry budget of the current profile (undefined: retries are off). */
  retryBudget(): RetryBudget | undefined;
  /** The current profile's Gateway API routes, compiled (undefined: none; the profile routes). */
  gatewayRouting(): GatewayRouting | undefined;
}

export interface TargetRequest {
  readonly authority: string | undefined;
  readonly origDst: SocketAddressPort | undefined;
}

/** Authorities whose target names are remembered (the cache is cleared when it fills up)... */
const MAX_CACHED_AUTHORITIES = 1024;
/** ...if no longer than a DNS name (253) with a port: clients choose the authority. */
const MAX_CACHED_AUTHORITY_LENGTH = 260;

/** Linkerd's default retry budget, used when a profile has none. */
const DEFAULT_BUDGET: CompiledRetryBudget = Object.freeze({ retryRatio: 0.2, minRetriesPerSecond: 10, ttlMs: 10_000 });

/** Builds a target's balancer with the failure accrual its Service asks for (undefined: off). */
type BalancerFactory = (accrual: FailureAccrualOptions | undefined) => Balancer<Endpoint>;

class Target implements LogicalTarget {
  readonly name: string;
  readonly endpoints: ResolutionHandle;
  readonly profiles: ProfileHandle;
  lastUsed: number;
  readonly #clock: Clock;
  readonly #inboundPort: number;
  readonly #unsubscribe: () => void;
  #budget: RetryBudget | undefined;
  #budgetOf: CompiledRetryBudget | undefined;
  #profileOf: CompiledProfile | undefined;
  /** The profile message the routing was compiled from (compiled once per update). */
  #routingOf: DestinationProfile | undefined;
  #routing: GatewayRouting | undefined;
  readonly #clientNamespace: string | undefined;
  readonly #newBalancer: BalancerFactory;
  readonly #defaultAccrual: FailureAccrualOptions | undefined;
  readonly #log: Logger;
  #balancer: Balancer<Endpoint>;
  /** The Service's balancer annotations, and the failure accrual, the current balancer was built for. */
  #annotationsKey = '[]';
  #accrualKey: string;

  constructor(
    name: string,
    endpoints: ResolutionHandle,
    profiles: ProfileHandle,
    balancer: { readonly create: BalancerFactory; readonly defaultAccrual: FailureAccrualOptions | undefined },
    deps: { readonly clock: Clock; readonly log: Logger },
    opts: { readonly inboundPort: number; readonly clientNamespace: string | undefined },
  ) {
    this.name = name;
    this.endpoints = endpoints;
    this.profiles = profiles;
    this.#newBalancer = balancer.create;
    this.#defaultAccrual = balancer.defaultAccrual;
    this.#balancer = balancer.create(balancer.defaultAccrual);
    this.#accrualKey = JSON.stringify(balancer.defaultAccrual ?? null);
    this.#log = deps.log;
    const clock = deps.clock;
    this.#clock = clock;
    this.#inboundPort = opts.inboundPort;
    this.#clientNamespace = opts.clientNamespace;
    this.lastUsed = clock.now();
    this.#apply(endpoints.current());
    this.#unsubscribe = endpoints.onChange((set) => this.#apply(set));
  }

  get balancer(): Balancer<Endpoint> {
    return this.#balancer;
  }

  profile(): CompiledProfile | undefined {
    return this.profiles.compiled();
  }

  retryBudget(): RetryBudget | undefined {
    const profile = this.profiles.compiled();
    if (profile !== this.#profileOf) {
      this.#profileOf = profile;
      // An invalid budget (skipped by compileProfile) turns retries off, as in Linkerd's proxy.
      const invalid = profile?.skipped.some((s) => s.path === 'retryBudget') === true;
      const wanted = invalid ? undefined : (profile?.retryBudget ?? DEFAULT_BUDGET);
      if (!sameBudget(wanted, this.#budgetOf)) {
        this.#budgetOf = wanted;
        this.#budget = wanted === undefined ? undefined : new RetryBudget(this.#clock, wanted);
      }
    }
    return this.#budget;
  }

  gatewayRouting(): GatewayRouting | undefined {
    const profile = this.profiles.profile();
    if (profile !== this.#routingOf) {
      this.#routingOf = profile;
      this.#routing =
        profile === undefined || profile.gatewayRoutes.length === 0
          ? undefined
          : compileGatewayRouting(profile, {
              target: this.name,
              clientNamespace: this.#clientNamespace,
              log: this.#log,
            });
    }
    return this.#routing;
  }

  close(): void {
    this.#unsubscribe();
    this.endpoints.release();
    this.profiles.release();
    this.#balancer.close();
  }

  #apply(set: EndpointSet): void {
    const state = set.state;
    if (state.kind === 'pending') return;
    const endpoints = state.kind === 'endpoints' ? state.endpoints : [];
    if (endpoints.length > 0) this.#configure(endpoints[0]?.balancer ?? {});
    this.#balancer.update(endpoints.map((e) => this.#endpoint(e)));
  }

  /**
   * Applies the Service's balancer.linkerd.io annotations (linkerd.md §4.9): a new failure-accrual
   * setting replaces the balancer (requests in flight finish on the old one; requests waiting in its
   * queue fail and may be retried by the client). Invalid annotations are logged and the proxy's
   * own setting is used.
   */
  #configure(annotations: Readonly<Record<string, string>>): void {
    const key = JSON.stringify(Object.entries(annotations).sort(([x], [y]) => (x < y ? -1 : 1)));
    if (key === this.#annotationsKey) return;
    this.#annotationsKey = key;
    const accrual = this.#accrualFor(annotations);
    const accrualKey = JSON.stringify(accrual ?? null);
    if (accrualKey === this.#accrualKey) return;
    this.#accrualKey = accrualKey;
    const old = this.#balancer;
    this.#balancer = this.#newBalancer(accrual);
    this.#log.info(
      { target: this.name, failureAccrual: accrual ?? 'off' },
      'balancer configured from the Service annotations',
    );
    old.close();
  }

  #accrualFor(annotations: Readonly<Record<string, string>>): FailureAccrualOptions | undefined {
    const parsed = parseFailureAccrualAnnotations(annotations);
    switch (parsed.kind) {
      case 'none':
        return this.#defaultAccrual;
      case 'consecutive':
        return parsed.options;
      case 'invalid':
        this.#log.warn(
          { target: this.name, problems: parsed.problems },
          'ignoring invalid balancer annotations on the Service; using the proxy setting',
        );
        return this.#defaultAccrual;
    }
  }

  #endpoint(e: DiscoveredEndpoint): Endpoint {
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(e.labels)) labels[`dst_${k}`] = v;
    return {
      host: e.host,
      port: e.port,
      labels,
      ...(e.identity === undefined
        ? {}
        : { mesh: { identity: e.identity, inboundPort: e.opaqueTransportPort ?? this.#inboundPort } }),
    };
  }
}

export class OutboundTargets {
  readonly #discovery: Resolver;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #random: (() => number) | undefined;
  readonly #opts: OutboundTargetsOptions;
  readonly #suffixes: readonly string[];
  readonly #waitMs: number;
  readonly #idleMs: number;
  readonly #targets = new Map<string, Target>();
  /** Authority → its profiled target name, or null when it names none (bounded, cleared when full). */
  readonly #names = new Map<string, string | null>();
  #sweeper: TimerHandle | undefined;

  constructor(
    deps: { discovery: Resolver; log: Logger; clock?: Clock; random?: () => number },
    opts: OutboundTargetsOptions,
  ) {
    this.#discovery = deps.discovery;
    this.#log = deps.log;
    this.#clock = deps.clock ?? systemClock;
    this.#random = deps.random;
    this.#opts = opts;
    this.#suffixes = opts.profileSuffixes.map((s) => s.replace(/\.$/, '').toLowerCase()).filter((s) => s !== '');
    this.#waitMs = opts.waitMs ?? 1000;
    this.#idleMs = opts.idleMs ?? 60_000;
  }

  /** The logical target of a request or connection; see the contract in the file header. */
  resolve(request: TargetRequest): LogicalTarget | undefined | Promise<LogicalTarget | undefined> {
    const name = this.#targetName(request);
    if (name === undefined) return undefined;
    const target = this.#target(name);
    target.lastUsed = this.#clock.now();
    const endpoints = target.endpoints.current();
    if (endpoints.state.kind !== 'pending' && target.profiles.current().kind !== 'pending') {
      return answer(target, endpoints);
    }
    return Promise.all([
      settled(target.endpoints, this.#clock, this.#waitMs),
      settled(target.profiles, this.#clock, this.#waitMs),
    ]).then(([set]) => {
      if (set.state.kind === 'pending') {
        this.#log.debug(
          { target: name, waitMs: this.#waitMs },
          'no discovery answer yet; using the original destination',
        );
      }
      return answer(target, set);
    });
  }

  /** Every live target (for the admin server and tests). */
  targets(): readonly LogicalTarget[] {
    return [...this.#targets.values()];
  }

  close(): void {
    this.#sweeper?.cancel();
    for (const t of this.#targets.values()) t.close();
    this.#targets.clear();
  }

  #targetName(request: TargetRequest): string | undefined {
    const authority = request.authority;
    if (authority !== undefined) {
      // The same few authorities arrive on every request: parse each once.
      let name = this.#names.get(authority);
      if (name === undefined) {
        name = this.#profiledName(authority) ?? null;
        if (authority.length <= MAX_CACHED_AUTHORITY_LENGTH) {
          if (this.#names.size >= MAX_CACHED_AUTHORITIES) this.#names.clear();
          this.#names.set(authority, name);
        }
      }
      if (name !== null) return name;
    }
    if (request.origDst !== undefined) {
      const { host, port } = request.origDst;
      return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    }
    return undefined;
  }

  /** `host:port` when the authority names a host under a profile suffix (a logical service). */
  #profiledName(authority: string): string | undefined {
    const parsed = parseAuthority(authority);
    if (parsed === undefined) return undefined;
    const host = parsed.host.replace(/\.$/, '').toLowerCase();
    return this.#suffixes.some((s) => host === s || host.endsWith(`.${s}`)) ? `${host}:${parsed.port}` : undefined;
  }

  #target(name: string): Target {
    let target = this.#targets.get(name);
    if (target === undefined) {
      const { accrual: defaultAccrual, ...options } = this.#opts.balancer ?? {};
      const create: BalancerFactory = (accrual) =>
        createBalancer<Endpoint>(
          this.#opts.strategy ?? 'p2c',
          {
            keyOf: (e) => `${e.host}:${e.port}`,
            clock: this.#clock,
            ...(this.#random === undefined ? {} : { random: this.#random }),
            onEvent: (event) => {
              if (event.kind === 'fail-fast')
                this.#log.info({ target: name, active: event.active }, 'balancer fail-fast');
              else this.#log.info({ target: name, endpoint: event.key, state: event.state.kind }, 'endpoint breaker');
            },
          },
          { ...options, ...(accrual === undefined ? {} : { accrual }) },
        );
      target = new Target(
        name,
        this.#discovery.resolve({ authority: name }),
        this.#discovery.resolveProfile({ authority: name }),
        { create, defaultAccrual },
        { clock: this.#clock, log: this.#log },
        { inboundPort: this.#opts.defaultInboundPort ?? 4143, clientNamespace: this.#opts.clientNamespace },
      );
      this.#targets.set(name, target);
      this.#sweeper ??= this.#clock.setTimer(() => this.#sweep(), this.#idleMs);
    }
    return target;
  }

  #sweep(): void {
    this.#sweeper = undefined;
    const now = this.#clock.now();
    for (const [name, t] of this.#targets) {
      // A target with requests in flight or waiting is in use even if no new request came.
      const stats = t.balancer.stats();
      if (now - t.lastUsed >= this.#idleMs && stats.queued === 0) {
        t.close();
        this.#targets.delete(name);
      }
    }
    if (this.#targets.size > 0) this.#sweeper = this.#clock.setTimer(() => this.#sweep(), this.#idleMs);
  }
}

function answer(target: Target, set: EndpointSet): LogicalTarget | undefined {
  switch (set.state.kind) {
    case 'pending':
      return undefined;
    case 'no-endpoints':
      return set.state.exists ? target : undefined;
    case 'endpoints':
      return target;
  }
}

/** The handle's first non-pending snapshot, or its current one after `waitMs`. */
function settled<S extends EndpointSet | ProfileState>(
  handle: { current(): S; onChange(fn: (s: S) => void): () => void },
  clock: Clock,
  waitMs: number,
): Promise<S> {
  const now = handle.current();
  if (!isPending(now)) return Promise.resolve(now);
  return new Promise((resolve) => {
    const timer = clock.setTimer(() => {
      off();
      resolve(handle.current());
    }, waitMs);
    const off = handle.onChange((s) => {
      if (isPending(s)) return;
      timer.cancel();
      off();
      resolve(s);
    });
  });
}

function isPending(s: EndpointSet | ProfileState): boolean {
  return 'state' in s ? s.state.kind === 'pending' : s.kind === 'pending';
}

function sameBudget(a: CompiledRetryBudget | undefined, b: CompiledRetryBudget | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.retryRatio === b.retryRatio && a.minRetriesPerSecond === b.minRetriesPerSecond && a.ttlMs === b.ttlMs;
}
