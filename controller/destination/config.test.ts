import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/errors/index.ts';
import { catchError } from '../../src/testing/index.ts';
import { DEFAULT_OPAQUE_PORTS, parseDestinationConfig } from './config.ts';

describe('parseDestinationConfig', () => {
  test('has the documented defaults', () => {
    const c = parseDestinationConfig({});
    assert.deepEqual(c.listenAddr, { host: '0.0.0.0', port: 8086 });
    assert.deepEqual(c.adminListenAddr, { host: '0.0.0.0', port: 9996 });
    assert.equal(c.source, 'kubernetes');
    assert.equal(c.clusterDomain, 'cluster.local');
    assert.equal(c.controlNamespace, 'nodemesh');
    assert.equal(c.trustDomain, 'cluster.local');
    assert.deepEqual(c.defaultOpaquePorts, DEFAULT_OPAQUE_PORTS);
    assert.equal(c.streamQueueCapacity, 100);
    assert.equal(c.tls, undefined);
    assert.ok(Object.isFrozen(c));
  });

  test('reads every setting', () => {
    const c = parseDestinationConfig({
      NODEMESH_DESTINATION_SOURCE: 'files',
      NODEMESH_DESTINATION_RESOURCES_DIR: '/tmp/r',
      NODEMESH_DESTINATION_DEFAULT_OPAQUE_PORTS: '5432,8000-8001',
      NODEMESH_DESTINATION_STREAM_QUEUE_CAPACITY: '10',
      NODEMESH_DESTINATION_TLS_CERT_FILE: '/c.pem',
      NODEMESH_DESTINATION_TLS_KEY_FILE: '/k.pem',
    });
    assert.equal(c.resourcesDir, '/tmp/r');
    assert.deepEqual(c.defaultOpaquePorts, [5432, 8000, 8001]);
    assert.equal(c.streamQueueCapacity, 10);
    assert.deepEqual(c.tls, { certFile: '/c.pem', keyFile: '/k.pem' });
  });

  test('reports every problem at once', () => {
    const err = catchError(
      () =>
        parseDestinationConfig({
          NODEMESH_DESTINATION_SOURCE: 'files',
          NODEMESH_DESTINATION_CLUSTER_DOMAIN: 'Not_A_Domain',
          NODEMESH_DESTINATION_STREAM_QUEUE_CAPACITY: '0',
          NODEMESH_DESTINATION_TLS_CERT_FILE: '/c.pem',
        }),
      ConfigError,
    );
    for (const name of [
      'NODEMESH_DESTINATION_RESOURCES_DIR',
      'NODEMESH_DESTINATION_CLUSTER_DOMAIN',
      'NODEMESH_DESTINATION_STREAM_QUEUE_CAPACITY',
      'NODEMESH_DESTINATION_TLS_KEY_FILE',
    ]) {
      assert.match(err.message, new RegExp(name));
    }
  });
});
