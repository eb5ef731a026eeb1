import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { H2ConnectionError, H2_ERROR, type H2ErrorName } from './errors.ts';
import { H2FrameParser, type H2FrameParserOptions } from './frame-parser.ts';
import { FrameRecorder, rawFrame, u32, type FrameCall } from './test-fixtures.ts';
import {
  CLIENT_PREFACE,
  FLAG_ACK,
  FLAG_END_HEADERS,
  FLAG_END_STREAM,
  FLAG_PADDED,
  FLAG_PRIORITY,
  FRAME_CONTINUATION,
  FRAME_DATA,
  FRAME_GOAWAY,
  FRAME_HEADERS,
  FRAME_PING,
  FRAME_PRIORITY,
  FRAME_PUSH_PROMISE,
  FRAME_RST_STREAM,
  FRAME_SETTINGS,
  FRAME_WINDOW_UPDATE,
  SETTINGS_ENABLE_CONNECT_PROTOCOL,
  SETTINGS_ENABLE_PUSH,
  SETTINGS_INITIAL_WINDOW_SIZE,
  SETTINGS_MAX_FRAME_SIZE,
} from './frame-types.ts';
import { seededRandom } from '../../src/testing/index.ts';

/** Deterministic bytes (not one repeated value) so that a slice of overwritten input shows. */
function bytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 17 + (i >> 8)) & 0xff;
  return out;
}

/**
 * Feeds `input` in pieces of the given sizes through one reused read buffer that is overwritten
 * with 0xee after every feed, as a socket's buffer would be: what the parser held must be its copy.
 */
function feedPieces(input: Buffer, sizes: Iterable<number>, options?: H2FrameParserOptions): FrameCall[] {
  const sink = new FrameRecorder();
  const parser = new H2FrameParser(sink, options);
  const scratch = Buffer.alloc(input.length);
  let at = 0;
  for (const size of sizes) {
    const n = Math.min(size, input.length - at);
    input.copy(scratch, 0, at, at + n);
    parser.feed(scratch.subarray(0, n));
    scratch.fill(0xee);
    at += n;
    if (at === input.length) break;
  }
  assert.equal(at, input.length, 'the piece sizes cover the input');
  return sink.calls;
}

function parseWhole(input: Buffer, options?: H2FrameParserOptions): FrameCall[] {
  return feedPieces(input, [input.length], options);
}

function* randomSizes(seed: number, max: number): Generator<number> {
  const next = seededRandom(seed);
  for (let i = 0; i < 1_000_000; i++) yield 1 + Math.floor(next() * max);
}

function* ones(): Generator<number> {
  for (let i = 0; i < 1_000_000; i++) yield 1;
}

/** Feeds `input` whole and expects a connection error `name`; a further feed throws the same error. */
function expectConnectionError(input: Buffer, name: H2ErrorName, options?: H2FrameParserOptions): FrameRecorder {
  const sink = new FrameRecorder();
  const parser = new H2FrameParser(sink, options);
  let thrown: unknown;
  assert.throws(
    () => parser.feed(input),
    (err: unknown) => {
      thrown = err;
      return err instanceof H2ConnectionError && err.h2Code === H2_ERROR[name] && err.code === 'MESH_ERR_H2_PROTOCOL';
    },
  );
  assert.throws(
    () => parser.feed(rawFrame(FRAME_PING, 0, 0, bytes(8, 1))),
    (err: unknown) => err === thrown,
  );
  return sink;
}

const PING = rawFrame(FRAME_PING, 0, 0, bytes(8, 9));
const PING_CALL: FrameCall = ['ping', false, bytes(8, 9).toString('hex')];

