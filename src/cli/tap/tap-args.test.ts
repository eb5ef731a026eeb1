import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from '../../errors/index.ts';
import { parseTapArgs, tapPath } from './tap-args.ts';

describe('parseTapArgs', () => {
  test('takes the workload alone: everything, one line per request', () => {
    const args = parseTapArgs(['web-0']);
    assert.deepEqual(args, {
      workload: 'web-0',
      query: [],
      durationMs: undefined,
      stateDir: undefined,
      output: 'line',
      kubernetes: undefined,
    });
    assert.equal(tapPath(args), '/tap');
  });

  test('turns the filters, limit and rate into the /tap query', () => {
    const args = parseTapArgs([
      'front-0',
      '--direction',
      'outbound',
      '--authority',
      'web.shop.svc.cluster.local:80',
      '--path',
      '/api v1',
      '--method',
      'get',
      '--limit',
      '10',
      '--rate',
      '5',
      '--duration',
      '1m30s',
      '--state-dir',
      '/tmp/mesh',
      '-o',
      'wide',
    ]);
    assert.equal(
      tapPath(args),
      '/tap?direction=outbound&authority=web.shop.svc.cluster.local%3A80&path=%2Fapi+v1&method=GET&limit=10&rate=5',
    );
    assert.deepEqual([args.durationMs, args.stateDir, args.output], [90_000, '/tmp/mesh', 'wide']);
  });

  test('--kubernetes takes a context and a namespace', () => {
    const args = parseTapArgs(['deployment/web', '-k', '-n', 'shop', '--context', 'kind-dev']);
    assert.equal(args.workload, 'deployment/web');
    assert.deepEqual(args.kubernetes, { context: 'kind-dev', namespace: 'shop' });
    assert.deepEqual(parseTapArgs(['web', '--kubernetes']).kubernetes, { context: undefined, namespace: undefined });
  });

  const bad: { argv: string[]; message: RegExp }[] = [
    { argv: ['web', '-n', 'shop'], message: /--namespace applies only with --kubernetes \(-k\)/ },
    { argv: ['web', '--context', 'x'], message: /--context applies only with --kubernetes/ },
    { argv: ['web', '-k', '--state-dir', 'x'], message: /--state-dir is for the local mesh/ },
    { argv: ['web', '-k', '-A'], message: /Unknown option '-A'/ },
    { argv: [], message: /name the workload to tap/ },
    { argv: ['a', 'b'], message: /unexpected argument "b"/ },
    { argv: ['web-0', '--direction', 'up'], message: /--direction "up" is not allowed; allowed: inbound, outbound/ },
    { argv: ['web-0', '--path', 'api'], message: /--path "api" .*starting with \// },
    { argv: ['web-0', '--method', 'G T'], message: /--method "G T" is not an HTTP method/ },
    { argv: ['web-0', '--limit', '0'], message: /--limit "0" is not allowed; allowed: a whole number from 1/ },
    { argv: ['web-0', '--rate', 'lots'], message: /--rate "lots"/ },
    { argv: ['web-0', '--duration', '30'], message: /--duration "30" is not a positive duration/ },
    { argv: ['web-0', '-o', 'table'], message: /-o "table" is not an output format; allowed: wide, json/ },
    { argv: ['web-0', '--frob'], message: /Unknown option '--frob'/ },
  ];
  for (const c of bad) {
    test(`refuses ${c.argv.join(' ') || 'no arguments'}`, () => {
      assert.throws(
        () => parseTapArgs(c.argv),
        (err: unknown) => err instanceof UsageError && c.message.test(err.message),
      );
    });
  }
});
