// The proxy container's environment as the kubelet resolves it: the identity the injector builds
// from references, the control port, and what cannot be known from the pod object.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { containerEnv, controlPortOf, expandEnvReferences, proxyIdentityOf } from './proxy-env.ts';

const field = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
const LOCAL_NAME = '$(_pod_sa).$(_pod_ns).serviceaccount.identity.nodemesh.cluster.local';

function pod(spec: Record<string, unknown>, env: unknown[]): { pod: unknown; container: unknown } {
  const container = { name: 'nodemesh-proxy', env };
  return {
    pod: { metadata: { name: 'web-1', namespace: 'shop' }, spec: { ...spec, containers: [container] } },
    container,
  };
}

describe('proxy-env', () => {
  test('the identity is built from the service account and namespace, as the injector writes it', () => {
    const p = pod({ serviceAccountName: 'web' }, [
      field('_pod_ns', 'metadata.namespace'),
      field('_pod_sa', 'spec.serviceAccountName'),
      { name: 'NODEMESH_PROXY_IDENTITY_LOCAL_NAME', value: LOCAL_NAME },
    ]);
    assert.equal(
      proxyIdentityOf(containerEnv(p.pod, p.container)),
      'web.shop.serviceaccount.identity.nodemesh.cluster.local',
    );
  });

  test('a pod without a service account runs as default', () => {
    const p = pod({}, [
      field('_pod_ns', 'metadata.namespace'),
      field('_pod_sa', 'spec.serviceAccountName'),
      { name: 'NODEMESH_PROXY_IDENTITY_LOCAL_NAME', value: LOCAL_NAME },
    ]);
    assert.equal(
      proxyIdentityOf(containerEnv(p.pod, p.container)),
      'default.shop.serviceaccount.identity.nodemesh.cluster.local',
    );
  });

  test('references defined later, undefined or from secrets leave the identity unknown', () => {
    const later = pod({ serviceAccountName: 'web' }, [
      { name: 'NODEMESH_PROXY_IDENTITY_LOCAL_NAME', value: LOCAL_NAME },
      field('_pod_ns', 'metadata.namespace'),
      field('_pod_sa', 'spec.serviceAccountName'),
    ]);
    assert.equal(proxyIdentityOf(containerEnv(later.pod, later.container)), undefined);
    const secret = pod({}, [
      { name: '_pod_sa', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
      field('_pod_ns', 'metadata.namespace'),
      { name: 'NODEMESH_PROXY_IDENTITY_LOCAL_NAME', value: LOCAL_NAME },
    ]);
    assert.equal(proxyIdentityOf(containerEnv(secret.pod, secret.container)), undefined);
  });

  test('identity disabled means no identity; $$ escapes a dollar', () => {
    const p = pod({}, [
      { name: 'NODEMESH_PROXY_IDENTITY_DISABLED', value: 'true' },
      { name: 'NODEMESH_PROXY_IDENTITY_LOCAL_NAME', value: 'web.shop' },
    ]);
    assert.equal(proxyIdentityOf(containerEnv(p.pod, p.container)), undefined);
    assert.equal(expandEnvReferences('a$$b', new Map()), 'a$b');
    assert.equal(expandEnvReferences('$(X)-y', new Map([['X', 'x']])), 'x-y');
  });

  test('the control port comes from the control listen address', () => {
    assert.equal(controlPortOf(new Map([['NODEMESH_PROXY_CONTROL_LISTEN_ADDR', '0.0.0.0:4190']])), 4190);
    assert.equal(controlPortOf(new Map([['NODEMESH_PROXY_CONTROL_LISTEN_ADDR', '[::]:5190']])), 5190);
    assert.equal(controlPortOf(new Map([['NODEMESH_PROXY_CONTROL_LISTEN_ADDR', 'nowhere']])), undefined);
    assert.equal(controlPortOf(new Map()), undefined);
  });
});