describe('H2FrameParser: frames in any split', () => {
  const block = bytes(300, 2);
  const mixed = Buffer.concat([
    rawFrame(FRAME_SETTINGS, 0, 0, [0, SETTINGS_INITIAL_WINDOW_SIZE, ...u32(1 << 20), 0xfe, 0x01, ...u32(7)]),
    rawFrame(FRAME_WINDOW_UPDATE, 0, 0, u32(1 << 24)),
    // HEADERS, padded and with priority, continued twice.
    rawFrame(FRAME_HEADERS, FLAG_PADDED | FLAG_PRIORITY | FLAG_END_STREAM, 1, [
      3,
      ...u32(0x80000000),
      16,
      ...block.subarray(0, 100),
      0,
      0,
      0,
    ]),
    rawFrame(FRAME_CONTINUATION, 0, 1, block.subarray(100, 250)),
    rawFrame(FRAME_CONTINUATION, FLAG_END_HEADERS, 1, block.subarray(250)),
    rawFrame(FRAME_DATA, FLAG_PADDED, 3, [4, ...bytes(20, 3), 0, 0, 0, 0]),
    rawFrame(FRAME_DATA, 0, 3, bytes(16384, 4)),
    rawFrame(FRAME_PRIORITY, 0, 5, [...u32(3), 200]),
    rawFrame(0x42, 0xff, 7, bytes(33, 5)),
    PING,
    rawFrame(FRAME_WINDOW_UPDATE, 0, 3, u32(0)),
    rawFrame(FRAME_RST_STREAM, 0, 3, u32(H2_ERROR.CANCEL)),
    rawFrame(FRAME_GOAWAY, 0, 0, [...u32(0x80000003), ...u32(0xffffffff), ...bytes(11, 6)]),
    rawFrame(FRAME_DATA, FLAG_END_STREAM, 0x80000001, []),
    rawFrame(FRAME_SETTINGS, FLAG_ACK, 0, []),
  ]);
  const expected: FrameCall[] = [
    ['settings', false, [SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20, 0xfe01, 7]],
    ['windowUpdate', 0, 1 << 24],
    ['headers', 1, block.toString('hex'), true],
    ['data', 3, bytes(20, 3).toString('hex'), false, 25],
    ['data', 3, bytes(16384, 4).toString('hex'), false, 16384],
    PING_CALL,
    ['streamError', 3, H2_ERROR.PROTOCOL_ERROR],
    ['rstStream', 3, H2_ERROR.CANCEL],
    ['goaway', 3, 0xffffffff, bytes(11, 6).toString('hex')],
    ['data', 1, '', true, 0],
    ['settings', true, []],
  ];

  test('gives every frame, in order, fed whole', () => {
    assert.deepEqual(parseWhole(mixed), expected);
  });

  test('gives the same calls fed one byte at a time through an overwritten buffer', () => {
    assert.deepEqual(feedPieces(mixed, ones()), expected);
  });

  test('gives the same calls in seeded random splits through an overwritten buffer', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const max = seed % 2 === 0 ? 20 : 5000;
      assert.deepEqual(feedPieces(mixed, randomSizes(seed, max)), expected, `seed ${seed}`);
    }
  });

  test('checks the client preface in any split before the first frame', () => {
    const input = Buffer.concat([CLIENT_PREFACE, rawFrame(FRAME_SETTINGS, 0, 0, []), PING]);
    const want: FrameCall[] = [['settings', false, []], PING_CALL];
    assert.deepEqual(parseWhole(input, { preface: 'client' }), want);
    assert.deepEqual(feedPieces(input, ones(), { preface: 'client' }), want);
    assert.deepEqual(feedPieces(input, randomSizes(7, 30), { preface: 'client' }), want);
  });

  test('passes payloads as slices of the input when the frame is whole in it', () => {
    const input = rawFrame(FRAME_DATA, 0, 1, bytes(10, 1));
    let seen: Buffer | undefined;
    const sink = new FrameRecorder();
    sink.data = (_id, payload) => (seen = payload);
    new H2FrameParser(sink).feed(input);
    assert.ok(seen);
    assert.equal(seen.buffer, input.buffer);
    assert.equal(seen.byteOffset, input.byteOffset + 9);
  });
});

