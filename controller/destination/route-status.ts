// RouteStatusController: writes the `status.parents[]` entries of nodemesh (`Accepted`,
// `ResolvedRefs`) on HTTPRoutes and GRPCRoutes with a Service parent (ADR 0012, Status).
//
// Contract: `start(signal)` runs one leadership term (LeaderElector.onStartedLeading): it listens
// to the caches, enqueues every route, and stops when `signal` aborts (handlers removed, queue
// dropped; a write in flight finishes and its result is ignored). The next term starts over and
// reconciles every route again. Handlers only enqueue keys (a route on its add/update/delete; the
// routes naming a Service, as parent or backend, on its add/delete or a change of its ports); the
// worker reconciles each key from the caches (STYLE.md rule 9) and writes only a real change
// (route-status-compute.ts), with the resourceVersion it read: a 409 is retried with backoff, a 404
// dropped. Nothing is written before the Service and route caches have synced.

import { KubernetesApiError, type ResourceSource, type ServiceObject } from '../../src/k8s/index.ts';
import type { Logger } from '../../src/log/index.ts';
import type { ServiceLookup } from '../../src/routes/index.ts';
import { systemClock, type Clock } from '../../src/time/index.ts';
import {
  planRouteStatus,
  ROUTE_STATUS_CONTROLLER_NAME,
  type RouteObject,
  type RouteStatus,
} from './route-status-compute.ts';
import type { RouteStatusMetrics, RouteStatusResult } from './route-status-metrics.ts';
import { RetryQueue, type ReconcileOutcome, type RetryQueueOptions } from './route-status-queue.ts';
import {
  ROUTE_RESOURCE_KINDS,
  parseRouteStatusKey,
  referencesService,
  routeStatusKey,
  type RouteResourceKind,
} from './route-status-refs.ts';

/**
 * Replaces a route's status subresource. Throws KubernetesApiError; `status` 409 (the object is no
 * longer at `resourceVersion`) and 404 (it is gone) are told apart by the controller.
 */
export interface RouteStatusWriter {
  write(
    kind: RouteResourceKind,
    namespace: string,
    name: string,
    resourceVersion: string,
    status: RouteStatus,
  ): Promise<void>;
}

export interface RouteStatusControllerDependencies {
  readonly source: Pick<ResourceSource, 'kind'>;
  readonly writer: RouteStatusWriter;
  readonly log: Logger;
  readonly metrics: RouteStatusMetrics;
  readonly clock?: Clock;
  /** Random source in [0, 1) for the retry jitter. */
  readonly random?: () => number;
}

export interface RouteStatusControllerOptions extends RetryQueueOptions {
  /** Default `nodemesh.io/destination`. */
  readonly controllerName?: string;
}

interface Term {
  readonly signal: AbortSignal;
  readonly queue: RetryQueue;
  readonly stops: (() => void)[];
}

export class RouteStatusController {
  readonly #deps: RouteStatusControllerDependencies;
  readonly #options: RouteStatusControllerOptions;
  readonly #clock: Clock;
  readonly #lookup: ServiceLookup;
  #term: Term | undefined;

