// ProfilesWatcher: serves GetProfile subscriptions from the resource caches. Service and
// ServiceProfile events only enqueue the Service's key; HTTPRoute and GRPCRoute events mark the
// RouteIndex stale and enqueue the Services the route's parentRefs name, before and after the
// change (so a route added, edited, deleted or moved to another parent reaches both sides). A
// worker recomputes each subscription's profile and sends it when it differs from the last one
// sent (identical consecutive profiles are suppressed, compared by their encoding).
//
// Contract: as EndpointsWatcher (start before or after the source syncs; subscribe() answers
// synchronously; `send` must not block). An invalid ServiceProfile is logged once per distinct
// problem (with its error) and treated as absent; an invalid route is logged once per version
// (with every problem) and left out.

import { DestinationProfile } from '../../src/api/index.ts';
import type { ResourceSource, ServiceProfileObject } from '../../src/k8s/index.ts';
import type { Logger } from '../../src/log/index.ts';
import { parseServiceName } from '../../src/profiles/index.ts';
import { profileFor, type ProfileOptions, type ProfileTargetRequest } from './profile-translator.ts';
import { ReconcileQueue } from './reconcile-queue.ts';
import { RouteIndex, routeParentKeys, type RouteObject } from './route-index.ts';

export interface ProfilesWatcherDependencies {
  readonly source: ResourceSource;
  readonly log: Logger;
  readonly onReconcileError?: (err: unknown) => void;
}

interface Subscription {
  readonly target: ProfileTargetRequest;
  readonly send: (profile: DestinationProfile) => void;
  last: string | undefined;
}

const MAX_REMEMBERED_PROBLEMS = 1000;

export class ProfilesWatcher {
  readonly #source: ResourceSource;
  readonly #log: Logger;
  readonly #options: ProfileOptions;
  readonly #queue: ReconcileQueue;
  readonly #routes: RouteIndex;
  readonly #subscriptions = new Map<string, Set<Subscription>>();
  readonly #logged = new Set<string>();
  #unregister: (() => void)[] = [];

  constructor(deps: ProfilesWatcherDependencies, options: ProfileOptions) {
    this.#source = deps.source;
    this.#log = deps.log;
    this.#options = options;
    this.#queue = new ReconcileQueue({
      log: deps.log,
      reconcile: (key) => this.#reconcile(key),
      onError: (_key, err) => deps.onReconcileError?.(err),
    });
    this.#routes = new RouteIndex(deps.source, (route, error) =>
      this.#log.warn(
        { err: error, kind: route.kind, namespace: route.metadata.namespace, name: route.metadata.name },
        'leaving out an invalid route',
      ),
    );
  }

  start(): void {
    const onService = (svc: { metadata: { namespace: string; name: string } }): void =>
      this.#queue.add(`${svc.metadata.namespace}/${svc.metadata.name}`);
    const onProfile = (sp: ServiceProfileObject): void => {
      const name = parseServiceName(sp.metadata.name);
      if (name.ok && name.value.clusterDomain === this.#options.clusterDomain) {
        this.#queue.add(`${name.value.namespace}/${name.value.service}`);
      }
    };
    const onRoute = (route: RouteObject, previous: RouteObject | undefined): void => {
      this.#routes.invalidate();
      for (const key of new Set([...routeParentKeys(route), ...routeParentKeys(previous)])) this.#queue.add(key);
    };
    for (const event of ['add', 'update', 'delete'] as const) {
      this.#unregister.push(
        this.#source.kind('Service').on(event, onService),
        this.#source.kind('ServiceProfile').on(event, onProfile),
        this.#source.kind('HTTPRoute').on(event, onRoute),
        this.#source.kind('GRPCRoute').on(event, onRoute),
      );
    }
  }

  close(): void {
    for (const off of this.#unregister) off();
    this.#unregister = [];
    this.#queue.close();
    this.#subscriptions.clear();
  }

  flush(): Promise<void> {
    return this.#queue.flush();
  }

  get size(): number {
    let n = 0;
    for (const subs of this.#subscriptions.values()) n += subs.size;
    return n;
  }

  subscribe(target: ProfileTargetRequest, send: (profile: DestinationProfile) => void): () => void {
    const key = `${target.namespace}/${target.name}`;
    const sub: Subscription = { target, send, last: undefined };
    let subs = this.#subscriptions.get(key);
    if (subs === undefined) this.#subscriptions.set(key, (subs = new Set()));
    subs.add(sub);
    this.#update(sub);
    return () => {
      const current = this.#subscriptions.get(key);
      current?.delete(sub);
      if (current?.size === 0) this.#subscriptions.delete(key);
    };
  }

  #reconcile(key: string): void {
    for (const sub of this.#subscriptions.get(key) ?? []) this.#update(sub);
  }

  #update(sub: Subscription): void {
    const profile = profileFor(this.#source, sub.target, this.#options, {
      routes: this.#routes,
      onInvalid: (sp, err) => this.#invalid(sp, err),
    });
    const encoded = Buffer.from(DestinationProfile.encode(profile).finish()).toString('base64');
    if (encoded === sub.last) return;
    sub.last = encoded;
    sub.send(profile);
  }

  #invalid(sp: ServiceProfileObject, err: unknown): void {
    const problem = `${sp.metadata.namespace}/${sp.metadata.name}:${err instanceof Error ? err.message : String(err)}`;
    if (this.#logged.has(problem)) return;
    if (this.#logged.size >= MAX_REMEMBERED_PROBLEMS) this.#logged.clear();
    this.#logged.add(problem);
    this.#log.warn(
      { err, namespace: sp.metadata.namespace, name: sp.metadata.name },
      'ignoring an invalid ServiceProfile (treated as absent)',
    );
  }
}
