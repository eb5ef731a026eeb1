import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePrometheusText } from '../../metrics/index.ts';
import { computeEdges, UNKNOWN, type Edge, type EdgeProxy } from './edges-math.ts';

const FRONT = 'front.shop.serviceaccount.identity.nodemesh.cluster.local';
const WEB = 'web.shop.serviceaccount.identity.nodemesh.cluster.local';
const OTHER = 'batch.jobs.serviceaccount.identity.nodemesh.cluster.local';

/** One series line: `name{labels} value`. */
function line(name: string, labels: Record<string, string>, value: number): string {
  const text = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  return `${name}{${text}} ${value}`;
}

/** Requests and responses (all successes unless `failures`) of one label set. */
function calls(labels: Record<string, string>, requests: number, failures = 0): string[] {
  return [
    line('request_total', labels, requests),
    line('response_total', { ...labels, status_code: '200', classification: 'success' }, requests - failures),
    ...(failures > 0
      ? [line('response_total', { ...labels, status_code: '500', classification: 'failure' }, failures)]
      : []),
  ];
}

function proxy(
  workload: string,
  identity: string | undefined,
  host: string,
  before: string[],
  after: string[],
  windowMs = 1000,
): EdgeProxy {
  return {
    workload,
    identity,
    host,
    before: parsePrometheusText(`${before.join('\n')}\n`),
    after: parsePrometheusText(`${after.join('\n')}\n`),
    windowMs,
  };
}

const out = (dst: Record<string, string>): Record<string, string> => ({
  direction: 'outbound',
  tls: 'no_identity',
  authority: 'web.shop.svc.cluster.local:80',
  ...dst,
});
const inMtls = (client: string): Record<string, string> => ({ direction: 'inbound', tls: 'true', client_id: client });
const inPlain = { direction: 'inbound', tls: 'no_identity', no_tls_reason: 'not_provided_by_remote' };

function find(edges: readonly Edge[], src: string, dst: string): Edge {
  const e = edges.find((x) => x.src === src && x.dst === dst);
  assert.ok(e !== undefined, `no edge ${src} → ${dst} in ${JSON.stringify(edges.map((x) => [x.src, x.dst]))}`);
  return e;
}

