import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { H2_ERROR } from './errors.ts';
import { H2FrameParser } from './frame-parser.ts';
import { FrameRecorder, type FrameCall } from './test-fixtures.ts';
import {
  FLAG_END_HEADERS,
  FLAG_END_STREAM,
  FRAME_CONTINUATION,
  FRAME_DATA,
  FRAME_HEADERS,
  MAX_WINDOW_SIZE,
  SETTINGS_ENABLE_PUSH,
  SETTINGS_HEADER_TABLE_SIZE,
  SETTINGS_INITIAL_WINDOW_SIZE,
  SETTINGS_MAX_CONCURRENT_STREAMS,
  SETTINGS_MAX_FRAME_SIZE,
  SETTINGS_MAX_HEADER_LIST_SIZE,
} from './frame-types.ts';
import {
  SETTINGS_ACK,
  dataFrames,
  frameHeader,
  goawayFrame,
  headersFrames,
  pingFrame,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
  writeFrameHeader,
} from './frame-writer.ts';

function bytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (i * 13 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

function parse(input: Buffer | readonly Buffer[], maxFrameSize = 16384): FrameCall[] {
  const sink = new FrameRecorder();
  const parser = new H2FrameParser(sink, { maxFrameSize });
  parser.feed(Buffer.isBuffer(input) ? input : Buffer.concat(input));
  return sink.calls;
}

/** The frame headers in a byte stream, as [length, type, flags, streamId]. */
function headersOf(input: Buffer): number[][] {
  const out: number[][] = [];
  for (let at = 0; at < input.length;) {
    const length = input.readUIntBE(at, 3);
    out.push([length, input[at + 3]!, input[at + 4]!, input.readUInt32BE(at + 5)]);
    at += 9 + length;
  }
  return out;
}

describe('frame writer: exact bytes', () => {
  test('writes a frame header: 24-bit length, type, flags, 31-bit stream id', () => {
    assert.equal(frameHeader(0x123456, 0x9, 0x4, 0x7fffffff).toString('hex'), '12345609047fffffff');
    const target = Buffer.alloc(12, 0xaa);
    assert.equal(writeFrameHeader(target, 2, 5, 0x0, 0x1, 3), 11);
    assert.equal(target.toString('hex'), 'aaaa00000500010000000' + '3aa');
  });

  test('writes SETTINGS, SETTINGS ACK, PING, RST_STREAM, WINDOW_UPDATE and GOAWAY as RFC 9113 lays them out', () => {
    assert.equal(
      settingsFrame([SETTINGS_ENABLE_PUSH, 0, SETTINGS_INITIAL_WINDOW_SIZE, 0x7fffffff]).toString('hex'),
      '00000c040000000000' + '000200000000' + '00047fffffff',
    );
    assert.equal(settingsFrame([]).toString('hex'), '000000040000000000');
    assert.equal(SETTINGS_ACK.toString('hex'), '000000040100000000');
    assert.equal(
      pingFrame(Buffer.from('0102030405060708', 'hex'), true).toString('hex'),
      '000008060100000000' + '0102030405060708',
    );
    assert.equal(rstStreamFrame(5, H2_ERROR.CANCEL).toString('hex'), '000004030000000005' + '00000008');
    assert.equal(windowUpdateFrame(0, 65536).toString('hex'), '000004080000000000' + '00010000');
    assert.equal(
      goawayFrame(7, H2_ERROR.ENHANCE_YOUR_CALM).toString('hex'),
      '000008070000000000' + '00000007' + '0000000b',
    );
    assert.equal(
      goawayFrame(0, 0, Buffer.from('bye')).toString('hex'),
      '00000b070000000000' + '00000000' + '00000000' + Buffer.from('bye').toString('hex'),
    );
  });

  test('splits a header block into HEADERS and CONTINUATION frames at maxFrameSize, in one buffer', () => {
    const block = bytes(16384 * 2 + 10, 1);
    const out = headersFrames(3, block, true, 16384);
    assert.deepEqual(headersOf(out), [
      [16384, FRAME_HEADERS, FLAG_END_STREAM, 3],
      [16384, FRAME_CONTINUATION, 0, 3],
      [10, FRAME_CONTINUATION, FLAG_END_HEADERS, 3],
    ]);
    assert.deepEqual(headersOf(headersFrames(1, block.subarray(0, 16384), false, 16384)), [
      [16384, FRAME_HEADERS, FLAG_END_HEADERS, 1],
    ]);
    assert.deepEqual(headersOf(headersFrames(1, Buffer.alloc(0), true, 16384)), [
      [0, FRAME_HEADERS, FLAG_END_HEADERS | FLAG_END_STREAM, 1],
    ]);
  });

  test('frames only the first `size` octets of a larger buffer, copied whole (small and large)', () => {
    const scratch = bytes(40000, 3);
    for (const size of [0, 17, 256, 257, 16384 + 5]) {
      const out = headersFrames(7, scratch, false, 16384, size);
      const frames = headersOf(out);
      assert.equal(
        frames.reduce((n, [length]) => n + length!, 0),
        size,
      );
      assert.equal(out.length, size + frames.length * 9);
      const payload = Buffer.concat(
        frames.map((_, i) => out.subarray(i * 16393 + 9, Math.min(out.length, (i + 1) * 16393))),
      );
      assert.ok(payload.equals(scratch.subarray(0, size)), `size ${size}`);
    }
  });

  test('splits DATA at maxFrameSize into header and payload pieces that slice the payload', () => {
    const payload = bytes(40000, 2);
    const pieces = dataFrames(5, payload, true, 16384);
    assert.equal(pieces.length, 6);
    assert.deepEqual(headersOf(Buffer.concat(pieces)), [
      [16384, FRAME_DATA, 0, 5],
      [16384, FRAME_DATA, 0, 5],
      [7232, FRAME_DATA, FLAG_END_STREAM, 5],
    ]);
    for (const i of [1, 3, 5]) assert.equal(pieces[i]!.buffer, payload.buffer, 'the payload is not copied');
    const small = dataFrames(5, payload.subarray(0, 3), false, 16384);
    assert.equal(small.length, 2);
    assert.equal(small[1]!.buffer, payload.buffer);
    assert.deepEqual(
      dataFrames(5, Buffer.alloc(0), true, 16384).map((b) => b.toString('hex')),
      ['000000000100000005'],
    );
  });

  test('refuses arguments the wire cannot carry', () => {
    assert.throws(() => frameHeader(2 ** 24, FRAME_DATA, 0, 1), RangeError);
    assert.throws(() => frameHeader(1, FRAME_DATA, 0, 2 ** 31), RangeError);
    assert.throws(() => frameHeader(1, FRAME_DATA, 0, -1), RangeError);
    assert.throws(() => windowUpdateFrame(1, 0), RangeError);
    assert.throws(() => windowUpdateFrame(1, 2 ** 31), RangeError);
    assert.throws(() => pingFrame(Buffer.alloc(7), false), RangeError);
    assert.throws(() => settingsFrame([1]), RangeError);
    assert.throws(() => headersFrames(1, Buffer.alloc(1), false, 100), RangeError);
    assert.throws(() => dataFrames(1, Buffer.alloc(1), false, 2 ** 24), RangeError);
    assert.throws(() => goawayFrame(2 ** 31, 0), RangeError);
  });
});

describe('frame writer → parser round trip', () => {
  const block = bytes(40000, 3);
  const payload = bytes(50000, 4);
  const cases: readonly (readonly [string, Buffer | readonly Buffer[], readonly FrameCall[], number?])[] = [
    [
      'DATA',
      dataFrames(1, payload.subarray(0, 100), false, 16384),
      [['data', 1, payload.subarray(0, 100).toString('hex'), false, 100]],
    ],
    [
      'DATA with END_STREAM',
      dataFrames(3, payload.subarray(0, 5), true, 16384),
      [['data', 3, payload.subarray(0, 5).toString('hex'), true, 5]],
    ],
    ['empty DATA with END_STREAM', dataFrames(3, Buffer.alloc(0), true, 16384), [['data', 3, '', true, 0]]],
    [
      'DATA split at the peer maxFrameSize',
      dataFrames(7, payload, true, 20000),
      [
        ['data', 7, payload.subarray(0, 20000).toString('hex'), false, 20000],
        ['data', 7, payload.subarray(20000, 40000).toString('hex'), false, 20000],
        ['data', 7, payload.subarray(40000).toString('hex'), true, 10000],
      ],
      20000,
    ],
    [
      'HEADERS',
      headersFrames(1, block.subarray(0, 50), false, 16384),
      [['headers', 1, block.subarray(0, 50).toString('hex'), false]],
    ],
    [
      'HEADERS with END_STREAM',
      headersFrames(9, block.subarray(0, 50), true, 16384),
      [['headers', 9, block.subarray(0, 50).toString('hex'), true]],
    ],
    ['HEADERS + CONTINUATION', headersFrames(11, block, false, 16384), [['headers', 11, block.toString('hex'), false]]],
    [
      'HEADERS + CONTINUATION with END_STREAM',
      headersFrames(13, block, true, 16384),
      [['headers', 13, block.toString('hex'), true]],
    ],
    [
      'SETTINGS',
      settingsFrame([
        SETTINGS_HEADER_TABLE_SIZE, 0,
        SETTINGS_ENABLE_PUSH, 0,
        SETTINGS_MAX_CONCURRENT_STREAMS, 0xffffffff,
        SETTINGS_INITIAL_WINDOW_SIZE, MAX_WINDOW_SIZE,
        SETTINGS_MAX_FRAME_SIZE, 16777215,
        SETTINGS_MAX_HEADER_LIST_SIZE, 65536,
        0x4242, 9,
      ]), // prettier-ignore
      [['settings', false, [1, 0, 2, 0, 3, 0xffffffff, 4, MAX_WINDOW_SIZE, 5, 16777215, 6, 65536, 0x4242, 9]]],
    ],
    ['empty SETTINGS', settingsFrame([]), [['settings', false, []]]],
    ['SETTINGS ACK', SETTINGS_ACK, [['settings', true, []]]],
    ['PING', pingFrame(bytes(8, 5), false), [['ping', false, bytes(8, 5).toString('hex')]]],
    ['PING ACK', pingFrame(bytes(8, 6), true), [['ping', true, bytes(8, 6).toString('hex')]]],
    ['RST_STREAM', rstStreamFrame(0x7fffffff, 0xffffffff), [['rstStream', 0x7fffffff, 0xffffffff]]],
    ['WINDOW_UPDATE on the connection', windowUpdateFrame(0, MAX_WINDOW_SIZE), [['windowUpdate', 0, MAX_WINDOW_SIZE]]],
    ['WINDOW_UPDATE on a stream', windowUpdateFrame(15, 1), [['windowUpdate', 15, 1]]],
    ['GOAWAY', goawayFrame(21, H2_ERROR.NO_ERROR), [['goaway', 21, 0, '']]],
    [
      'GOAWAY with debug data',
      goawayFrame(0, 0xabcdef01, Buffer.from('why')),
      [['goaway', 0, 0xabcdef01, Buffer.from('why').toString('hex')]],
    ],
  ];
  for (const [name, input, calls, maxFrameSize] of cases) {
    test(`${name} comes back as it was written`, () => {
      assert.deepEqual(parse(input, maxFrameSize), calls);
    });
  }

  test('all of them back to back, in order', () => {
    assert.deepEqual(
      parse(
        cases.flatMap(([, input]) => (Buffer.isBuffer(input) ? [input] : input)),
        20000,
      ),
      cases.flatMap(([, , calls]) => calls),
    );
  });
});