  constructor(deps: RouteStatusControllerDependencies, options: RouteStatusControllerOptions = {}) {
    this.#deps = deps;
    this.#options = options;
    this.#clock = deps.clock ?? systemClock;
    const services = deps.source.kind('Service');
    this.#lookup = {
      service: (namespace, name) => {
        const service = services.get(namespace, name);
        return service === undefined ? undefined : { ports: portsOf(service) };
      },
    };
  }

  /** True while a term runs. */
  get running(): boolean {
    return this.#term !== undefined;
  }

  /** Runs until `signal` aborts (call once per leadership term). */
  start(signal: AbortSignal): void {
    if (signal.aborted) return;
    this.#stop();
    const queue = new RetryQueue(
      {
        reconcile: (key) => this.#reconcile(term, key),
        log: this.#deps.log,
        ...(this.#deps.clock === undefined ? {} : { clock: this.#deps.clock }),
        ...(this.#deps.random === undefined ? {} : { random: this.#deps.random }),
        onDrop: (key, attempts) => this.#deps.log.warn({ key, attempts }, 'route status given up after retries'),
      },
      this.#options,
    );
    const term: Term = { signal, queue, stops: [] };
    this.#term = term;
    this.#listen(term);
    signal.addEventListener('abort', () => this.#stop(term), { once: true });
    let count = 0;
    for (const kind of ROUTE_RESOURCE_KINDS) {
      for (const route of this.#deps.source.kind(kind).list()) {
        queue.add(routeStatusKey(kind, route.metadata.namespace, route.metadata.name));
        count += 1;
      }
    }
    this.#deps.log.info({ routes: count }, 'route status controller started');
  }

  /** Resolves once the current term has no key waiting for the worker (for tests). */
  whenIdle(): Promise<void> {
    return this.#term?.queue.whenIdle() ?? Promise.resolve();
  }

  #listen(term: Term): void {
    const { source } = this.#deps;
    for (const kind of ROUTE_RESOURCE_KINDS) {
      const cache = source.kind(kind);
      const enqueue = (route: RouteObject): void =>
        term.queue.add(routeStatusKey(kind, route.metadata.namespace, route.metadata.name));
      for (const event of ['add', 'update', 'delete'] as const) term.stops.push(cache.on(event, enqueue));
    }
    const services = source.kind('Service');
    const enqueueFor = (service: ServiceObject): void => {
      const { namespace, name } = service.metadata;
      for (const kind of ROUTE_RESOURCE_KINDS) {
        for (const route of source.kind(kind).list()) {
          if (referencesService(route, namespace, name)) {
            term.queue.add(routeStatusKey(kind, route.metadata.namespace, route.metadata.name));
          }
        }
      }
    };
    term.stops.push(services.on('add', enqueueFor));
    term.stops.push(services.on('delete', enqueueFor));
    term.stops.push(
      services.on('update', (service, previous) => {
        const before = previous === undefined ? [] : portsOf(previous);
        const after = portsOf(service);
        if (before.length !== after.length || before.some((p, i) => p !== after[i])) enqueueFor(service);
      }),
    );
  }

  #stop(term: Term | undefined = this.#term): void {
    if (term === undefined) return;
    for (const stop of term.stops.splice(0)) stop();
    term.queue.close();
    if (this.#term === term) {
      this.#term = undefined;
      this.#deps.log.info('route status controller stopped');
    }
  }

  async #reconcile(term: Term, key: string): Promise<ReconcileOutcome> {
    const ref = parseRouteStatusKey(key);
    if (ref === undefined || term.signal.aborted) return 'done';
    const { source, writer, log } = this.#deps;
    const routes = source.kind(ref.kind);
    if (!routes.synced || !source.kind('Service').synced) return 'defer';
    const route = routes.get(ref.namespace, ref.name);
    if (route === undefined) return 'done';
    const plan = planRouteStatus(route, this.#lookup, {
      now: this.#clock.now(),
      controllerName: this.#options.controllerName ?? ROUTE_STATUS_CONTROLLER_NAME,
    });
    const fields = { kind: ref.kind, route: `${ref.namespace}/${ref.name}` };
    if (!plan.changed) {
      this.#count(ref.kind, 'unchanged');
      return 'done';
    }
    const resourceVersion = route.metadata.resourceVersion;
    if (resourceVersion === undefined) {
      log.warn(fields, 'route has no resourceVersion; its status is not written');
      return 'done';
    }
    try {
      await writer.write(ref.kind, ref.namespace, ref.name, resourceVersion, plan.status);
    } catch (err) {
      if (term.signal.aborted) return 'done';
      const status = err instanceof KubernetesApiError ? err.status : undefined;
      if (status === 404) {
        log.debug(fields, 'route deleted before its status was written');
        return 'done';
      }
      if (status === 409) {
        this.#count(ref.kind, 'conflict');
        log.debug({ ...fields, resourceVersion }, 'route changed since it was read; status write retried');
        return 'retry';
      }
      this.#count(ref.kind, 'error');
      log.warn({ ...fields, err }, 'route status write failed; retrying');
      return 'retry';
    }
    this.#count(ref.kind, 'written');
    log.info({ ...fields, invalid: plan.invalid }, 'route status written');
    return 'done';
  }

  #count(kind: RouteResourceKind, result: RouteStatusResult): void {
    this.#deps.metrics.writes.inc({ kind, result });
  }
}

function portsOf(service: ServiceObject): number[] {
  return (service.spec?.ports ?? []).map((p) => p.port);
}
