import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BodyDecoder } from './body-decoder.ts';
import { H1RequestError } from './request-head.ts';

interface Run {
  readonly body: string;
  readonly ended: number;
  /** Where the decoder stopped in the last buffer. */
  readonly rest: string;
}

/** Feeds `pieces` one by one; returns the body, how often it ended, and what follows it. */
function decode(kind: 'length' | 'chunked', length: number, pieces: readonly string[]): Run {
  const chunks: Buffer[] = [];
  let ended = 0;
  const d = new BodyDecoder(
    kind,
    length,
    (c) => chunks.push(Buffer.from(c)),
    () => ended++,
  );
  let rest = '';
  for (const piece of pieces) {
    const buf = Buffer.from(piece, 'latin1');
    const at = d.feed(buf, 0);
    rest = buf.toString('latin1', at);
  }
  return { body: Buffer.concat(chunks).toString('latin1'), ended, rest };
}

describe('BodyDecoder', () => {
  test('Content-Length: stops at the end of the body and leaves the next request', () => {
    assert.deepEqual(decode('length', 5, ['hel', 'loGET / HTTP/1.1']), {
      body: 'hello',
      ended: 1,
      rest: 'GET / HTTP/1.1',
    });
  });

  test('chunked: sizes, extensions, trailers, and what follows', () => {
    const wire = '5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\nNEXT';
    assert.deepEqual(decode('chunked', 0, [wire]), { body: 'hello0123456789', ended: 1, rest: 'NEXT' });
  });

  test('chunked: the same bytes split at every position decode the same', () => {
    const wire = '3\r\nabc\r\n2\r\nde\r\n0\r\n\r\nNEXT';
    for (let cut = 1; cut < wire.length; cut++) {
      const run = decode('chunked', 0, [wire.slice(0, cut), wire.slice(cut)]);
      assert.equal(run.body, 'abcde', `cut at ${cut}`);
      assert.equal(run.ended, 1, `cut at ${cut}`);
    }
    // Fed a byte at a time.
    assert.equal(decode('chunked', 0, [...wire]).body, 'abcde');
  });

  test('chunked: refuses a bad size, missing CRLF after data, and an endless size line', () => {
    const refusedWith = (pieces: readonly string[], code: string): void =>
      assert.throws(
        () => decode('chunked', 0, pieces),
        (err: unknown) => err instanceof H1RequestError && err.code === code,
      );
    refusedWith(['zz\r\n'], 'HPE_INVALID_CHUNK_SIZE');
    refusedWith(['-1\r\n'], 'HPE_INVALID_CHUNK_SIZE');
    refusedWith(['1234567890abc\r\n'], 'HPE_INVALID_CHUNK_SIZE');
    refusedWith(['3\r\nabcXY'], 'HPE_STRICT');
    refusedWith(['1;' + 'e'.repeat(20_000)], 'HPE_INVALID_CHUNK_SIZE');
  });
});
