// Which meshed pod `tap --kubernetes NAME` means: a pod, pod/NAME, KIND/NAME or a bare workload
// name (its first running pod by name), and the errors for names that match nothing usable.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProxySourceError } from '../stat/proxy-target.ts';
import type { KubeApi } from './kube-api.ts';
import { pickProxyPod } from './pod-pick.ts';

function pod(name: string, options: { deployment?: string; meshed?: boolean; phase?: string } = {}): unknown {
  const containers = [{ name: 'app' }, ...(options.meshed === false ? [] : [{ name: 'nodemesh-proxy' }])];
  const phase = options.phase ?? 'Running';
  return {
    metadata: {
      name,
      namespace: 'shop',
      labels: options.deployment === undefined ? {} : { 'nodemesh.io/proxy-deployment': options.deployment },
    },
    spec: { containers },
    status: phase === 'Running' ? { phase, podIP: '10.0.0.1' } : { phase },
  };
}

function api(items: unknown[]): KubeApi {
  return {
    server: 'https://k8s.invalid',
    context: 'test',
    namespace: 'default',
    kubeConfig: undefined as never,
    get: () => Promise.resolve({ status: 200, body: JSON.stringify({ items }) }),
  };
}

const PODS = [
  pod('web-b', { deployment: 'web' }),
  pod('web-a', { deployment: 'web', phase: 'Pending' }),
  pod('web-c', { deployment: 'web' }),
  pod('db-0'),
  pod('plain', { meshed: false }),
];
const signal = new AbortController().signal;

describe('pickProxyPod', () => {
  test('a pod name (or pod/NAME) is that pod', async () => {
    const picked = await pickProxyPod(api(PODS), 'shop', 'web-c', signal);
    assert.equal(picked.pod.name, 'web-c');
    assert.equal(picked.workload, undefined);
    assert.equal((await pickProxyPod(api(PODS), 'shop', 'pod/db-0', signal)).pod.name, 'db-0');
  });

  test('a workload (KIND/NAME, a short kind, or NAME) is its first running pod by name', async () => {
    for (const name of ['deployment/web', 'deploy/web', 'web']) {
      const picked = await pickProxyPod(api(PODS), 'shop', name, signal);
      assert.equal(picked.pod.name, 'web-b', name);
      assert.deepEqual(picked.workload, { name: 'deployment/web', running: 2 });
    }
  });

  test('names matching nothing usable are clear errors', async () => {
    const fails = async (name: string, pods: unknown[], message: RegExp) =>
      assert.rejects(pickProxyPod(api(pods), 'shop', name, signal), (err: unknown) => {
        assert.ok(err instanceof ProxySourceError);
        assert.match(err.message, message);
        return true;
      });
    await fails(
      'nope',
      PODS,
      /^no pod or workload named nope with a nodemesh proxy in namespace shop; meshed workloads: deployment\/web, pod\/db-0$/,
    );
    await fails('statefulset/web', PODS, /^no statefulset named web/);
    await fails('plain', PODS, /^pod shop\/plain has no nodemesh-proxy container: it is not meshed/);
    await fails('web-a', PODS, /^pod shop\/web-a is not running \(Pending\)$/);
    await fails(
      'web',
      [pod('web-a', { deployment: 'web', phase: 'Pending' })],
      /^deployment\/web in namespace shop has no running pod \(web-a: Pending\)$/,
    );
    await fails('pod/nope', PODS, /^no pod named nope in namespace shop$/);
    await fails('a/b/c', PODS, /is not a pod or workload name/);
    await fails('web', [], /it has no meshed pods$/);
  });
});
