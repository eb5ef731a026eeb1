import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from '../../errors/index.ts';
import { parseProxyEnv } from './demo-proxy-env.ts';

describe('parseProxyEnv', () => {
  test('turns NAME=VALUE flags into an environment, the value may hold "="', () => {
    assert.deepEqual(parseProxyEnv(['NODEMESH_PROXY_IDENTITY_MAX_REFRESH=15s', 'NODEMESH_PROXY_X=a=b']), {
      NODEMESH_PROXY_IDENTITY_MAX_REFRESH: '15s',
      NODEMESH_PROXY_X: 'a=b',
    });
    assert.deepEqual(parseProxyEnv([]), {});
  });

  test('refuses every flag that is not NAME=VALUE with a NODEMESH_PROXY_* name, naming each', () => {
    assert.throws(
      () => parseProxyEnv(['PATH=/bin', 'NODEMESH_PROXY_LOG', 'NODEMESH_IDENTITY_X=1']),
      (err: unknown) =>
        err instanceof UsageError &&
        ['"PATH=/bin"', '"NODEMESH_PROXY_LOG"', '"NODEMESH_IDENTITY_X=1"'].every((s) => err.message.includes(s)),
    );
  });
});
