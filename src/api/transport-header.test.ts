// Tests for transport-header.ts: the transport.l5d.io/v1 frame, whole and in pieces, and every refusal.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ProtobufDecodeError, TransportHeaderError } from '../errors/index.ts';
import { Header } from './gen/transport/l5d/io/header.ts';
import {
  DEFAULT_MAX_TRANSPORT_HEADER_BYTES,
  TRANSPORT_HEADER_PREFACE,
  TransportHeaderDecoder,
  decodeTransportHeader,
  encodeTransportHeader,
  type DecodedTransportHeader,
  type TransportHeader,
  type TransportHeaderDecodeResult,
  type TransportHeaderDecoderOptions,
} from './transport-header.ts';

const PREFACE = Buffer.from(TRANSPORT_HEADER_PREFACE, 'latin1');

/** A frame around arbitrary message bytes, built by hand (not by the encoder under test). */
function frame(message: readonly number[] | Uint8Array, length = message.length): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(length);
  return Buffer.concat([PREFACE, prefix, Buffer.from(message)]);
}

function decoded(result: TransportHeaderDecodeResult): Extract<TransportHeaderDecodeResult, { kind: 'decoded' }> {
  assert.equal(result.kind, 'decoded');
  return result;
}

const headers: [string, TransportHeader, DecodedTransportHeader][] = [
  ['an opaque header', { port: 5432 }, { port: 5432, name: undefined, sessionProtocol: undefined }],
  ['an HTTP/1 header', { port: 80, sessionProtocol: 'http1' }, { port: 80, name: undefined, sessionProtocol: 'http1' }],
  [
    'a gateway header with a name and HTTP/2',
    { port: 8080, name: 'web.shop.svc.cluster.local', sessionProtocol: 'http2' },
    { port: 8080, name: 'web.shop.svc.cluster.local', sessionProtocol: 'http2' },
  ],
  ['the highest port', { port: 65535 }, { port: 65535, name: undefined, sessionProtocol: undefined }],
  ['the lowest port', { port: 1 }, { port: 1, name: undefined, sessionProtocol: undefined }],
];

describe('encodeTransportHeader', () => {
  test('writes the preface, a big-endian length and the Header message', () => {
    const bytes = encodeTransportHeader({ port: 8080, sessionProtocol: 'http2' });
    assert.equal(PREFACE.length, 23);
    assert.deepStrictEqual(
      bytes,
      Buffer.concat([
        Buffer.from('transport.l5d.io/v1\r\n\r\n', 'latin1'),
        Buffer.from([0x00, 0x00, 0x00, 0x07]), // length 7, big-endian
        Buffer.from([0x08, 0x90, 0x3f]), // port: (1<<3)|0, varint 8080
        Buffer.from([0x1a, 0x02, 0x12, 0x00]), // session_protocol: (3<<3)|2 { http2: (2<<3)|2, empty }
      ]),
    );
  });

  for (const port of [0, -1, 65536, 1.5]) {
    test(`refuses to write port ${port}`, () => {
      assert.throws(() => encodeTransportHeader({ port }), TransportHeaderError);
    });
  }
});

