// Property-based tests of Gateway API route matching (fast-check, seeded): for generated route
// sets and requests, selection never throws; whatever rule it picks really matches the request;
// no matching rule ranks above the pick by the documented precedence (an Exact path first, then
// the characters of the path matched, then a method, headers, query parameters); and the order the
// routes are given in does not change the pick. NODEMESH_PROPERTY_RUNS raises the run count for a
// longer search on demand.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  compileHttpRouter,
  parseRoute,
  type HttpRequestInfo,
  type HttpRoute,
  type HttpRouteMatch,
  type RouteTarget,
} from '../../src/routes/index.ts';

const RUNS = { numRuns: Number(process.env.NODEMESH_PROPERTY_RUNS ?? 300), seed: 20261122 };
const TARGET: RouteTarget = { parent: { namespace: 'shop', name: 'web', port: 80 }, clientNamespace: 'shop' };

const segment = fc.constantFrom('a', 'b', 'books', 'v1', 'v2', '1', '42');
const path = fc.array(segment, { minLength: 0, maxLength: 4 }).map((s) => `/${s.join('/')}`);
const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE');
const headerName = fc.constantFrom('x-canary', 'x-user', 'x-env');
const headerValue = fc.constantFrom('true', 'false', 'a', 'b');

const match = fc.record(
  {
    path: fc.oneof(
      fc.record({ type: fc.constant('Exact'), value: path }),
      fc.record({ type: fc.constant('PathPrefix'), value: path }),
      fc.record({
        type: fc.constant('RegularExpression'),
        value: fc.constantFrom('/books/[0-9]+', '/v[12]/.*', '/a(/b)?', '/.*'),
      }),
    ),
    method,
    headers: fc.uniqueArray(fc.record({ name: headerName, value: headerValue }), {
      maxLength: 2,
      selector: (h) => h.name,
    }),
    queryParams: fc.uniqueArray(
      fc.record({ name: fc.constantFrom('debug', 'page'), value: fc.constantFrom('1', '2') }),
      {
        maxLength: 1,
        selector: (q) => q.name,
      },
    ),
  },
  { requiredKeys: [] },
);

const routes = fc
  .array(
    fc.array(fc.record({ matches: fc.array(match, { minLength: 0, maxLength: 3 }) }), { minLength: 1, maxLength: 4 }),
    { minLength: 1, maxLength: 3 },
  )
  .map((sets) =>
    sets.map((rules, i): HttpRoute => {
      const parsed = parseRoute({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: `r${i}`, namespace: 'shop', creationTimestamp: `2024-01-0${i + 1}T00:00:00Z` },
        spec: {
          parentRefs: [{ group: '', kind: 'Service', name: 'web', port: 80 }],
          rules: rules.map((r) => ({ ...r, backendRefs: [{ name: 'web', port: 80 }] })),
        },
      });
      if (!parsed.ok) throw new Error(`generated an invalid route: ${parsed.error.message}`);
      return parsed.route as HttpRoute;
    }),
  );

const requests = fc.record({
  method,
  path,
  headers: fc.dictionary(headerName, headerValue, { maxKeys: 3 }),
  query: fc.constantFrom('', 'debug=1', 'page=2', 'debug=2&page=1'),
});

/** Whether `m` matches `req` (the spec's semantics, written independently of the router). */
function matches(m: HttpRouteMatch, req: HttpRequestInfo): number {
  if (m.method !== undefined && m.method !== req.method) return -1;
  let length: number;
  if (m.path.type === 'Exact') length = req.path === m.path.value ? req.path.length : -1;
  else if (m.path.type === 'PathPrefix') {
    const prefix = m.path.value.replace(/\/+$/, '');
    length = req.path === prefix || req.path.startsWith(`${prefix}/`) ? Math.max(1, prefix.length) : -1;
  } else length = new RegExp(`^(?:${m.path.value})$`).test(req.path) ? req.path.length : -1;
  if (length < 0) return -1;
  for (const h of m.headers) if (req.headers[h.name] !== h.value) return -1;
  const query = new URLSearchParams(req.query ?? '');
  for (const q of m.queryParams) if (query.get(q.name) !== q.value) return -1;
  return length;
}

function rank(m: HttpRouteMatch, length: number): number[] {
  return [
    m.path.type === 'Exact' ? 1 : 0,
    length,
    m.method === undefined ? 0 : 1,
    m.headers.length,
    m.queryParams.length,
  ];
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

describe('HTTPRoute matching (property-based)', () => {
  test('the pick matches the request, nothing that matches ranks higher, and input order does not matter', () => {
    fc.assert(
      fc.property(routes, requests, (set, req) => {
        const router = compileHttpRouter(set, TARGET);
        const picked = router.select(req);
        const all = set.flatMap((r) =>
          r.rules.flatMap((rule) => rule.matches.map((m) => ({ m, length: matches(m, req) }))),
        );
        const matching = all.filter((x) => x.length >= 0);
        if (picked === undefined) {
          assert.equal(matching.length, 0, 'no pick although a rule matches');
          return;
        }
        const length = matches(picked.match, req);
        assert.ok(length >= 0, 'the picked rule matches the request');
        const best = rank(picked.match, length);
        for (const x of matching)
          assert.ok(compare(rank(x.m, x.length), best) <= 0, 'nothing that matches ranks higher');
        const reversed = compileHttpRouter([...set].reverse(), TARGET).select(req);
        assert.equal(reversed?.route, picked.route, 'the same route whatever the input order');
        assert.equal(reversed?.ruleIndex, picked.ruleIndex);
      }),
      RUNS,
    );
  });
});