describe('computeEdges', () => {
  test('pairs the outbound dst_pod with the inbound client_id: rate, success, both identities, all mTLS', () => {
    const dstLabels = { dst_pod: 'web-0', dst_service: 'web', target_ip: '127.0.10.1', target_addr: '127.0.10.1:8080' };
    const edges = computeEdges([
      proxy('front-0', FRONT, '127.0.11.1', calls(out(dstLabels), 100, 0), calls(out(dstLabels), 300, 20), 2000),
      proxy('web-0', WEB, '127.0.10.1', calls(inMtls(FRONT), 100), calls(inMtls(FRONT), 300, 20), 2000),
    ]);
    assert.equal(edges.length, 1);
    const e = find(edges, 'front-0', 'web-0');
    assert.equal(e.srcId, FRONT);
    assert.equal(e.dstId, WEB);
    assert.equal(e.requestsPerSecond, 100);
    assert.equal(e.successRate, 0.9);
    assert.equal(e.mtlsShare, 1);
    assert.equal(e.requests, 200);
    assert.equal(e.seenBy, 'outbound');
    assert.ok(e.srcKnown && e.dstKnown);
  });

  test('server_id on the outbound series wins as the destination identity', () => {
    const labels = { dst_pod: 'web-0', server_id: 'other.id' };
    const edges = computeEdges([
      proxy('front-0', FRONT, '127.0.11.1', [], calls(out(labels), 10)),
      proxy('web-0', WEB, '127.0.10.1', [], calls(inMtls(FRONT), 10)),
    ]);
    assert.equal(find(edges, 'front-0', 'web-0').dstId, 'other.id');
  });

  test('on Kubernetes (proxies named namespace/pod) dst_namespace and dst_pod name the destination', () => {
    const labels = { dst_pod: 'web-0', dst_namespace: 'shop', server_id: WEB, target_ip: '10.0.0.9' };
    const edges = computeEdges([
      proxy('shop/front-0', FRONT, '10.0.0.8', [], calls(out(labels), 10)),
      proxy('shop/web-0', WEB, '10.0.0.9', [], calls(inMtls(FRONT), 10)),
      // A pod of the same name in another namespace is not the destination.
      proxy('other/web-0', OTHER, '10.0.1.9', [], []),
    ]);
    assert.equal(edges.length, 1, JSON.stringify(edges));
    const e = find(edges, 'shop/front-0', 'shop/web-0');
    assert.equal(e.srcId, FRONT);
    assert.equal(e.dstId, WEB);
    assert.equal(e.mtlsShare, 1);
  });

  test('recognises the destination by target_ip when there is no dst_pod, but only a unique one', () => {
    const labels = { target_ip: '127.0.10.1', target_addr: '127.0.10.1:8080' };
    const unique = computeEdges([
      proxy('front-0', FRONT, '127.0.11.1', [], calls(out(labels), 10)),
      proxy('web-0', WEB, '127.0.10.1', [], calls(inMtls(FRONT), 10)),
    ]);
    assert.equal(find(unique, 'front-0', 'web-0').dstKnown, true);
    const shared = computeEdges([
      proxy('front-0', FRONT, '127.0.10.1', [], calls(out(labels), 10)),
      proxy('web-0', WEB, '127.0.10.1', [], calls(inMtls(FRONT), 10)),
    ]);
    const e = find(shared, 'front-0', 'web.shop.svc.cluster.local:80');
    assert.equal(e.dstKnown, false);
    assert.equal(e.mtlsShare, undefined);
  });

  test('an unmeshed destination is named from its labels, with no identities and no mTLS share', () => {
    const edges = computeEdges([
      proxy('front-0', FRONT, '127.0.11.1', [], calls(out({ dst_service: 'payments', target_ip: '10.0.0.9' }), 5)),
    ]);
    const e = find(edges, 'front-0', 'payments');
    assert.equal(e.dstKnown, false);
    assert.equal(e.srcId, undefined);
    assert.equal(e.dstId, undefined);
    assert.equal(e.mtlsShare, undefined);
  });

  test('a destination the source reaches in plaintext has an mTLS share of 0 and no identities', () => {
    const labels = { dst_pod: 'web-0' };
    const edges = computeEdges([
      proxy('front-0', FRONT, '127.0.11.1', [], calls(out(labels), 40)),
      proxy('web-0', WEB, '127.0.10.1', [], calls(inPlain, 40)),
    ]);
    assert.equal(edges.length, 1, JSON.stringify(edges));
    const e = find(edges, 'front-0', 'web-0');
    assert.equal(e.mtlsShare, 0);
    assert.equal(e.srcId, undefined);
    assert.equal(e.dstId, undefined);
  });

  test('callers the destination saw that no scraped proxy sent become edges from unknown', () => {
    const labels = { dst_pod: 'web-0' };
    const edges = computeEdges([
      proxy('front-0', FRONT, '127.0.11.1', calls(out(labels), 0), calls(out(labels), 30)),
      proxy(
        'web-0',
        WEB,
        '127.0.10.1',
        [...calls(inMtls(FRONT), 0), ...calls(inMtls(OTHER), 0), ...calls(inPlain, 0)],
        [...calls(inMtls(FRONT), 30), ...calls(inMtls(OTHER), 8, 2), ...calls(inPlain, 4)],
      ),
    ]);
    assert.equal(edges.length, 3, JSON.stringify(edges));
    const other = edges.find((e) => e.src === UNKNOWN && e.srcId === OTHER);
    assert.ok(other !== undefined);
    assert.equal(other.dst, 'web-0');
    assert.equal(other.requestsPerSecond, 8);
    assert.equal(other.successRate, 0.75);
    assert.equal(other.mtlsShare, 1);
    assert.equal(other.seenBy, 'inbound');
    const plain = edges.find((e) => e.src === UNKNOWN && e.srcId === undefined);
    assert.ok(plain !== undefined);
    assert.equal(plain.requests, 4);
    assert.equal(plain.mtlsShare, 0);
    assert.equal(find(edges, 'front-0', 'web-0').mtlsShare, 1);
  });

  test('a proxy restart (counter went down) counts from zero, and an idle edge stays with no rates', () => {
    const labels = { dst_pod: 'web-0' };
    const edges = computeEdges([
      proxy('front-0', FRONT, '127.0.11.1', calls(out(labels), 500), calls(out(labels), 20)),
      proxy('web-0', WEB, '127.0.10.1', calls(inMtls(FRONT), 500), calls(inMtls(FRONT), 20)),
    ]);
    assert.equal(find(edges, 'front-0', 'web-0').requests, 20);
    const idle = computeEdges([
      proxy('front-0', FRONT, '127.0.11.1', calls(out(labels), 20), calls(out(labels), 20)),
      proxy('web-0', WEB, '127.0.10.1', calls(inMtls(FRONT), 20), calls(inMtls(FRONT), 20)),
    ]);
    const e = find(idle, 'front-0', 'web-0');
    assert.equal(e.requestsPerSecond, 0);
    assert.equal(e.successRate, undefined);
    assert.equal(e.mtlsShare, undefined);
    assert.equal(e.srcId, FRONT);
  });

  test('two sources with one identity share the mTLS count the destination saw for it', () => {
    const labels = { dst_pod: 'api-0' };
    const edges = computeEdges([
      proxy('web-0', WEB, '127.0.10.1', [], calls(out(labels), 10)),
      proxy('web-1', WEB, '127.0.10.2', [], calls(out(labels), 30)),
      proxy('api-0', OTHER, '127.0.12.1', [], [...calls(inMtls(WEB), 20), ...calls(inPlain, 20)]),
    ]);
    assert.equal(find(edges, 'web-0', 'api-0').mtlsShare, 0.5);
    assert.equal(find(edges, 'web-1', 'api-0').mtlsShare, 0.5);
    // The 20 plaintext requests are the other half of what web-* sent: no unknown caller.
    assert.equal(
      edges.some((e) => e.src === UNKNOWN),
      false,
      JSON.stringify(edges),
    );
  });
});