describe('H2FrameParser: connection errors', () => {
  const settings = (id: number, value: number): Buffer => rawFrame(FRAME_SETTINGS, 0, 0, [0, id, ...u32(value)]);
  const cases: readonly (readonly [string, Buffer, H2ErrorName, H2FrameParserOptions?])[] = [
    ['a frame longer than maxFrameSize', rawFrame(FRAME_DATA, 0, 1, Buffer.alloc(16385)), 'FRAME_SIZE_ERROR'],
    [
      'a frame longer than a raised maxFrameSize',
      rawFrame(FRAME_DATA, 0, 1, Buffer.alloc(20001)),
      'FRAME_SIZE_ERROR',
      { maxFrameSize: 20000 },
    ],
    ['DATA on stream 0', rawFrame(FRAME_DATA, 0, 0, [1]), 'PROTOCOL_ERROR'],
    ['HEADERS on stream 0', rawFrame(FRAME_HEADERS, FLAG_END_HEADERS, 0, [0x88]), 'PROTOCOL_ERROR'],
    ['PRIORITY on stream 0', rawFrame(FRAME_PRIORITY, 0, 0, [...u32(1), 16]), 'PROTOCOL_ERROR'],
    ['RST_STREAM on stream 0', rawFrame(FRAME_RST_STREAM, 0, 0, u32(8)), 'PROTOCOL_ERROR'],
    ['CONTINUATION on stream 0', rawFrame(FRAME_CONTINUATION, FLAG_END_HEADERS, 0, [0x88]), 'PROTOCOL_ERROR'],
    ['PUSH_PROMISE on stream 0', rawFrame(FRAME_PUSH_PROMISE, FLAG_END_HEADERS, 0, u32(2)), 'PROTOCOL_ERROR'],
    ['SETTINGS on stream 1', rawFrame(FRAME_SETTINGS, 0, 1, []), 'PROTOCOL_ERROR'],
    ['PING on stream 1', rawFrame(FRAME_PING, 0, 1, bytes(8, 1)), 'PROTOCOL_ERROR'],
    ['GOAWAY on stream 1', rawFrame(FRAME_GOAWAY, 0, 1, [...u32(0), ...u32(0)]), 'PROTOCOL_ERROR'],
    ['DATA padding as long as the payload', rawFrame(FRAME_DATA, FLAG_PADDED, 1, [3, 0, 0]), 'PROTOCOL_ERROR'],
    ['padded DATA without a Pad Length', rawFrame(FRAME_DATA, FLAG_PADDED, 1, []), 'FRAME_SIZE_ERROR'],
    [
      'HEADERS padding longer than the fragment',
      rawFrame(FRAME_HEADERS, FLAG_PADDED | FLAG_END_HEADERS, 1, [2, 0x88]),
      'PROTOCOL_ERROR',
    ],
    [
      'HEADERS padding reaching into the priority fields',
      rawFrame(FRAME_HEADERS, FLAG_PADDED | FLAG_PRIORITY | FLAG_END_HEADERS, 1, [1, ...u32(0), 16]),
      'PROTOCOL_ERROR',
    ],
    [
      'HEADERS shorter than its priority fields',
      rawFrame(FRAME_HEADERS, FLAG_PRIORITY | FLAG_END_HEADERS, 1, [0, 0, 0]),
      'FRAME_SIZE_ERROR',
    ],
    ['a SETTINGS ACK with a payload', rawFrame(FRAME_SETTINGS, FLAG_ACK, 0, [0, 1, ...u32(0)]), 'FRAME_SIZE_ERROR'],
    ['SETTINGS of 7 bytes', rawFrame(FRAME_SETTINGS, 0, 0, [0, 1, ...u32(0), 0]), 'FRAME_SIZE_ERROR'],
    ['SETTINGS_ENABLE_PUSH 2', settings(SETTINGS_ENABLE_PUSH, 2), 'PROTOCOL_ERROR'],
    ['SETTINGS_ENABLE_CONNECT_PROTOCOL 2', settings(SETTINGS_ENABLE_CONNECT_PROTOCOL, 2), 'PROTOCOL_ERROR'],
    ['SETTINGS_INITIAL_WINDOW_SIZE 2^31', settings(SETTINGS_INITIAL_WINDOW_SIZE, 2 ** 31), 'FLOW_CONTROL_ERROR'],
    ['SETTINGS_MAX_FRAME_SIZE 16383', settings(SETTINGS_MAX_FRAME_SIZE, 16383), 'PROTOCOL_ERROR'],
    ['SETTINGS_MAX_FRAME_SIZE 2^24', settings(SETTINGS_MAX_FRAME_SIZE, 2 ** 24), 'PROTOCOL_ERROR'],
    ['PING of 7 bytes', rawFrame(FRAME_PING, 0, 0, bytes(7, 1)), 'FRAME_SIZE_ERROR'],
    ['PING of 9 bytes', rawFrame(FRAME_PING, FLAG_ACK, 0, bytes(9, 1)), 'FRAME_SIZE_ERROR'],
    ['WINDOW_UPDATE of 3 bytes', rawFrame(FRAME_WINDOW_UPDATE, 0, 1, [0, 0, 1]), 'FRAME_SIZE_ERROR'],
    ['WINDOW_UPDATE of 5 bytes', rawFrame(FRAME_WINDOW_UPDATE, 0, 0, [...u32(1), 0]), 'FRAME_SIZE_ERROR'],
    ['RST_STREAM of 3 bytes', rawFrame(FRAME_RST_STREAM, 0, 1, [0, 0, 8]), 'FRAME_SIZE_ERROR'],
    ['RST_STREAM of 5 bytes', rawFrame(FRAME_RST_STREAM, 0, 1, [...u32(8), 0]), 'FRAME_SIZE_ERROR'],
    ['GOAWAY of 7 bytes', rawFrame(FRAME_GOAWAY, 0, 0, [...u32(0), 0, 0, 0]), 'FRAME_SIZE_ERROR'],
    ['WINDOW_UPDATE increment 0 on stream 0', rawFrame(FRAME_WINDOW_UPDATE, 0, 0, u32(0)), 'PROTOCOL_ERROR'],
    [
      'WINDOW_UPDATE increment 0 with only the reserved bit set, on stream 0',
      rawFrame(FRAME_WINDOW_UPDATE, 0, 0, u32(0x80000000)),
      'PROTOCOL_ERROR',
    ],
    [
      'PUSH_PROMISE on a stream',
      rawFrame(FRAME_PUSH_PROMISE, FLAG_END_HEADERS, 1, [...u32(2), 0x88]),
      'PROTOCOL_ERROR',
    ],
    [
      'CONTINUATION without a header block',
      rawFrame(FRAME_CONTINUATION, FLAG_END_HEADERS, 1, [0x88]),
      'PROTOCOL_ERROR',
    ],
    [
      'CONTINUATION after a complete header block',
      Buffer.concat([
        rawFrame(FRAME_HEADERS, FLAG_END_HEADERS, 1, [0x88]),
        rawFrame(FRAME_CONTINUATION, FLAG_END_HEADERS, 1, [0x88]),
      ]),
      'PROTOCOL_ERROR',
    ],
    [
      'a client preface that is not one',
      Buffer.from('GET / HTTP/1.1\r\n\r\n'),
      'PROTOCOL_ERROR',
      { preface: 'client' },
    ],
    [
      "a client's first frame that is not SETTINGS",
      Buffer.concat([CLIENT_PREFACE, PING]),
      'PROTOCOL_ERROR',
      { preface: 'client' },
    ],
    [
      "a server's first frame that is a SETTINGS ACK",
      rawFrame(FRAME_SETTINGS, FLAG_ACK, 0, []),
      'PROTOCOL_ERROR',
      { preface: 'server' },
    ],
  ];
  for (const [name, input, code, options] of cases) {
    test(`${name} is ${code}`, () => {
      expectConnectionError(input, code, options);
    });
  }

  const open = rawFrame(FRAME_HEADERS, FLAG_END_STREAM, 1, [0x82]);
  const interruptions: readonly (readonly [string, Buffer])[] = [
    ['DATA on the same stream', rawFrame(FRAME_DATA, 0, 1, [1])],
    ['HEADERS on another stream', rawFrame(FRAME_HEADERS, FLAG_END_HEADERS, 3, [0x82])],
    ['CONTINUATION of another stream', rawFrame(FRAME_CONTINUATION, FLAG_END_HEADERS, 3, [0x84])],
    ['PING', PING],
    ['a frame of an unknown type', rawFrame(0x42, 0, 0, [])],
  ];
  for (const [name, frame] of interruptions) {
    test(`${name} inside a header block is PROTOCOL_ERROR, the block unreported`, () => {
      const sink = expectConnectionError(Buffer.concat([open, frame]), 'PROTOCOL_ERROR');
      assert.deepEqual(sink.calls, []);
    });
  }

  test('stops at the first bad frame, after reporting the good ones before it', () => {
    const sink = expectConnectionError(
      Buffer.concat([PING, rawFrame(FRAME_PING, 0, 3, bytes(8, 1)), PING]),
      'PROTOCOL_ERROR',
    );
    assert.deepEqual(sink.calls, [PING_CALL]);
  });

  test('refuses further input once a sink call has thrown', () => {
    const sink = new FrameRecorder();
    const boom = new H2ConnectionError('FLOW_CONTROL_ERROR', 'window exceeded');
    sink.data = () => {
      throw boom;
    };
    const parser = new H2FrameParser(sink);
    assert.throws(
      () => parser.feed(rawFrame(FRAME_DATA, 0, 1, [1])),
      (err) => err === boom,
    );
    assert.throws(
      () => parser.feed(PING),
      (err) => err === boom,
    );
    assert.deepEqual(sink.calls, []);
  });

  test('refuses an oversized frame from its header, before its payload arrives', () => {
    const sink = new FrameRecorder();
    const parser = new H2FrameParser(sink);
    assert.throws(
      () => parser.feed(rawFrame(FRAME_DATA, 0, 1, Buffer.alloc(1 << 20)).subarray(0, 9)),
      (err) => err instanceof H2ConnectionError && err.h2Code === H2_ERROR.FRAME_SIZE_ERROR,
    );
  });
});

