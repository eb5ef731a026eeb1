// How the fake API server reads pods/proxy paths (the forwarding itself is exercised by
// test/integration/cli-kubernetes.test.ts against real proxies).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePodProxyPath } from './fake-api-pod-proxy.ts';

describe('parsePodProxyPath', () => {
  test('reads the namespace, pod, port and the path on the pod', () => {
    assert.deepEqual(parsePodProxyPath('/api/v1/namespaces/shop/pods/web-1:4191/proxy/metrics'), {
      namespace: 'shop',
      pod: 'web-1',
      port: '4191',
      rest: '/metrics',
    });
  });

  test('the port and the path are optional; a scheme prefix is dropped', () => {
    assert.deepEqual(parsePodProxyPath('/api/v1/namespaces/shop/pods/web-1/proxy'), {
      namespace: 'shop',
      pod: 'web-1',
      port: undefined,
      rest: '/',
    });
    assert.equal(parsePodProxyPath('/api/v1/namespaces/shop/pods/http:web-1:4191/proxy/ready')?.pod, 'web-1');
  });

  test('other paths are not pods/proxy', () => {
    assert.equal(parsePodProxyPath('/api/v1/namespaces/shop/pods/web-1'), undefined);
    assert.equal(parsePodProxyPath('/api/v1/namespaces/shop/services/web:80/proxy/x'), undefined);
  });
});
