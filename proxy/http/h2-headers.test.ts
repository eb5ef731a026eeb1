import assert from 'node:assert/strict';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { describe, test } from 'node:test';
import { h1HeadFromH2, h2RequestFields } from './h2-headers.ts';
import { HOP_BY_HOP, ORIG_PROTO_HEADER, forwardableH1Headers } from './headers.ts';
import type { HttpRequest } from './stack.ts';

interface AttemptParts {
  readonly kind: 'h1' | 'h2';
  readonly headers: IncomingHttpHeaders;
  readonly authority?: string;
  readonly addHeaders?: Record<string, string>;
  readonly dropHeaders?: string[];
}

/** The fields h2RequestFields reads; the rest of an attempt does not matter to it. */
function attempt(p: AttemptParts): HttpRequest {
  return {
    downstream: { kind: p.kind },
    method: 'GET',
    target: '/p?q=1',
    authority: p.authority,
    headers: p.headers,
    grpc: false,
    addHeaders: p.addHeaders,
    dropHeaders: p.dropHeaders,
  } as unknown as HttpRequest;
}

/** h2RequestFields of an HTTP/1 request as first written: forwardableH1Headers, then one pass. */
function referenceH1Fields(a: HttpRequest): string[] {
  const headers = forwardableH1Headers(a.headers);
  const fields = [':method', a.method, ':scheme', 'http'];
  if (a.authority !== undefined) fields.push(':authority', a.authority);
  fields.push(':path', a.target);
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (name === 'host' || name === 'expect' || name === ORIG_PROTO_HEADER) continue;
    if (a.dropHeaders?.includes(name) === true || (a.addHeaders !== undefined && name in a.addHeaders)) continue;
    if (Array.isArray(value)) for (const v of value) fields.push(name, v);
    else fields.push(name, String(value));
  }
  fields.push(ORIG_PROTO_HEADER, 'HTTP/1.1');
  if (a.addHeaders !== undefined) for (const name in a.addHeaders) fields.push(name, a.addHeaders[name]!);
  return fields;
}

/** The HTTP/1 head of a request from a peer proxy as first written: a header object, then text. */
function referenceH1Head(
  method: string,
  target: string,
  authority: string | undefined,
  h: IncomingHttpHeaders,
  drop: readonly string[] | undefined,
  add: Record<string, string> | undefined,
) {
  const out: OutgoingHttpHeaders = {};
  if (authority !== undefined) out.host = authority;
  for (const [name, value] of Object.entries(h)) {
    if (value === undefined || name.startsWith(':') || HOP_BY_HOP.has(name) || name === ORIG_PROTO_HEADER) continue;
    out[name] = value;
  }
  if (typeof h.te === 'string' && h.te.trim().toLowerCase() === 'trailers') out.te = 'trailers';
  if (drop !== undefined) for (const name of drop) delete out[name];
  if (add !== undefined) Object.assign(out, add);
  let head = `${method} ${target} HTTP/1.1\r\n`;
  for (const name in out) {
    const value = out[name];
    if (Array.isArray(value)) for (const v of value) head += `${name}: ${v}\r\n`;
    else head += `${name}: ${String(value)}\r\n`;
  }
  return { head, hasLength: out['content-length'] !== undefined };
}