describe('H2FrameParser: CONTINUATION flood limits', () => {
  const headers = rawFrame(FRAME_HEADERS, 0, 1, bytes(10, 1));
  const continuations = (n: number, size: number): Buffer[] =>
    Array.from({ length: n }, () => rawFrame(FRAME_CONTINUATION, 0, 1, bytes(size, 2)));

  test('accepts the largest block and the most CONTINUATION frames allowed', () => {
    const options = { maxContinuationFrames: 3, maxHeaderBlockSize: 40, maxEmptyContinuationFrames: 1 };
    const input = Buffer.concat([
      headers,
      ...continuations(1, 0),
      ...continuations(1, 10),
      rawFrame(FRAME_CONTINUATION, FLAG_END_HEADERS, 1, bytes(20, 3)),
    ]);
    const block = Buffer.concat([bytes(10, 1), bytes(10, 2), bytes(20, 3)]).toString('hex');
    assert.deepEqual(parseWhole(input, options), [['headers', 1, block, false]]);
  });

  test('more CONTINUATION frames than allowed are ENHANCE_YOUR_CALM', () => {
    const input = Buffer.concat([headers, ...continuations(4, 1)]);
    expectConnectionError(input, 'ENHANCE_YOUR_CALM', { maxContinuationFrames: 3 });
    expectConnectionError(Buffer.concat([headers, ...continuations(65, 1)]), 'ENHANCE_YOUR_CALM');
  });

  test('more empty CONTINUATION frames than allowed are ENHANCE_YOUR_CALM', () => {
    expectConnectionError(Buffer.concat([headers, ...continuations(5, 0)]), 'ENHANCE_YOUR_CALM');
  });

  test('a header block larger than maxHeaderBlockSize is ENHANCE_YOUR_CALM', () => {
    const input = Buffer.concat([headers, ...continuations(3, 10)]);
    expectConnectionError(input, 'ENHANCE_YOUR_CALM', { maxHeaderBlockSize: 39 });
    const single = rawFrame(FRAME_HEADERS, FLAG_END_HEADERS, 1, bytes(100, 1));
    expectConnectionError(single, 'ENHANCE_YOUR_CALM', { maxHeaderBlockSize: 99 });
    const big = Buffer.concat([
      rawFrame(FRAME_HEADERS, 0, 1, bytes(16384, 1)),
      ...Array.from({ length: 5 }, () => rawFrame(FRAME_CONTINUATION, 0, 1, bytes(16384, 2))),
    ]);
    expectConnectionError(big, 'ENHANCE_YOUR_CALM');
  });
});

