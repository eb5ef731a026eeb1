// The outbound resolver backed by discovery: a request's authority (a Service name under one of
// the profile suffixes) or a connection's original destination (a ClusterIP) is resolved through
// the destination service's Get stream, and one of the ready endpoints is picked.
//
// Contract:
// - resolve() answers an Endpoint (meshed ones carry the identity and the peer's inbound port, so
//   the connection is mTLS), a ProxyError('no-endpoints') when the Service exists with none ready,
//   or undefined when discovery has no opinion (not a cluster name, unknown to the destination
//   service, or no answer within `waitMs`): the caller then uses the original destination.
// - One resolution handle per target is kept while used and released after `idleMs` without use;
//   the discovery client keeps serving the last endpoints while the control plane is away.
// - Endpoints are picked round robin for now (load-aware balancing comes with traffic policy).

import type { Logger } from '../../src/log/index.ts';
import { systemClock, type Clock, type TimerHandle } from '../../src/time/index.ts';
import type { EndpointResolver as DiscoveryResolver, EndpointSet, ResolutionHandle } from '../discovery/index.ts';
import { parseAuthority } from '../authority.ts';
import type { Endpoint } from '../http/http-proxy.ts';
import { ProxyError } from '../http/proxy-error.ts';
import type { SocketAddressPort } from '../transport/original-dst.ts';

export interface DiscoveryOutboundResolverOptions {
  /** Names under these suffixes are asked of discovery (Linkerd's default: svc.cluster.local.). */
  readonly profileSuffixes: readonly string[];
  /** How long a first lookup may wait for discovery's first answer (default 1 s). */
  readonly waitMs?: number;
  /** Release a target's stream after this long unused (default 60 s). */
  readonly idleMs?: number;
  /** The peer proxy's inbound port when discovery does not say (default 4143). */
  readonly defaultInboundPort?: number;
}

interface Target {
  readonly handle: ResolutionHandle;
  lastUsed: number;
  next: number;
}

export class DiscoveryOutboundResolver {
  readonly #discovery: DiscoveryResolver;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #suffixes: readonly string[];
  readonly #waitMs: number;
  readonly #idleMs: number;
  readonly #inboundPort: number;
  readonly #targets = new Map<string, Target>();
  #sweeper: TimerHandle | undefined;

  constructor(
    deps: { discovery: DiscoveryResolver; log: Logger; clock?: Clock },
    opts: DiscoveryOutboundResolverOptions,
  ) {
    this.#discovery = deps.discovery;
    this.#log = deps.log;
    this.#clock = deps.clock ?? systemClock;
    this.#suffixes = opts.profileSuffixes.map((s) => s.replace(/\.$/, '').toLowerCase()).filter((s) => s !== '');
    this.#waitMs = opts.waitMs ?? 1000;
    this.#idleMs = opts.idleMs ?? 60_000;
    this.#inboundPort = opts.defaultInboundPort ?? 4143;
  }

  async resolve(target: {
    readonly authority: string | undefined;
    readonly origDst: SocketAddressPort | undefined;
  }): Promise<Endpoint | ProxyError | undefined> {
    const name = this.#targetName(target);
    if (name === undefined) return undefined;
    const entry = this.#entry(name);
    entry.lastUsed = this.#clock.now();
    const set = await this.#settled(entry.handle);
    switch (set.state.kind) {
      case 'pending':
        this.#log.debug(
          { target: name, waitMs: this.#waitMs },
          'no discovery answer yet; using the original destination',
        );
        return undefined;
      case 'no-endpoints':
        return set.state.exists ? new ProxyError('no-endpoints', `${name} has no ready endpoints`) : undefined;
      case 'endpoints': {
        const endpoints = set.state.endpoints;
        const picked = endpoints[entry.next++ % endpoints.length];
        if (picked === undefined) return undefined;
        return {
          host: picked.host,
          port: picked.port,
          ...(picked.identity === undefined
            ? {}
            : { mesh: { identity: picked.identity, inboundPort: picked.opaqueTransportPort ?? this.#inboundPort } }),
        };
      }
    }
  }

  close(): void {
    this.#sweeper?.cancel();
    for (const t of this.#targets.values()) t.handle.release();
    this.#targets.clear();
  }

  #targetName(target: {
    readonly authority: string | undefined;
    readonly origDst: SocketAddressPort | undefined;
  }): string | undefined {
    const parsed = parseAuthority(target.authority);
    if (parsed !== undefined) {
      const host = parsed.host.replace(/\.$/, '');
      if (this.#suffixes.some((s) => host === s || host.endsWith(`.${s}`))) return `${host}:${parsed.port}`;
    }
    if (target.origDst !== undefined) {
      const { host, port } = target.origDst;
      return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    }
    return undefined;
  }

  #entry(name: string): Target {
    let entry = this.#targets.get(name);
    if (entry === undefined) {
      entry = { handle: this.#discovery.resolve({ authority: name }), lastUsed: this.#clock.now(), next: 0 };
      this.#targets.set(name, entry);
      this.#sweeper ??= this.#clock.setTimer(() => this.#sweep(), this.#idleMs);
    }
    return entry;
  }

  #sweep(): void {
    this.#sweeper = undefined;
    const now = this.#clock.now();
    for (const [name, t] of this.#targets) {
      if (now - t.lastUsed >= this.#idleMs) {
        t.handle.release();
        this.#targets.delete(name);
      }
    }
    if (this.#targets.size > 0) this.#sweeper = this.#clock.setTimer(() => this.#sweep(), this.#idleMs);
  }

  #settled(handle: ResolutionHandle): Promise<EndpointSet> {
    const now = handle.current();
    if (now.state.kind !== 'pending') return Promise.resolve(now);
    return new Promise((resolve) => {
      const timer = this.#clock.setTimer(() => {
        off();
        resolve(handle.current());
      }, this.#waitMs);
      const off = handle.onChange((set) => {
        if (set.state.kind === 'pending') return;
        timer.cancel();
        off();
        resolve(set);
      });
    });
  }
}
