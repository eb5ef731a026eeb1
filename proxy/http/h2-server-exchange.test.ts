import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { H2Stream, type H2Connection } from '../h2/index.ts';
import type { H2StreamOwner } from '../h2/stream-owner.ts';
import { H2ServerExchange, type BodyRelay } from './h2-server-exchange.ts';

/** An exchange on a stream whose owner records the credit it returns (no connection, no socket). */
function exchange(endStream = false): { ex: H2ServerExchange; stream: H2Stream; credited: () => number } {
  let credited = 0;
  const owner: H2StreamOwner = {
    headers() {},
    flush() {},
    reset() {},
    consumed: (_s, n) => void (credited += n),
  };
  const stream = new H2Stream(owner, 1, 65_535, 65_535);
  const conn = { socket: { remotePort: 1 } } as unknown as H2Connection;
  const ex = new H2ServerExchange(conn, stream, [':method', 'POST', ':path', '/'], endStream);
  return { ex, stream, credited: () => credited };
}

/** A relay target that records what it got and answers relayData with `room()`. */
function target(room: () => boolean = () => true): BodyRelay & { chunks: string[]; ends: number } {
  return {
    chunks: [],
    ends: 0,
    relayData(chunk) {
      this.chunks.push(chunk.toString());
      return room();
    },
    relayEnd() {
      this.ends++;
    },
  };
}

describe('H2ServerExchange.relayBody', () => {
  test('relays what arrived before it at once, then each chunk as it comes, then the end once', () => {
    const { ex, stream, credited } = exchange();
    stream.handler.data(Buffer.from('ab'), false);
    assert.equal(credited(), 0, 'nothing read yet, nothing credited');
    const to = target();
    assert.equal(ex.relayBody(to), true);
    assert.deepEqual(to.chunks, ['ab']);
    assert.equal(credited(), 2);
    stream.handler.data(Buffer.from('cde'), false);
    stream.handler.data(Buffer.alloc(0), true);
    stream.handler.headers([], true, []);
    assert.deepEqual(to.chunks, ['ab', 'cde']);
    assert.equal(to.ends, 1);
    assert.equal(credited(), 5);
  });

  test('a body that ended before the relay began is relayed and ended inside relayBody', () => {
    const { ex, stream } = exchange();
    stream.handler.data(Buffer.from('whole'), true);
    const to = target();
    ex.relayBody(to);
    assert.deepEqual([to.chunks, to.ends], [['whole'], 1]);
  });

  test('request trailers end the relayed body', () => {
    const { ex, stream } = exchange();
    const to = target();
    ex.relayBody(to);
    stream.handler.data(Buffer.from('x'), false);
    stream.handler.headers(['x-sum', '1'], true, []);
    assert.deepEqual([to.chunks, to.ends], [['x'], 1]);
  });

  test('credit is held while the target is backed up, for later chunks too, until relayRoom', () => {
    const { ex, stream, credited } = exchange();
    let room = false;
    const to = target(() => room);
    ex.relayBody(to);
    stream.handler.data(Buffer.from('1234'), false);
    room = true;
    // The target took this one without complaint, but the client is still behind on credit.
    stream.handler.data(Buffer.from('56'), false);
    assert.equal(credited(), 0);
    ex.relayRoom();
    assert.equal(credited(), 6);
    stream.handler.data(Buffer.from('7'), false);
    assert.equal(credited(), 7);
    ex.relayRoom();
    assert.equal(credited(), 7, 'nothing owed, nothing more credited');
  });

  test('after stopRelay nothing more is relayed, credited or ended', () => {
    const { ex, stream, credited } = exchange();
    const to = target();
    ex.relayBody(to);
    stream.handler.data(Buffer.from('a'), false);
    ex.stopRelay();
    stream.handler.data(Buffer.from('bc'), true);
    assert.deepEqual([to.chunks, to.ends, credited()], [['a'], 0, 1]);
    assert.throws(() => ex.body, /relayed/);
  });

  test('a client reset ends the relay without relayEnd', () => {
    const { ex, stream } = exchange();
    const to = target();
    ex.relayBody(to);
    stream.handler.reset(0x8, undefined);
    stream.handler.data(Buffer.from('late'), true);
    assert.deepEqual([to.chunks, to.ends], [[], 0]);
  });

  test('the body has one reader: a Readable taken first refuses the relay, a relay refuses a second', async () => {
    const first = exchange();
    const readable = first.ex.body;
    assert.equal(first.ex.relayBody(target()), false);
    first.stream.handler.data(Buffer.from('via the readable'), true);
    const parts: Buffer[] = [];
    for await (const chunk of readable) parts.push(chunk as Buffer);
    assert.equal(Buffer.concat(parts).toString(), 'via the readable');

    const second = exchange();
    second.ex.relayBody(target());
    assert.throws(() => second.ex.relayBody(target()), /already relayed/);
  });
});
