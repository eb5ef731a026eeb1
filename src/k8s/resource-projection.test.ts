// What the caches keep of an object: pods cut down to the fields the controller reads, every kind
// without managedFields, other kinds whole.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pruneForCache } from './resource-projection.ts';

describe('pruneForCache', () => {
  test('keeps a pod’s metadata and only the listed spec and status fields', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-0', namespace: 'shop', labels: { app: 'web' }, managedFields: [{ manager: 'x' }] },
      spec: { serviceAccountName: 'web', nodeName: 'node-1', containers: [{ name: 'app', image: 'app' }] },
      status: { phase: 'Running', podIP: '10.0.0.7', conditions: [{ type: 'Ready', status: 'True' }] },
    };
    const pruned = pruneForCache('Pod', pod);
    assert.equal(pruned, pod, 'pruned in place');
    assert.deepEqual(pruned, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-0', namespace: 'shop', labels: { app: 'web' } },
      spec: { serviceAccountName: 'web', nodeName: 'node-1' },
      status: { phase: 'Running', podIP: '10.0.0.7' },
    });
  });

  test('leaves other kinds whole except for managedFields', () => {
    const slice = {
      metadata: { name: 's', namespace: 'shop', managedFields: [] },
      endpoints: [{ addresses: ['10.0.0.7'] }],
    };
    assert.deepEqual(pruneForCache('EndpointSlice', slice), {
      metadata: { name: 's', namespace: 'shop' },
      endpoints: [{ addresses: ['10.0.0.7'] }],
    });
  });
});