/** A small deterministic generator (no flaky seeds): xorshift32. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

const NAMES = [
  'accept',
  'user-agent',
  'x-request-id',
  'connection',
  'keep-alive',
  'te',
  'transfer-encoding',
  'upgrade',
  'expect',
  'host',
  'content-length',
  'x-named',
  'cookie',
  ORIG_PROTO_HEADER,
  'trailer',
  'proxy-authorization',
];
const TE = ['trailers', ' Trailers ', 'gzip', 'trailers, deflate'];
const CONNECTION = ['keep-alive', 'x-named', 'close, X-Named', 'upgrade'];

function generatedHeaders(next: () => number, h2: boolean): IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  if (h2) {
    headers[':method'] = 'GET';
    headers[':path'] = '/p';
  }
  const count = 1 + Math.floor(next() * NAMES.length);
  for (let i = 0; i < count; i++) {
    const name = NAMES[Math.floor(next() * NAMES.length)]!;
    if (name === 'te') headers.te = TE[Math.floor(next() * TE.length)]!;
    else if (name === 'connection' && !h2) headers.connection = CONNECTION[Math.floor(next() * CONNECTION.length)]!;
    else if (name === 'cookie') headers.cookie = ['a=1', 'b=2'];
    else headers[name] = `v${i}`;
  }
  return headers;
}

describe('HTTP/2 forwarding headers', () => {
  test('an HTTP/1 request: hop-by-hop and Connection-named fields left out, te: trailers and l5d-orig-proto last', () => {
    const fields = h2RequestFields(
      attempt({
        kind: 'h1',
        authority: 'web:8080',
        headers: {
          host: 'web:8080',
          connection: 'keep-alive, x-trace',
          'keep-alive': 'timeout=5',
          'x-trace': 'hop',
          te: 'Trailers',
          expect: '100-continue',
          accept: '*/*',
          cookie: ['a=1', 'b=2'] as unknown as string,
        },
      }),
    );
    assert.deepEqual(fields, [
      ':method',
      'GET',
      ':scheme',
      'http',
      ':authority',
      'web:8080',
      ':path',
      '/p?q=1',
      'accept',
      '*/*',
      'cookie',
      'a=1',
      'cookie',
      'b=2',
      'te',
      'trailers',
      ORIG_PROTO_HEADER,
      'HTTP/1.1',
    ]);
  });

  test('an HTTP/1 request: dropped and added fields, te among them', () => {
    const fields = h2RequestFields(
      attempt({
        kind: 'h1',
        headers: { te: 'trailers', accept: 'a', 'x-old': 'o' },
        dropHeaders: ['x-old'],
        addHeaders: { te: 'trailers', accept: 'b' },
      }),
    );
    assert.deepEqual(fields.slice(6), [ORIG_PROTO_HEADER, 'HTTP/1.1', 'te', 'trailers', 'accept', 'b']);
  });

  test('2,000 generated HTTP/1 requests give the fields the header-object path gave', () => {
    const next = rng(0x5eed);
    for (let i = 0; i < 2000; i++) {
      const headers = generatedHeaders(next, false);
      const dropHeaders = next() < 0.2 ? ['accept', 'te'] : undefined;
      const addHeaders = next() < 0.2 ? { 'x-added': 'yes', 'user-agent': 'edited' } : undefined;
      const a = attempt({
        kind: 'h1',
        headers,
        authority: 'web:80',
        ...(dropHeaders === undefined ? {} : { dropHeaders }),
        ...(addHeaders === undefined ? {} : { addHeaders }),
      });
      assert.deepEqual(h2RequestFields(a), referenceH1Fields(a), JSON.stringify({ headers, dropHeaders, addHeaders }));
    }
  });

  test('the HTTP/1 head of a request from a peer proxy: host from :authority first, te: trailers last', () => {
    const { head, hasLength } = h1HeadFromH2('POST', '/upload', 'web:8080', {
      ':method': 'POST',
      ':path': '/upload',
      'content-length': '3',
      te: 'trailers',
      [ORIG_PROTO_HEADER]: 'HTTP/1.1',
      cookie: ['a=1', 'b=2'],
    });
    assert.equal(
      head,
      'POST /upload HTTP/1.1\r\nhost: web:8080\r\ncontent-length: 3\r\ncookie: a=1\r\ncookie: b=2\r\nte: trailers\r\n',
    );
    assert.equal(hasLength, true);
  });

  test('2,000 generated requests from a peer proxy give the head the header-object path gave', () => {
    const next = rng(0xbeef);
    for (let i = 0; i < 2000; i++) {
      const headers = generatedHeaders(next, true);
      const authority = next() < 0.9 ? 'web:8080' : undefined;
      const drop = next() < 0.3 ? ['l5d-client-id', 'te'] : undefined;
      const add = next() < 0.5 ? { 'l5d-client-id': 'a.ns.serviceaccount.identity', accept: 'x' } : undefined;
      if (add !== undefined && next() < 0.5) headers['l5d-client-id'] = 'forged';
      const got = h1HeadFromH2('GET', '/p', authority, headers, drop, add);
      const want = referenceH1Head('GET', '/p', authority, headers, drop, add);
      const context = JSON.stringify({ authority, headers, drop, add });
      assert.equal(got.hasLength, want.hasLength, context);
      // The allowed differences: a host field without :authority now comes first, and an added
      // field that replaces one comes last instead of in its place. Same fields, same values.
      const norm = (h: string): string => h.split('\r\n').sort().join('\r\n');
      if (authority === undefined || add !== undefined) assert.equal(norm(got.head), norm(want.head), context);
      else assert.equal(got.head, want.head, context);
      assert.equal(got.head.split('\r\n')[0], 'GET /p HTTP/1.1');
    }
  });
});