describe('decodeTransportHeader', () => {
  for (const [what, header, expected] of headers) {
    test(`reads back ${what} sent whole`, () => {
      const bytes = encodeTransportHeader(header);
      const result = decoded(decodeTransportHeader(bytes));
      assert.deepStrictEqual(result.header, expected);
      assert.equal(result.frameLength, bytes.length);
      assert.equal(result.rest.length, 0);
    });
  }

  test('hands back the application bytes that follow the header', () => {
    const app = Buffer.from('GET / HTTP/1.1\r\nHost: web\r\n\r\n');
    const result = decoded(decodeTransportHeader(Buffer.concat([encodeTransportHeader({ port: 80 }), app])));
    assert.deepStrictEqual(result.rest, app);
  });

  test('treats a session protocol message with no kind as opaque', () => {
    const result = decoded(decodeTransportHeader(frame([0x08, 0x50, 0x1a, 0x00]))); // port 80, session_protocol {}
    assert.deepStrictEqual(result.header, { port: 80, name: undefined, sessionProtocol: undefined });
  });

  test('accepts fields it does not know, as protobuf requires', () => {
    const result = decoded(decodeTransportHeader(frame([0x78, 0x01, 0x08, 0x50]))); // field 15 varint, then port 80
    assert.equal(result.header.port, 80);
  });

  test('reports how many bytes are still needed', () => {
    const bytes = encodeTransportHeader({ port: 80 });
    assert.deepStrictEqual(decodeTransportHeader(bytes.subarray(0, 10)), { kind: 'need-more', atLeast: 17 });
    assert.deepStrictEqual(decodeTransportHeader(bytes.subarray(0, 27)), {
      kind: 'need-more',
      atLeast: bytes.length - 27,
    });
    assert.deepStrictEqual(decodeTransportHeader(new Uint8Array(0)), { kind: 'need-more', atLeast: 27 });
  });
});

describe('TransportHeaderDecoder', () => {
  const header = { port: 8080, name: 'web.shop.svc.cluster.local', sessionProtocol: 'http2' } as const;
  const app = Buffer.from('hello, app');
  const stream = Buffer.concat([encodeTransportHeader(header), app]);
  const frameLength = stream.length - app.length;

  test('decodes a stream split in two at every byte boundary', () => {
    for (let split = 0; split <= stream.length; split++) {
      const decoder = new TransportHeaderDecoder();
      const first = decoder.push(stream.subarray(0, split));
      if (split < frameLength) {
        assert.equal(first.kind, 'need-more', `split at ${split}`);
        const second = decoded(decoder.push(stream.subarray(split)));
        assert.deepStrictEqual(second.header, header);
        assert.deepStrictEqual(second.rest, app, `split at ${split}`);
      } else {
        const result = decoded(first);
        assert.deepStrictEqual(result.header, header);
        assert.deepStrictEqual(result.rest, app.subarray(0, split - frameLength), `split at ${split}`);
      }
    }
  });

  test('decodes a stream fed one byte at a time', () => {
    const decoder = new TransportHeaderDecoder();
    let result: TransportHeaderDecodeResult = { kind: 'need-more', atLeast: 1 };
    let fed = 0;
    while (result.kind === 'need-more') {
      assert.ok(result.atLeast >= 1 && fed + result.atLeast <= frameLength, `atLeast ${result.atLeast} after ${fed}`);
      result = decoder.push(stream.subarray(fed, fed + 1));
      fed++;
    }
    assert.equal(fed, frameLength);
    assert.deepStrictEqual(decoded(result).header, header);
  });

  test('decodes a stream cut in three uneven pieces with app bytes in the last', () => {
    const decoder = new TransportHeaderDecoder();
    assert.equal(decoder.push(stream.subarray(0, 13)).kind, 'need-more');
    assert.equal(decoder.push(stream.subarray(13, 30)).kind, 'need-more');
    const result = decoded(decoder.push(stream.subarray(30)));
    assert.deepStrictEqual(result.rest, app);
    assert.equal(result.frameLength, frameLength);
  });

  test('refuses further chunks once the header is decoded', () => {
    const decoder = new TransportHeaderDecoder();
    decoded(decoder.push(stream));
    assert.throws(() => decoder.push(app), /after it decoded/);
    assert.doesNotThrow(() => decoder.end());
  });

  test('refuses a stream that ends before the header is complete', () => {
    const decoder = new TransportHeaderDecoder();
    decoder.push(stream.subarray(0, 30));
    assert.throws(
      () => decoder.end(),
      (err: unknown) => err instanceof TransportHeaderError && /after 30 bytes/.test(err.message),
    );
  });

  test('refuses a stream that ends before any byte arrived', () => {
    assert.throws(() => new TransportHeaderDecoder().end(), TransportHeaderError);
  });

  test('stays failed after a refusal', () => {
    const decoder = new TransportHeaderDecoder();
    assert.throws(() => decoder.push(Buffer.from('GET / HTTP/1.1\r\n')), TransportHeaderError);
    assert.throws(() => decoder.push(stream), /after it failed/);
  });

  test('refuses a limit that is not a positive 32-bit length', () => {
    for (const maxHeaderBytes of [0, -1, 1.5, 2 ** 32]) {
      assert.throws(() => new TransportHeaderDecoder({ maxHeaderBytes }), /maxHeaderBytes/);
    }
  });
});

