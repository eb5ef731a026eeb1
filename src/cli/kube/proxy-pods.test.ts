// Which pods are meshed, which workload they belong to, and whether their proxy can be asked.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_ADMIN_PORT, proxyPodOf, workloadOf } from './proxy-pods.ts';

const proxy = (admin?: number): Record<string, unknown> => ({
  name: 'nodemesh-proxy',
  ports: [
    { name: 'nodemesh-proxy', containerPort: 4143 },
    ...(admin === undefined ? [] : [{ name: 'nodemesh-admin', containerPort: admin }]),
  ],
});

function pod(overrides: { metadata?: object; spec?: object; status?: object }): unknown {
  return {
    metadata: { name: 'web-7d4b9c-abcde', namespace: 'shop', ...overrides.metadata },
    spec: overrides.spec ?? { containers: [{ name: 'app' }, proxy(4191)] },
    status: overrides.status ?? {
      phase: 'Running',
      podIP: '10.0.0.7',
      containerStatuses: [{ name: 'nodemesh-proxy', ready: true }],
    },
  };
}

describe('proxyPodOf', () => {
  test('a pod with a nodemesh-proxy container is meshed; its admin port is the nodemesh-admin port', () => {
    const p = proxyPodOf(pod({ spec: { containers: [{ name: 'app' }, proxy(9191)] } }));
    assert.equal(p?.adminPort, 9191);
    assert.equal(p?.scrapable, true);
    assert.equal(p?.proxyReady, true);
    assert.equal(p?.namespace, 'shop');
  });

  test('a native sidecar (init container with restartPolicy Always) is meshed too', () => {
    const p = proxyPodOf(
      pod({
        spec: { initContainers: [{ ...proxy(), restartPolicy: 'Always' }], containers: [{ name: 'app' }] },
        status: {
          phase: 'Running',
          podIP: '10.0.0.8',
          initContainerStatuses: [{ name: 'nodemesh-proxy', ready: false }],
        },
      }),
    );
    assert.equal(p?.adminPort, DEFAULT_ADMIN_PORT);
    assert.equal(p?.scrapable, true);
    assert.equal(p?.proxyReady, false);
  });

  test('pods without the proxy, or with it as a plain init container, are not meshed', () => {
    assert.equal(proxyPodOf(pod({ spec: { containers: [{ name: 'app' }] } })), undefined);
    assert.equal(proxyPodOf(pod({ spec: { initContainers: [proxy()], containers: [{ name: 'app' }] } })), undefined);
    assert.equal(proxyPodOf('not a pod'), undefined);
  });

  test('pending, IP-less and terminating pods are not scrapable, with the reason', () => {
    const pending = proxyPodOf(
      pod({
        status: {
          phase: 'Pending',
          containerStatuses: [{ name: 'nodemesh-proxy', state: { waiting: { reason: 'ImagePullBackOff' } } }],
        },
      }),
    );
    assert.equal(pending?.scrapable, false);
    assert.equal(pending?.notScrapableReason, 'Pending: ImagePullBackOff');
    assert.equal(proxyPodOf(pod({ status: { phase: 'Running' } }))?.notScrapableReason, 'no pod IP yet');
    const deleting = proxyPodOf(pod({ metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' } }));
    assert.equal(deleting?.notScrapableReason, 'terminating');
  });
});

describe('workloadOf', () => {
  const cases: [string, object, string][] = [
    ["the injector's owner label wins", { labels: { 'nodemesh.io/proxy-deployment': 'web' } }, 'deployment/web'],
    [
      'a ReplicaSet named <deployment>-<pod-template-hash> stands for its Deployment',
      {
        labels: { 'pod-template-hash': '7d4b9c' },
        ownerReferences: [{ kind: 'ReplicaSet', name: 'web-7d4b9c', controller: true }],
      },
      'deployment/web',
    ],
    [
      'a ReplicaSet without the matching hash is itself',
      { ownerReferences: [{ kind: 'ReplicaSet', name: 'web-7d4b9c', controller: true }] },
      'replicaset/web-7d4b9c',
    ],
    [
      'the controller reference is preferred',
      {
        ownerReferences: [
          { kind: 'ConfigMap', name: 'x' },
          { kind: 'StatefulSet', name: 'db', controller: true },
        ],
      },
      'statefulset/db',
    ],
    ['a pod without owner is itself', {}, 'pod/web-7d4b9c-abcde'],
  ];
  for (const [name, metadata, expected] of cases) {
    test(name, () => assert.equal(workloadOf(pod({ metadata })), expected));
  }
});
