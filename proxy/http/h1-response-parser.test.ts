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
  assert.deepEqual({ ...bytes.out, head: view(bytes.out.head) }, { ...whole.out, head: view(whole.out.head) });
  return whole.out;
}

/** Everything a head says, getters included, as plain data. */
function view(head: H1ResponseHead | undefined): Record<string, unknown> | undefined {
  if (head === undefined) return undefined;
  return {
    status: head.status,
    reason: head.reason,
    http10: head.http10,
    raw: [...head.raw],
    connection: [...head.connection],
    grpcStatus: head.grpcStatus,
    contentLength: head.contentLength,
    plain: head.plain?.toString('latin1'),
  };
}

/** The head of `text` (fed whole), or the error parsing it threw. */
function headOf(text: string): H1ResponseHead | Error {
  const { p, out } = parser();
  p.reset(false);
  try {
    p.feed(Buffer.from(text, 'latin1'));
  } catch (err) {
    return err as Error;
  }
  return out.head!;
}

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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

  test('keeps a usual HTTP/1.1 head as its bytes and parses its fields only when asked', () => {
    const head = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\ngrpc-status:  3 \r\nX-Empty:\r\n\r\n';
    const out = both(`${head}hello`);
    assert.equal(out.head?.plain?.toString('latin1'), head);
    assert.equal(out.head?.status, 200);
    assert.equal(out.head?.reason, 'OK');
    assert.equal(out.head?.contentLength, 5);
    assert.equal(out.head?.grpcStatus, '3');
    assert.deepEqual(out.head?.raw, ['Content-Length', '5', 'X-A', 'b', 'grpc-status', '3', 'X-Empty', '']);
    assert.equal(out.body, 'hello');
    const bare = both('HTTP/1.1 404 Not Found\r\n\r\n', true);
    assert.equal(bare.head?.plain?.toString('latin1'), 'HTTP/1.1 404 Not Found\r\n\r\n');
    assert.deepEqual(bare.head?.raw, []);
    assert.equal(bare.head?.contentLength, -1);
  });

  test('keeps no bytes when reset for a consumer that does not send them on', () => {
    const { p, out } = parser();
    p.reset(false, false);
    p.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\r\n\r\nok', 'latin1'));
    const first = out.head;
    assert.equal(first?.plain, undefined);
    assert.deepEqual(first?.raw, ['Content-Length', '2', 'X-A', 'b']);
    assert.equal(first?.contentLength, 2);
    assert.equal(out.body, 'ok');
    // The next response on the connection, reset as usual, is kept as bytes again.
    p.reset(false);
    p.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', 'latin1'));
    const second: H1ResponseHead | undefined = out.head;
    assert.equal(second?.plain?.toString('latin1'), 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  });

  test('leaves a head that must change on its way, or that is unusual, to the string parser', () => {
    const cases = [
      'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nCONNECTION: keep-alive\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTe: trailers\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTrailer: grpc-status\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nUpgrade: h2c\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nProxy-Connection: close\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nProxy-Authorization: Basic x\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX-Ctl: a\x01b\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX-Del: a\x7fb\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX-Cr: a\rb\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n',
    ];
    for (const text of cases) {
      const head = headOf(text);
      assert.ok(!(head instanceof Error), `${JSON.stringify(text)}: ${head instanceof Error ? head.message : ''}`);
      assert.equal(head.plain, undefined, JSON.stringify(text));
    }
  });

  test('reads 2,000 generated heads as the string parser does, and refuses the same ones', () => {
    const next = random(20261123);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
    const names = [
      'Content-Length',
      'content-type',
      'X-Req-Id',
      'grpc-status',
      'GRPC-STATUS',
      'Set-Cookie',
      'Date',
      'x',
    ];
    const values = [
      '',
      ' ',
      '0',
      '12',
      ' 7 ',
      '\t3\t',
      'text/plain; charset=utf-8',
      'a:b:c',
      'caf\xe9',
      'x\ty',
      '\xa05\xa0',
    ];
    const oddities = ['\x01', '\x7f', '\r', '\n', '\x00', ' ', '@'];
    let plain = 0;
    let refused = 0;
    for (let i = 0; i < 2000; i++) {
      const fields: string[] = [];
      const count = Math.floor(next() * 5);
      for (let f = 0; f < count; f++) {
        let line = `${pick(names)}:${pick(values)}`;
        // Now and then a byte that makes the head unusual or invalid, anywhere in the line.
        if (next() < 0.1) {
          const at = Math.floor(next() * (line.length + 1));
          line = line.slice(0, at) + pick(oddities) + line.slice(at);
        }
        fields.push(line);
      }
      const status = pick(['200 OK', '204 No Content', '503 Service Unavailable', '200 \xe9t\xe9']);
      const head = `HTTP/1.1 ${status}\r\n${fields.map((l) => `${l}\r\n`).join('')}`;
      // The same head with a Connection field appended always takes the string parser.
      const viaBytes = headOf(`${head}\r\n`);
      const viaText = headOf(`${head}Connection: x-forced\r\n\r\n`);
      const what = JSON.stringify(head);
      if (viaText instanceof Error) {
        assert.ok(viaBytes instanceof Error, `${what} is refused by the string parser only`);
        assert.equal(viaBytes.message, viaText.message, what);
        refused++;
        continue;
      }
      assert.ok(
        !(viaBytes instanceof Error),
        `${what} is refused only when read as bytes: ${viaBytes instanceof Error ? viaBytes.message : ''}`,
      );
      assert.equal(viaBytes.status, viaText.status, what);
      assert.equal(viaBytes.reason, viaText.reason, what);
      assert.deepEqual(viaBytes.raw, viaText.raw.slice(0, -2), what);
      assert.equal(viaBytes.grpcStatus, viaText.grpcStatus, what);
      assert.equal(viaBytes.contentLength, viaText.contentLength, what);
      if (viaBytes.plain !== undefined) {
        assert.equal(viaBytes.plain.toString('latin1'), `${head}\r\n`, what);
        plain++;
      }
    }
    // Both kinds of head were generated in numbers (the comparison is not vacuous).
    assert.ok(plain > 500, `${plain} heads read as bytes`);
    assert.ok(refused > 50, `${refused} heads refused`);
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
