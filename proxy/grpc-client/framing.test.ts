import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MessageDecoder, encodeMessage } from './framing.ts';

const A = Buffer.from('first message');
const B = Buffer.alloc(0);
const C = Buffer.from('x'.repeat(300));
const WIRE = Buffer.concat([encodeMessage(A), encodeMessage(B), encodeMessage(C)]);

function decodeInChunks(chunks: readonly Buffer[], decoder = new MessageDecoder()): string[] {
  const out: string[] = [];
  for (const chunk of chunks) {
    const { messages, problem } = decoder.push(chunk);
    assert.equal(problem, undefined);
    out.push(...messages.map((m) => m.toString()));
  }
  return out;
}

describe('encodeMessage', () => {
  test('prefixes a message with a zero flag and its big-endian length', () => {
    assert.deepEqual([...encodeMessage(Buffer.from('hi'))], [0, 0, 0, 0, 2, 0x68, 0x69]);
    assert.deepEqual([...encodeMessage(Buffer.alloc(0))], [0, 0, 0, 0, 0]);
  });
});

describe('MessageDecoder', () => {
  const expected = [A.toString(), '', C.toString()];

  test('decodes several messages that arrive in one chunk', () => {
    assert.deepEqual(decodeInChunks([WIRE]), expected);
  });

  test('decodes messages split at every possible byte, headers included', () => {
    for (let cut = 1; cut < WIRE.length; cut++) {
      const decoder = new MessageDecoder();
      assert.deepEqual(decodeInChunks([WIRE.subarray(0, cut), WIRE.subarray(cut)], decoder), expected, `cut at ${cut}`);
      assert.equal(decoder.partial, false);
    }
  });

  test('decodes messages fed one byte at a time', () => {
    const bytes = [...WIRE].map((b) => Buffer.from([b]));
    assert.deepEqual(decodeInChunks(bytes), expected);
  });

  test('says when an unfinished message is buffered', () => {
    const decoder = new MessageDecoder();
    decoder.push(WIRE.subarray(0, 3));
    assert.equal(decoder.partial, true);
    decoder.push(WIRE.subarray(3, encodeMessage(A).length));
    assert.equal(decoder.partial, false);
  });

  const problems: [string, Buffer, string, RegExp][] = [
    ['a compressed message', Buffer.from([1, 0, 0, 0, 1, 0x61]), 'INTERNAL', /compressed/],
    ['an invalid flag byte', Buffer.from([7, 0, 0, 0, 1, 0x61]), 'INTERNAL', /flag byte 7/],
    [
      'a length over the limit, before its body',
      Buffer.from([0, 0, 0x50, 0, 1]),
      'RESOURCE_EXHAUSTED',
      /5242881 bytes/,
    ],
  ];
  for (const [what, bytes, status, message] of problems) {
    test(`reports ${what} as ${status}, after the messages before it`, () => {
      const decoder = new MessageDecoder();
      const { messages, problem } = decoder.push(Buffer.concat([encodeMessage(A), bytes]));
      assert.deepEqual(
        messages.map((m) => m.toString()),
        [A.toString()],
      );
      assert.equal(problem?.status, status);
      assert.match(problem?.message ?? '', message);
      assert.deepEqual(decoder.push(encodeMessage(B)).messages, [], 'nothing is decoded after a problem');
    });
  }

  test('takes a message of exactly the limit and refuses one byte more', () => {
    const decoder = new MessageDecoder({ maxMessageBytes: 4 });
    assert.equal(decoder.push(encodeMessage(Buffer.from('four'))).messages.length, 1);
    assert.equal(decoder.push(encodeMessage(Buffer.from('fiver'))).problem?.status, 'RESOURCE_EXHAUSTED');
  });
});
