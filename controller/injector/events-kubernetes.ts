// Kubernetes Events about injection, on the pod's owner (the pod has no name yet at admission):
// `Injected` when the proxy was added, `InjectionSkipped` when a pod that asked for the proxy could
// not get it (host network, a proxy already present), as Linkerd records them. Pods of namespaces
// that are not meshed, or opted out, get no Event (that would be one per pod in the cluster).
//
// Contract: best effort and never in the way of admission: each Event is created in the
// background; a failure is logged once per reason and counted, never retried.

import { CoreV1Api, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import type { Counter } from '../../src/metrics/index.ts';
import type { Logger } from '../../src/log/index.ts';
import type { AdmissionOutcome } from './admission.ts';

const EVENT_REASONS: Readonly<Record<string, string>> = {
  'host-network': 'the pod uses the host network, where iptables interception would capture the node’s traffic',
  'proxy-present': 'the pod already has a nodemesh proxy',
};

export type OutcomeRecorder = (outcome: AdmissionOutcome) => void;

export function kubernetesEventRecorder(
  kubeConfig: KubeConfig,
  deps: { readonly log: Logger; readonly failures: Counter<'reason'>; readonly now?: () => Date },
): OutcomeRecorder {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  const now = deps.now ?? (() => new Date());
  return (outcome) => {
    const event = eventFor(outcome, now());
    if (event === undefined) return;
    api.createNamespacedEvent({ namespace: outcome.namespace, body: event }).catch((err: unknown) => {
      deps.failures.inc({ reason: event.reason ?? '' });
      deps.log.warn({ err, reason: event.reason, namespace: outcome.namespace }, 'could not record an injection Event');
    });
  };
}

/** The Event for an outcome, or undefined when it deserves none. Exported for tests. */
export function eventFor(outcome: AdmissionOutcome, at: Date): CoreV1Event | undefined {
  const owner = outcome.ownerRef;
  if (outcome.kind !== 'Pod' || owner === undefined) return undefined;
  let reason: string;
  let message: string;
  if (outcome.result === 'injected') {
    reason = 'Injected';
    message = 'nodemesh proxy injected';
  } else if (outcome.result === 'skipped' && outcome.reason !== undefined && outcome.reason in EVENT_REASONS) {
    reason = 'InjectionSkipped';
    message = `nodemesh proxy not injected: ${EVENT_REASONS[outcome.reason]}`;
  } else {
    return undefined;
  }
  return {
    metadata: { generateName: `${owner.name}.`, namespace: outcome.namespace },
    involvedObject: {
      apiVersion: owner.apiVersion,
      kind: owner.kind,
      name: owner.name,
      namespace: outcome.namespace,
      uid: owner.uid,
    },
    reason,
    message,
    type: 'Normal',
    source: { component: 'nodemesh-proxy-injector' },
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  };
}
