// startRouteStatus: the route status controller on the replica that holds the Lease
// `nodemesh-destination-route-status` in the control-plane namespace (ADR 0011 HA, ADR 0012 Status).
// Every replica runs an elector; the leader's controller writes, the others only watch.
//
// Contract: Kubernetes mode only (this loads @kubernetes/client-node: import it lazily). Starts
// electing at once; `stop()` stops the controller and releases a held Lease so another replica
// takes over without waiting for it to expire. Call `stop()` once, before closing the source.

import type { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from '../../src/metrics/index.ts';
import { LeaderElector } from '../../src/k8s/leader-election.ts';
import { kubernetesLeaseStore } from '../../src/k8s/lease-store-kubernetes.ts';
import type { ResourceSource } from '../../src/k8s/index.ts';
import { componentLogger, type Logger } from '../../src/log/index.ts';
import type { Clock } from '../../src/time/index.ts';
import { createRouteStatusMetrics } from './route-status-metrics.ts';
import { kubernetesRouteStatusWriter } from './route-status-writer-kubernetes.ts';
import { RouteStatusController, type RouteStatusControllerOptions, type RouteStatusWriter } from './route-status.ts';

/** The Lease that elects the replica writing route status. */
export const ROUTE_STATUS_LEASE_NAME = 'nodemesh-destination-route-status';

export interface RouteStatusLeaderDependencies {
  readonly source: ResourceSource;
  readonly kubeConfig: KubeConfig;
  /** The control-plane namespace, where the Lease lives. */
  readonly namespace: string;
  /** This replica's pod name (the Lease's holderIdentity). */
  readonly identity: string;
  readonly log: Logger;
  readonly registry: Registry;
  readonly clock?: Clock;
  /** Default: the Kubernetes API through `kubeConfig`. */
  readonly writer?: RouteStatusWriter;
  /** Lease timings (default client-go's: 15 s lease, 10 s renew deadline, 2 s retry). */
  readonly election?: {
    readonly leaseDurationMs?: number;
    readonly renewDeadlineMs?: number;
    readonly retryPeriodMs?: number;
  };
  readonly controller?: RouteStatusControllerOptions;
}

export interface RouteStatusLeader {
  readonly elector: LeaderElector;
  readonly controller: RouteStatusController;
  /** Stops the controller and releases the Lease if held. */
  stop(): Promise<void>;
}

export function startRouteStatus(deps: RouteStatusLeaderDependencies): RouteStatusLeader {
  const log = componentLogger(deps.log, 'route-status');
  const controller = new RouteStatusController(
    {
      source: deps.source,
      writer: deps.writer ?? kubernetesRouteStatusWriter(deps.kubeConfig),
      log,
      metrics: createRouteStatusMetrics(deps.registry),
      ...(deps.clock === undefined ? {} : { clock: deps.clock }),
    },
    deps.controller,
  );
  const elector = new LeaderElector({
    ...deps.election,
    store: kubernetesLeaseStore(deps.kubeConfig, deps.namespace, ROUTE_STATUS_LEASE_NAME),
    identity: deps.identity,
    log,
    ...(deps.clock === undefined ? {} : { clock: deps.clock }),
    onStartedLeading: (signal) => controller.start(signal),
  });
  elector.start();
  return { elector, controller, stop: () => elector.stop() };
}
