import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DerError,
  TAG,
  childrenOf,
  encodeOid,
  encodeSequence,
  encodeTime,
  encodeUnsignedInteger,
  encodeTlv,
  readIntegerHex,
  readOid,
  readTime,
  readTlv,
  readWhole,
} from './der.ts';

describe('DER codec', () => {
  const oids = ['1.2.840.10045.4.3.2', '2.5.29.17', '1.3.6.1.5.5.7.3.1', '2.999.1', '0.9.2342.19200300.100.1.25'];
  for (const oid of oids) {
    test(`round-trips the object identifier ${oid}`, () => {
      const der = encodeOid(oid);
      assert.equal(readOid(der, readWhole(der, TAG.OID, 'oid')), oid);
    });
  }

  const integers: [string, number | Uint8Array, string][] = [
    ['encodes zero', 0, '020100'],
    ['encodes 127 in one octet', 127, '02017f'],
    ['adds a zero octet before a high bit', 128, '02020080'],
    ['strips leading zero octets of a magnitude', Uint8Array.of(0, 0, 1, 2), '02020102'],
    [
      'keeps a 16-octet serial with top bits 01 at 16 octets',
      Buffer.from('40'.padEnd(32, 'f'), 'hex'),
      `0210${'40'.padEnd(32, 'f')}`,
    ],
  ];
  for (const [name, value, hex] of integers) {
    test(name, () => {
      const der = encodeUnsignedInteger(value);
      assert.equal(der.toString('hex'), hex);
      assert.equal(readIntegerHex(der, readWhole(der, TAG.INTEGER, 'n'), 'n'), hex.slice(4));
    });
  }

  const times: [string, string, string][] = [
    ['uses UTCTime before 2050', '2049-12-31T23:59:59Z', '170d3439313233313233353935395a'],
    ['uses GeneralizedTime from 2050', '2050-01-01T00:00:00Z', '180f32303530303130313030303030305a'],
    ['uses UTCTime from 1950', '1950-06-01T12:00:00Z', '170d3530303630313132303030305a'],
  ];
  for (const [name, iso, hex] of times) {
    test(name, () => {
      const der = encodeTime(new Date(iso));
      assert.equal(der.toString('hex'), hex);
      assert.equal(readTime(der, readTlv(der, 0), 't').toISOString(), new Date(iso).toISOString());
    });
  }

  test('drops milliseconds when encoding a time', () => {
    const der = encodeTime(new Date('2030-01-01T00:00:00.999Z'));
    assert.equal(readTime(der, readTlv(der, 0), 't').toISOString(), '2030-01-01T00:00:00.000Z');
  });

  test('encodes long lengths in the minimal number of octets', () => {
    const big = encodeTlv(TAG.OCTET_STRING, new Uint8Array(300));
    assert.equal(big.subarray(0, 4).toString('hex'), '0482012c');
    assert.equal(readTlv(big, 0).end, big.length);
  });

  const malformed: [string, Buffer, RegExp][] = [
    ['refuses an indefinite length', Buffer.from('3080', 'hex'), /indefinite length/],
    ['refuses a non-minimal long length', Buffer.from('30810100', 'hex'), /non-minimal length/],
    ['refuses a length with a leading zero octet', Buffer.from('3082000100', 'hex'), /non-minimal length/],
    ['refuses an element that runs past its container', Buffer.from('300500', 'hex'), /runs past/],
    ['refuses a high tag number', Buffer.from('1f0100', 'hex'), /high tag/],
    ['refuses a truncated element', Buffer.from('30', 'hex'), /truncated/],
    ['refuses trailing bytes', Buffer.from('300000', 'hex'), /trailing bytes/],
  ];
  for (const [name, bytes, message] of malformed) {
    test(name, () =>
      assert.throws(
        () => readWhole(bytes, TAG.SEQUENCE, 'x'),
        (err: unknown) => err instanceof DerError && message.test(err.message),
      ),
    );
  }

  test('refuses non-minimal integers, bad times and bad object identifiers', () => {
    const int = Buffer.from('02020001', 'hex');
    assert.throws(() => readIntegerHex(int, readTlv(int, 0), 'n'), /not minimally encoded/);
    const time = encodeTlv(TAG.UTC_TIME, Buffer.from('301301000000Z'));
    assert.throws(() => readTime(time, readTlv(time, 0), 't'), /not a real date/);
    const local = encodeTlv(TAG.UTC_TIME, Buffer.from('3001010000+0100'));
    assert.throws(() => readTime(local, readTlv(local, 0), 't'), /YYMMDDHHMMSSZ/);
    const oid = Buffer.from('0603808001', 'hex');
    assert.throws(() => readOid(oid, readTlv(oid, 0)), /non-minimal object identifier/);
  });

  test('lists the children of a sequence', () => {
    const der = encodeSequence(encodeUnsignedInteger(1), encodeOid('1.2.3'));
    assert.deepEqual(
      childrenOf(der, readTlv(der, 0)).map((c) => c.tag),
      [TAG.INTEGER, TAG.OID],
    );
  });
});