describe('refusals', () => {
  const refusals: [string, Buffer, RegExp, TransportHeaderDecoderOptions?][] = [
    ['plain HTTP instead of a preface', Buffer.from('GET / HTTP/1.1\r\nHost: web\r\n\r\n'), /preface/],
    ['a TLS ClientHello instead of a preface', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]), /preface/],
    ['a preface for another version', Buffer.from('transport.l5d.io/v2\r\n\r\n\x00\x00\x00\x00'), /preface/],
    ['a preface with a bare newline', Buffer.from('transport.l5d.io/v1\n\r\n'), /preface/],
    ['a length above the default limit', frame([], DEFAULT_MAX_TRANSPORT_HEADER_BYTES + 1), /above the limit/],
    ['the largest possible length', frame([], 0xffff_ffff), /above the limit/],
    [
      'a length above a configured limit',
      frame([0x08, 0x50, 0x12, 0x03, 0x61, 0x62, 0x63]),
      /above the limit of 4/,
      { maxHeaderBytes: 4 },
    ],
    ['a message cut short inside a string', frame([0x12, 0x05, 0x61]), /does not decode/],
    ['a message with a truncated varint', frame([0x08, 0x90]), /does not decode/],
    ['a message with an invalid wire type', frame([0x0f, 0x00]), /does not decode/],
    ['a message ended early by a zero tag', frame([0x08, 0x50, 0x00, 0x08, 0x51]), /does not decode/],
    ['an empty message (port 0)', frame([]), /port 0 is outside/],
    ['port 0 written explicitly', frame([0x08, 0x00]), /port 0 is outside/],
    ['port 65536', frame([0x08, 0x80, 0x80, 0x04]), /port 65536 is outside/],
    ['a negative port', frame([...Header.encode({ port: -80, name: '' }).finish()]), /port -80 is outside/],
  ];

  for (const [what, bytes, message, options] of refusals) {
    test(`refuses ${what} with TransportHeaderError`, () => {
      assert.throws(
        () => decodeTransportHeader(bytes, options),
        (err: unknown) => err instanceof TransportHeaderError && message.test(err.message),
      );
    });
  }

  test('refuses a wrong preface at its first wrong byte, without waiting for more', () => {
    const decoder = new TransportHeaderDecoder();
    assert.equal(decoder.push(Buffer.from('transport.')).kind, 'need-more');
    assert.throws(
      () => decoder.push(Buffer.from('x')),
      (err: unknown) => err instanceof TransportHeaderError && err.fields['offset'] === 10,
    );
  });

  test('refuses an oversized length before the message arrives', () => {
    const decoder = new TransportHeaderDecoder({ maxHeaderBytes: 16 });
    assert.throws(() => decoder.push(frame([], 17)), TransportHeaderError);
  });

  test('accepts a length exactly at the limit', () => {
    const message = [...Header.encode({ port: 80, name: 'a'.repeat(10) }).finish()];
    const result = decodeTransportHeader(frame(message), { maxHeaderBytes: message.length });
    assert.equal(decoded(result).header.name, 'a'.repeat(10));
  });

  test('keeps the protobuf failure as the cause of an undecodable message', () => {
    assert.throws(
      () => decodeTransportHeader(frame([0x12, 0x05, 0x61])),
      (err: unknown) => err instanceof TransportHeaderError && err.cause instanceof ProtobufDecodeError,
    );
  });
});
