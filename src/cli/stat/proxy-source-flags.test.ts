// Which flags choose the local mesh or a cluster, and which combinations are refused.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from '../../errors/index.ts';
import { chooseProxySource } from './proxy-source-flags.ts';

describe('chooseProxySource', () => {
  test('without --kubernetes it is the local mesh', () => {
    assert.deepEqual(chooseProxySource('stat', { 'state-dir': 'x' }), { kind: 'local', stateDir: 'x' });
  });

  test('--kubernetes takes --context, --namespace or --all-namespaces', () => {
    assert.deepEqual(chooseProxySource('stat', { kubernetes: true, context: 'dev', namespace: 'shop' }), {
      kind: 'kubernetes',
      context: 'dev',
      namespace: 'shop',
      allNamespaces: false,
    });
    assert.deepEqual(chooseProxySource('stat', { kubernetes: true, 'all-namespaces': true }), {
      kind: 'kubernetes',
      context: undefined,
      namespace: undefined,
      allNamespaces: true,
    });
  });

  const refused: [string, Parameters<typeof chooseProxySource>[1], RegExp][] = [
    ['a cluster flag without --kubernetes', { namespace: 'shop' }, /--namespace applies only with --kubernetes/],
    ['--context without --kubernetes', { context: 'dev' }, /--context applies only with --kubernetes/],
    ['--state-dir with --kubernetes', { kubernetes: true, 'state-dir': 'x' }, /--state-dir is for the local mesh/],
    [
      '--namespace with --all-namespaces',
      { kubernetes: true, namespace: 'shop', 'all-namespaces': true },
      /--namespace and --all-namespaces exclude each other/,
    ],
    ['an empty namespace', { kubernetes: true, namespace: '' }, /--namespace needs a namespace name/],
  ];
  for (const [name, flags, message] of refused) {
    test(`refuses ${name}`, () => {
      assert.throws(
        () => chooseProxySource('stat', flags),
        (err: unknown) => err instanceof UsageError && message.test(err.message),
      );
    });
  }
});
