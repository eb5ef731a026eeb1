import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { H1ParseError, H1ResponseParser, type H1ResponseHead } from './h1-response-parser.ts';

interface Parsed {
  informational: number[];
  head: H1ResponseHead | undefined;
  body: string;
  trailers: string[] | undefined;
}

function parser(): { p: H1ResponseParser; out: Parsed } {
  const out: Parsed = { informational: [], head: undefined, body: '', trailers: undefined };
  const p = new H1ResponseParser({
    informational: (s) => out.informational.push(s),
    head: (h) => (out.head = h),
    body: (c) => (out.body += c.toString('latin1')),
    complete: (t) => (out.trailers = t),
  });
  return { p, out };
}

/** Feeds `text` whole, and again one byte at a time: both must give the same result. */
function both(text: string, noBody = false): Parsed {
  const whole = parser();
  whole.p.reset(noBody);
  whole.p.feed(Buffer.from(text, 'latin1'));
  const bytes = parser();
  bytes.p.reset(noBody);
  for (const b of Buffer.from(text, 'latin1')) bytes.p.feed(Buffer.from([b]));
  assert.deepEqual(
    { ...bytes.out, head: bytes.out.head && { ...bytes.out.head, connection: [...bytes.out.head.connection] } },
    { ...whole.out, head: whole.out.head && { ...whole.out.head, connection: [...whole.out.head.connection] } },
  );
  return whole.out;
}

describe('H1ResponseParser', () => {
  test('reads a Content-Length body and completes', () => {
    const out = both('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello');
    assert.equal(out.head?.status, 200);
    assert.deepEqual(out.head?.raw, ['Content-Length', '5', 'X-A', 'b']);
    assert.equal(out.body, 'hello');
    assert.deepEqual(out.trailers, []);
  });

  test('reads chunked bodies with extensions and trailers, split anywhere', () => {
    const out = both(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\ngrpc-status: 0\r\nx-sum: 9\r\n\r\n',
    );
    assert.equal(out.body, 'Wikipedia');
    assert.deepEqual(out.trailers, ['grpc-status', '0', 'x-sum', '9']);
  });

  test('reports 1xx responses and goes on to the final one', () => {
    const out = both('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n');
    assert.deepEqual(out.informational, [100]);
    assert.equal(out.head?.status, 201);
    assert.deepEqual(out.trailers, []);
  });

  test('gives HEAD, 204 and 304 responses no body', () => {
    assert.deepEqual(both('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', true).trailers, []);
    assert.deepEqual(both('HTTP/1.1 204 No Content\r\n\r\n').trailers, []);
    assert.deepEqual(both('HTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\n\r\n').trailers, []);
  });

  test('lets Transfer-Encoding win over Content-Length and drops the latter', () => {
    const out = both(
      'HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
    );
    assert.equal(out.body, 'ok');
    assert.equal(
      out.head?.raw.some((v) => v.toLowerCase() === 'content-length'),
      false,
    );
  });

  test('reads a body until the connection ends when nothing frames it', () => {
    const { p, out } = parser();
    p.reset(false);
    p.feed(Buffer.from('HTTP/1.0 200 OK\r\n\r\nsome'));
    p.feed(Buffer.from(' more'));
    assert.equal(p.readsUntilClose, true);
    assert.equal(p.end(), true);
    assert.equal(out.body, 'some more');
    assert.equal(out.head?.http10, true);
  });

  test('collects Connection tokens and the gRPC status', () => {
    const out = both('HTTP/1.1 200 OK\r\nConnection: close, X-Hop\r\ngrpc-status: 7\r\nContent-Length: 0\r\n\r\n');
    assert.deepEqual([...(out.head?.connection ?? [])], ['close', 'x-hop']);
    assert.equal(out.head?.grpcStatus, '7');
  });

  const malformed: [string, string][] = [
    ['a bad status line', 'HTTP/2 200 OK\r\n\r\n'],
    ['a header without a colon', 'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n'],
    ['obsolete line folding', 'HTTP/1.1 200 OK\r\nX: a\r\n  folded\r\n\r\n'],
    ['a bare LF inside a value (header injection)', 'HTTP/1.1 200 OK\r\nX: a\nSet-Cookie: evil\r\n\r\n'],
    ['conflicting Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'],
    ['a non-numeric Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n'],
    ['an invalid chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['chunk data without its CRLF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n'],
    ['data after the end', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab'],
    ['an unexpected 101', 'HTTP/1.1 101 Switching Protocols\r\n\r\n'],
  ];
  for (const [name, text] of malformed) {
    test(`refuses ${name}`, () => {
      const { p } = parser();
      p.reset(false);
      assert.throws(() => p.feed(Buffer.from(text, 'latin1')), H1ParseError);
    });
  }

  test('refuses a header block that never ends past 64 KiB', () => {
    const { p } = parser();
    p.reset(false);
    assert.throws(() => {
      for (let i = 0; i < 100; i++) p.feed(Buffer.from(`X-${i}: ${'v'.repeat(1000)}\r\n`));
    }, H1ParseError);
  });
});
