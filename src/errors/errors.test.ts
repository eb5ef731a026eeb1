import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { ConfigError, ERROR_CODES, MeshError, UsageError, causeChain, hasCode } from './index.ts';

describe('error codes', () => {
  test('every code is documented in docs/errors.md', async () => {
    const doc = await readFile(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const missing = Object.keys(ERROR_CODES).filter((code) => !doc.includes(`\`${code}\``));
    assert.deepEqual(missing, [], `add these codes to docs/errors.md: ${missing.join(', ')}`);
  });

  test('every code follows the MESH_ERR_ naming', () => {
    for (const code of Object.keys(ERROR_CODES)) assert.match(code, /^MESH_ERR_[A-Z0-9_]+$/);
  });
});

describe('MeshError', () => {
  test('keeps its code, cause and fields, and names its class', () => {
    const root = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const err = new UsageError('bad flag', { cause: root, fields: { flag: '--x' } });
    assert.equal(err.name, 'UsageError');
    assert.equal(err.code, 'MESH_ERR_USAGE');
    assert.equal(err.cause, root);
    assert.ok(hasCode(err, 'MESH_ERR_USAGE'));
    assert.ok(!hasCode(err, 'MESH_ERR_CONFIG'));
    assert.deepEqual(err.toJSON(), {
      name: 'UsageError',
      code: 'MESH_ERR_USAGE',
      message: 'bad flag',
      fields: { flag: '--x' },
      cause: { name: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:1', code: 'ECONNREFUSED' },
    });
    assert.ok(Object.isFrozen(err.fields));
  });

  test('lists the chain of causes outermost first', () => {
    const inner = new MeshError('MESH_ERR_INTERNAL', 'inner');
    const outer = new MeshError('MESH_ERR_INTERNAL', 'outer', { cause: inner });
    assert.deepEqual(causeChain(outer), ['outer', 'inner']);
    assert.deepEqual(causeChain('plain'), ['plain']);
  });

  test('a config error with one problem reads naturally', () => {
    const err = new ConfigError('nodemesh identity', [{ name: 'X', value: 'y', allowed: 'z' }]);
    assert.equal(err.message, 'nodemesh identity: 1 invalid setting:\n  - X has value "y"; allowed: z');
  });
});