describe('H2FrameParser: stream errors and ignored frames', () => {
  const cases: readonly (readonly [string, Buffer, readonly FrameCall[]])[] = [
    [
      'WINDOW_UPDATE increment 0 on a stream is a stream PROTOCOL_ERROR',
      rawFrame(FRAME_WINDOW_UPDATE, 0, 5, u32(0)),
      [['streamError', 5, H2_ERROR.PROTOCOL_ERROR]],
    ],
    [
      'PRIORITY of 4 bytes is a stream FRAME_SIZE_ERROR',
      rawFrame(FRAME_PRIORITY, 0, 7, u32(1)),
      [['streamError', 7, H2_ERROR.FRAME_SIZE_ERROR]],
    ],
    [
      'PRIORITY on its own stream is a stream PROTOCOL_ERROR',
      rawFrame(FRAME_PRIORITY, 0, 9, [...u32(0x80000009), 16]),
      [['streamError', 9, H2_ERROR.PROTOCOL_ERROR]],
    ],
    [
      'HEADERS depending on its own stream gives its block, then a stream PROTOCOL_ERROR',
      rawFrame(FRAME_HEADERS, FLAG_PRIORITY | FLAG_END_HEADERS, 11, [...u32(11), 16, 0x82, 0x84]),
      [
        ['headers', 11, '8284', false],
        ['streamError', 11, H2_ERROR.PROTOCOL_ERROR],
      ],
    ],
    [
      'HEADERS + CONTINUATION depending on its own stream, likewise',
      Buffer.concat([
        rawFrame(FRAME_HEADERS, FLAG_PRIORITY | FLAG_END_STREAM, 13, [...u32(13), 16, 0x82]),
        rawFrame(FRAME_CONTINUATION, FLAG_END_HEADERS, 13, [0x84]),
      ]),
      [
        ['headers', 13, '8284', true],
        ['streamError', 13, H2_ERROR.PROTOCOL_ERROR],
      ],
    ],
    ['a valid PRIORITY is ignored', rawFrame(FRAME_PRIORITY, 0, 3, [...u32(1), 16]), []],
    ['a frame of an unknown type is ignored', rawFrame(0xfa, 0xff, 1, bytes(100, 1)), []],
    ['an empty frame of an unknown type on stream 0 is ignored', rawFrame(0x0a, 0, 0, []), []],
    [
      'the reserved bit of the stream id is ignored',
      rawFrame(FRAME_RST_STREAM, 0, 0x80000003, u32(0x12345678)),
      [['rstStream', 3, 0x12345678]],
    ],
    [
      'flags a frame type does not define are ignored',
      rawFrame(FRAME_DATA, 0xff & ~FLAG_PADDED, 1, [7]),
      [['data', 1, '07', true, 1]],
    ],
    [
      'padding may take all the DATA payload but its length byte',
      rawFrame(FRAME_DATA, FLAG_PADDED, 1, [2, 0, 0]),
      [['data', 1, '', false, 3]],
    ],
  ];
  for (const [name, input, calls] of cases) {
    test(`${name}, and the connection goes on`, () => {
      const want = [...calls, PING_CALL];
      assert.deepEqual(parseWhole(Buffer.concat([input, PING])), want);
      assert.deepEqual(feedPieces(Buffer.concat([input, PING]), ones()), want);
    });
  }
});

describe('H2FrameParser: options', () => {
  test('maxFrameSize takes a new value through its setter and refuses values outside the RFC range', () => {
    const sink = new FrameRecorder();
    const parser = new H2FrameParser(sink);
    assert.equal(parser.maxFrameSize, 16384);
    parser.maxFrameSize = 32768;
    parser.feed(rawFrame(FRAME_DATA, 0, 1, Buffer.alloc(32768)));
    assert.equal(sink.calls.length, 1);
    assert.throws(() => (parser.maxFrameSize = 16383), RangeError);
    assert.throws(() => (parser.maxFrameSize = 2 ** 24), RangeError);
    assert.throws(() => new H2FrameParser(sink, { maxFrameSize: 100 }), RangeError);
    assert.throws(() => new H2FrameParser(sink, { maxHeaderBlockSize: -1 }), RangeError);
  });
});
