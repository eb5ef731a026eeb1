import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { H1RequestError, parseRequestHead } from './request-head.ts';

const limits = { maxHeaders: 100 };
const parse = (text: string): ReturnType<typeof parseRequestHead> => parseRequestHead(text, limits);

function refused(text: string, code: string, status = 400): void {
  assert.throws(
    () => parse(text),
    (err: unknown) => err instanceof H1RequestError && err.code === code && err.status === status,
    `${JSON.stringify(text.slice(0, 60))} should be refused with ${code}`,
  );
}

describe('parseRequestHead', () => {
  test('reads the request line, lower-cases names and trims values', () => {
    const head = parse('GET /a?b=1 HTTP/1.1\r\nHost: web:80\r\nX-Thing:  v1 \r\nAccept: */*');
    assert.equal(head.method, 'GET');
    assert.equal(head.target, '/a?b=1');
    assert.equal(head.minor, 1);
    assert.deepEqual(head.headers, { host: 'web:80', 'x-thing': 'v1', accept: '*/*' });
    assert.deepEqual(head.body, { kind: 'none' });
    assert.equal(head.keepAlive, true);
    assert.equal(head.upgrade, false);
  });

  test('says whether the head as received can go on unchanged (plain)', () => {
    assert.equal(parse('GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nContent-Length: 3').plain, true);
    assert.equal(parse('GET / HTTP/1.1\r\nHost: h').plain, true);
    const notPlain = [
      'GET / HTTP/1.0\r\nHost: h',
      'GET / HTTP/1.1\r\nHost: h\r\nConnection: close',
      'GET / HTTP/1.1\r\nHost: h\r\nKeep-Alive: timeout=5',
      'GET / HTTP/1.1\r\nHost: h\r\nTE: trailers',
      'GET / HTTP/1.1\r\nHost: h\r\nTrailer: x',
      'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked',
      'GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c',
      'GET / HTTP/1.1\r\nHost: h\r\nProxy-Connection: keep-alive',
      'GET / HTTP/1.1\r\nHost: h\r\nProxy-Authorization: Basic x',
      'GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2',
      'GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: a\r\nUser-Agent: b',
      'GET / HTTP/1.1\r\nHost: h\r\n__proto__: x',
    ];
    for (const text of notPlain) assert.equal(parse(text).plain, false, JSON.stringify(text));
  });

  test('combines repeated fields as node:http does', () => {
    const head = parse(
      'GET / HTTP/1.1\r\nHost: h\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nCookie: c=3\r\nCookie: d=4\r\n' +
        'Accept: a\r\nAccept: b\r\nUser-Agent: first\r\nUser-Agent: second',
    );
    assert.deepEqual(head.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(head.headers.cookie, 'c=3; d=4');
    assert.equal(head.headers.accept, 'a, b');
    assert.equal(head.headers['user-agent'], 'first');
  });

  test('frames the body by Content-Length or chunked', () => {
    assert.deepEqual(parse('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12').body, { kind: 'length', length: 12 });
    assert.deepEqual(parse('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0').body, { kind: 'none' });
    assert.deepEqual(parse('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked').body, { kind: 'chunked' });
    assert.deepEqual(parse('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, Chunked').body, { kind: 'chunked' });
  });

  test('keep-alive: HTTP/1.1 unless close, HTTP/1.0 only with keep-alive', () => {
    assert.equal(parse('GET / HTTP/1.1\r\nHost: h\r\nConnection: close').keepAlive, false);
    assert.equal(parse('GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, Close').keepAlive, false);
    assert.equal(parse('GET / HTTP/1.1\r\nHost: h\r\nConnection: closed').keepAlive, true);
    assert.equal(parse('GET / HTTP/1.0').keepAlive, false);
    assert.equal(parse('GET / HTTP/1.0\r\nConnection: keep-alive').keepAlive, true);
  });

  test('recognises an Upgrade and CONNECT', () => {
    assert.equal(parse('GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket').upgrade, true);
    assert.equal(parse('GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket').upgrade, false);
    assert.equal(parse('CONNECT h:443 HTTP/1.1\r\nHost: h:443').upgrade, true);
  });

  test('refuses smuggling shapes and malformed heads with stable codes', () => {
    refused(
      'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked',
      'HPE_INVALID_TRANSFER_ENCODING',
    );
    refused('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6', 'HPE_UNEXPECTED_CONTENT_LENGTH');
    refused('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5', 'HPE_UNEXPECTED_CONTENT_LENGTH');
    refused('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1', 'HPE_INVALID_CONTENT_LENGTH');
    refused('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, identity', 'HPE_INVALID_TRANSFER_ENCODING');
    refused('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked', 'HPE_INVALID_TRANSFER_ENCODING');
    refused('POST / HTTP/1.0\r\nTransfer-Encoding: chunked', 'HPE_INVALID_TRANSFER_ENCODING');
    refused('GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b', 'HPE_INVALID_HEADER_TOKEN');
    refused('GET / HTTP/1.1\r\nHost: h\r\nBad Name: v', 'HPE_INVALID_HEADER_TOKEN');
    refused('GET / HTTP/1.1\r\nHost: h\r\nX-A: a\rb', 'HPE_INVALID_HEADER_TOKEN');
    refused('GET / HTTP/1.1\r\nHost: h\r\nX-A: a\nb', 'HPE_INVALID_HEADER_TOKEN');
    refused('GET / HTTP/1.1\r\nHost: h\r\nNoColon', 'HPE_INVALID_HEADER_TOKEN');
    refused('GET / HTTP/1.1\nHost: h', 'HPE_INVALID_VERSION');
    refused('GET / HTTP/2.0\r\nHost: h', 'HPE_INVALID_VERSION');
    refused('GET /a b HTTP/1.1\r\nHost: h', 'HPE_INVALID_VERSION');
    refused('G(T / HTTP/1.1\r\nHost: h', 'HPE_INVALID_METHOD');
    refused('GET\r\nHost: h', 'HPE_INVALID_METHOD');
    refused('GET /\x01 HTTP/1.1\r\nHost: h', 'HPE_INVALID_URL');
    refused('GET / HTTP/1.1\r\nHost: a\r\nHost: b', 'HPE_DUPLICATE_HOST');
    refused('GET / HTTP/1.1\r\nAccept: */*', 'HPE_MISSING_HOST');
  });

  test('refuses more header fields than the limit with 431', () => {
    const lines = Array.from({ length: 101 }, (_, i) => `X-H${i}: v`).join('\r\n');
    refused(`GET / HTTP/1.0\r\n${lines}`, 'HPE_HEADER_OVERFLOW', 431);
    assert.equal(
      Object.keys(parse(`GET / HTTP/1.0\r\n${lines.split('\r\n').slice(1).join('\r\n')}`).headers).length,
      100,
    );
  });

  test('ignores a __proto__ field instead of changing the object', () => {
    const head = parse('GET / HTTP/1.1\r\nHost: h\r\n__proto__: x');
    assert.equal(Object.getPrototypeOf(head.headers), Object.prototype);
    assert.deepEqual(Object.keys(head.headers), ['host']);
  });
});
