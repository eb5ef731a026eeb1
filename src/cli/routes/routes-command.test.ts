// Unit tests of `nodemesh routes` that need no proxy: the table it prints, and how it fails when the
// mesh is not running, a flag is wrong or --workload names no proxy. (Scraping is stat's, shared.)

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { UsageError } from '../../errors/index.ts';
import { formatRoutesTable, runRoutes, type RoutesReport } from './routes-command.ts';
import { DEFAULT_ROUTE, type RouteStats } from './routes-math.ts';
import { runCommand } from '../../testing/index.ts';

async function routes(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCommand(runRoutes, argv, { cwd });
}

const route = (r: Partial<RouteStats> & Pick<RouteStats, 'route' | 'service' | 'source'>): RouteStats => ({
  successRate: undefined,
  requestsPerSecond: 0,
  actualRequestsPerSecond: undefined,
  latencyMsP50: undefined,
  latencyMsP95: undefined,
  latencyMsP99: undefined,
  requests: 0,
  responses: 0,
  ...r,
});

describe('formatRoutesTable', () => {
  test('prints a row per route, "-" where there is no data, and notes for unreachable and idle proxies', () => {
    const reports: RoutesReport[] = [
      {
        workload: 'web',
        proxy: 'web-proxy',
        admin: 'http://127.0.10.1:4191',
        status: 'ok',
        windowMs: 5000,
        routes: [
          route({
            source: 'serviceprofile',
            route: 'GET /books',
            service: 'books:7000',
            successRate: 0.9,
            requestsPerSecond: 10,
            actualRequestsPerSecond: 13,
            latencyMsP50: 4.25,
            latencyMsP95: 91,
            latencyMsP99: 98.2,
          }),
          route({ source: 'serviceprofile', route: DEFAULT_ROUTE, service: 'books:7000', actualRequestsPerSecond: 0 }),
          route({
            source: 'gateway',
            route: 'web-canary',
            service: 'web.shop:80',
            routeKind: 'HTTPRoute',
            routeNamespace: 'shop',
            successRate: 0.8,
            requestsPerSecond: 2.25,
          }),
        ],
      },
      {
        workload: 'books',
        proxy: 'books-proxy',
        admin: 'http://127.0.10.2:4191',
        status: 'ok',
        windowMs: 5000,
        routes: [],
      },
      {
        workload: 'api',
        proxy: 'api-proxy',
        admin: 'http://127.0.10.3:4191',
        status: 'unreachable',
        error: 'ECONNREFUSED',
      },
    ];
    assert.equal(
      formatRoutesTable(reports),
      [
        'WORKLOAD  ROUTE        SERVICE      SUCCESS  RPS   ACTUAL_RPS  P50    P95   P99',
        'web       GET /books   books:7000   90.00%   10.0  13.0        4.3ms  91ms  98ms',
        'web       [default]    books:7000   -        0.0   0.0         -      -     -',
        'web       web-canary   web.shop:80  80.00%   2.3   -           -      -     -',
        'api       unreachable  -            -        -     -           -      -     -',
        '',
        'books: no route metrics yet (no ServiceProfile or Gateway API route has carried requests)',
        'api: proxy admin http://127.0.10.3:4191 unreachable (ECONNREFUSED)',
      ].join('\n'),
    );
  });
});

describe('runRoutes without a proxy to scrape', () => {
  let dir: string;
  let emptyDir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-routes-'));
    emptyDir = await mkdtemp(path.join(tmpdir(), 'nodemesh-routes-empty-'));
    const state = {
      components: [
        { name: 'identity', pid: 1, log: '', addresses: { admin: 'http://127.0.0.1:1' } },
        { name: 'web-proxy', pid: 1, log: '', addresses: { admin: 'http://127.0.0.1:1' } },
      ],
    };
    await writeFile(path.join(dir, 'state.json'), JSON.stringify(state));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(emptyDir, { recursive: true, force: true });
  });

  test('exits 1 and says how to start the mesh when it is not running', async () => {
    const { code, stdout, stderr } = await routes(['--state-dir', '.'], emptyDir);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(stderr, /no local mesh is running .*npm start/);
  });

  test('exits 1 and lists the known workloads when --workload names none of them', async () => {
    const { code, stderr } = await routes(['--state-dir', '.', '--workload', 'nope', '--window', '1ms'], dir);
    assert.equal(code, 1);
    assert.match(stderr, /no proxy serves workload "nope"; known: web/);
  });

  const usage: [string, string[], RegExp][] = [
    ['a window that is not a duration', ['--window', 'soon'], /--window "soon" is not a positive duration/],
    ['a zero window', ['--window', '0s'], /not a positive duration/],
    ['an unknown output format', ['-o', 'yaml'], /-o "yaml" is not an output format/],
    ['an unknown flag', ['--to', 'web'], /--to/],
  ];
  for (const [name, argv, message] of usage) {
    test(`rejects ${name} as a usage error`, async () => {
      await assert.rejects(routes(['--state-dir', '.', ...argv], dir), (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, message);
        return true;
      });
    });
  }
});
