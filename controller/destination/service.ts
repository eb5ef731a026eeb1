// DestinationController: the destination service without its process concerns: given a started
// (or starting) ResourceSource, it owns the two watchers and the gRPC server. main.ts builds it
// from config; tests build it directly on a folder of YAML.
//
// Contract: start() registers the watchers, waits for the source to sync, then binds the gRPC
// server and resolves with its port (so the first answer of every stream is from synced caches).
// close() ends the streams and the server, then the watchers; it does not close the source (its
// owner does). Both are called once.

import type { Registry } from '../../src/metrics/index.ts';
import type { SocketAddress } from '../../src/config/index.ts';
import type { ResourceSource } from '../../src/k8s/index.ts';
import { componentLogger, type Logger } from '../../src/log/index.ts';
import { EndpointsWatcher } from './endpoints-watcher.ts';
import { DestinationGrpcServer } from './grpc-server.ts';
import { createDestinationMetrics } from './metrics.ts';
import { ProfilesWatcher } from './profiles-watcher.ts';

export interface DestinationControllerDependencies {
  readonly source: ResourceSource;
  readonly log: Logger;
  readonly registry: Registry;
}

export interface DestinationControllerOptions {
  readonly listenAddr: SocketAddress;
  readonly clusterDomain: string;
  readonly controlNamespace: string;
  readonly trustDomain: string;
  readonly defaultOpaquePorts: readonly number[];
  readonly streamQueueCapacity: number;
  readonly tls?: { readonly certChain: Buffer; readonly privateKey: Buffer };
}

export class DestinationController {
  readonly #source: ResourceSource;
  readonly endpoints: EndpointsWatcher;
  readonly profiles: ProfilesWatcher;
  readonly #server: DestinationGrpcServer;

  constructor(deps: DestinationControllerDependencies, options: DestinationControllerOptions) {
    this.#source = deps.source;
    const metrics = createDestinationMetrics(deps.registry);
    this.endpoints = new EndpointsWatcher(
      {
        source: deps.source,
        log: componentLogger(deps.log, 'endpoints-watcher'),
        onReconcileError: () => metrics.reconcileErrors.inc({ watcher: 'endpoints' }),
      },
      options,
    );
    this.profiles = new ProfilesWatcher(
      {
        source: deps.source,
        log: componentLogger(deps.log, 'profiles-watcher'),
        onReconcileError: () => metrics.reconcileErrors.inc({ watcher: 'profiles' }),
      },
      options,
    );
    this.#server = new DestinationGrpcServer(
      {
        source: deps.source,
        endpoints: this.endpoints,
        profiles: this.profiles,
        metrics,
        log: componentLogger(deps.log, 'destination-grpc'),
      },
      {
        address: options.listenAddr,
        clusterDomain: options.clusterDomain,
        queueCapacity: options.streamQueueCapacity,
        ...(options.tls === undefined ? {} : { tls: options.tls }),
      },
    );
  }

  /** Resolves with the bound gRPC port once the source has synced. */
  async start(): Promise<number> {
    this.endpoints.start();
    this.profiles.start();
    await this.#source.start();
    return this.#server.start();
  }

  /** Resolves once every event so far has reached the streams (for tests). */
  async flush(): Promise<void> {
    await Promise.all([this.endpoints.flush(), this.profiles.flush()]);
  }

  async close(graceMs?: number): Promise<void> {
    await this.#server.close(graceMs);
    this.endpoints.close();
    this.profiles.close();
  }
}
