// A LeaseStore on the Kubernetes API: one coordination.k8s.io/v1 Lease, read with get, written
// with create and replace (the replace names the resourceVersion it read, so a concurrent writer
// makes it fail with 409, which becomes LeaseConflictError). Controllers only: this loads
// @kubernetes/client-node.

import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { httpStatusOf, kubernetesApiError } from './errors.ts';
import { LeaseConflictError, type LeaseRecord, type LeaseStore, type StoredLease } from './leader-election.ts';

export function kubernetesLeaseStore(kubeConfig: KubeConfig, namespace: string, name: string): LeaseStore {
  const api = kubeConfig.makeApiClient(CoordinationV1Api);
  const label = `${namespace}/${name}`;
  const body = (record: LeaseRecord, resourceVersion?: string): V1Lease => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(resourceVersion === undefined ? {} : { resourceVersion }) },
    spec: {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      leaseTransitions: record.leaseTransitions,
      ...(record.acquireTime === undefined ? {} : { acquireTime: new V1MicroTime(record.acquireTime.getTime()) }),
      ...(record.renewTime === undefined ? {} : { renewTime: new V1MicroTime(record.renewTime.getTime()) }),
    },
  });
  const write = async (call: string, run: () => Promise<V1Lease>): Promise<StoredLease> => {
    try {
      return stored(await run(), label);
    } catch (err) {
      if (httpStatusOf(err) === 409) throw new LeaseConflictError(`lease ${label}: ${call} conflicted (409)`);
      throw kubernetesApiError(`${call} Lease ${label}`, err);
    }
  };
  return {
    name: label,
    async get() {
      try {
        return stored(await api.readNamespacedLease({ name, namespace }), label);
      } catch (err) {
        if (httpStatusOf(err) === 404) return undefined;
        throw kubernetesApiError(`get Lease ${label}`, err);
      }
    },
    create: (record) => write('create', () => api.createNamespacedLease({ namespace, body: body(record) })),
    update: (record, resourceVersion) =>
      write('replace', () => api.replaceNamespacedLease({ name, namespace, body: body(record, resourceVersion) })),
  };
}

function stored(lease: V1Lease, label: string): StoredLease {
  const resourceVersion = lease.metadata?.resourceVersion;
  if (resourceVersion === undefined) throw new Error(`lease ${label} came back without a resourceVersion`);
  const spec = lease.spec ?? {};
  return {
    resourceVersion,
    record: {
      holderIdentity: spec.holderIdentity ?? '',
      leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
      acquireTime: toDate(spec.acquireTime),
      renewTime: toDate(spec.renewTime),
      leaseTransitions: spec.leaseTransitions ?? 0,
    },
  };
}

function toDate(value: Date | string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
