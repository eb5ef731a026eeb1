import assert from 'node:assert/strict';
import { test } from 'node:test';
import { H2ConnectionError } from '../errors.ts';
import { CODE_TABLE, huffmanDecode, huffmanEncode, huffmanEncodedLength } from './huffman.ts';

function encode(s: string): Buffer {
  const out = Buffer.alloc(huffmanEncodedLength(s));
  assert.equal(huffmanEncode(s, out, 0), out.length);
  return out;
}

// Strings and their Huffman coding from RFC 7541 C.4 and C.6.
const RFC_STRINGS: readonly (readonly [string, string])[] = [
  ['www.example.com', 'f1e3c2e5f23a6ba0ab90f4ff'],
  ['no-cache', 'a8eb10649cbf'],
  ['custom-key', '25a849e95ba97d7f'],
  ['custom-value', '25a849e95bb8e8b4bf'],
  ['302', '6402'],
  ['private', 'aec3771a4b'],
  ['Mon, 21 Oct 2013 20:13:21 GMT', 'd07abe941054d444a8200595040b8166e082a62d1bff'],
  ['https://www.example.com', '9d29ad171863c78f0b97c8e9ae82ae43d3'],
  ['307', '640eff'],
  ['gzip', '9bd9ab'],
  [
    'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1',
    '94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007',
  ],
];

test('encodes and decodes the strings of RFC 7541 C.4 and C.6', () => {
  for (const [s, hex] of RFC_STRINGS) {
    assert.equal(encode(s).toString('hex'), hex, s);
    const bytes = Buffer.from(hex, 'hex');
    assert.equal(huffmanDecode(bytes, 0, bytes.length, 0), s);
  }
});

test('round-trips every octet, alone and in a run of all 256', () => {
  let all = '';
  for (let c = 0; c < 256; c++) {
    const s = String.fromCharCode(c);
    all += s;
    const bytes = encode(s);
    assert.equal(huffmanDecode(bytes, 0, bytes.length, 0), s, `octet ${c}`);
  }
  const bytes = encode(all);
  assert.equal(huffmanDecode(bytes, 0, bytes.length, 0), all);
});

test('decodes a slice of a larger buffer and writes at an offset', () => {
  const out = Buffer.alloc(20, 0xaa);
  const end = huffmanEncode('no-cache', out, 3);
  assert.equal(end, 9);
  assert.equal(out[2], 0xaa);
  assert.equal(out[9], 0xaa);
  assert.equal(huffmanDecode(out, 3, end, 3), 'no-cache');
});

test('decodes the empty string and a longer text than the initial scratch space', () => {
  assert.equal(huffmanDecode(Buffer.alloc(0), 0, 0, 0), '');
  const long = 'abcdefghij'.repeat(2000);
  const bytes = encode(long);
  assert.equal(huffmanDecode(bytes, 0, bytes.length, 0), long);
});

test('rejects EOS, padding longer than 7 bits and padding that is not all ones', () => {
  const cases: readonly (readonly [string, RegExp])[] = [
    ['fffffffc', /contains the EOS symbol/], // EOS (30 ones) then 00
    ['1fffffffff', /contains the EOS symbol/], // 'a', then 35 ones
    ['ff', /8 bits of padding/], // only padding, a whole octet
    ['1fff', /11 bits of padding/], // 'a' then 11 ones
    ['18', /not all ones/], // 'a' then 000
    ['fe', /not all ones/], // 7 ones then a zero: the code is incomplete
  ];
  for (const [hex, message] of cases) {
    const bytes = Buffer.from(hex, 'hex');
    assert.throws(
      () => huffmanDecode(bytes, 0, bytes.length, 5),
      (err: unknown) => err instanceof H2ConnectionError && err.h2Code === 0x9 && message.test(err.message),
      hex,
    );
  }
});

test('computes the encoded length, rounding the bits up to octets', () => {
  assert.equal(huffmanEncodedLength(''), 0);
  assert.equal(huffmanEncodedLength('a'), 1); // 5 bits
  assert.equal(huffmanEncodedLength('aa'), 2); // 10 bits
  assert.equal(huffmanEncodedLength('www.example.com'), 12);
});

test('the transcribed code is the canonical, complete prefix code its lengths define', () => {
  // RFC 7541's code is canonical: sorted by (length, symbol), each code is the previous one plus
  // one, shifted left by the growth in length. So a mistyped code or length shows up here.
  assert.equal(CODE_TABLE.length, 2 * 257);
  const symbols = Array.from({ length: 257 }, (_, sym) => ({
    sym,
    code: CODE_TABLE[2 * sym]!,
    len: CODE_TABLE[2 * sym + 1]!,
  }));
  let kraft = 0;
  for (const s of symbols) kraft += 2 ** -s.len;
  assert.equal(kraft, 1, 'complete');
  symbols.sort((a, b) => a.len - b.len || a.sym - b.sym);
  let expected = 0;
  for (const [i, s] of symbols.entries()) {
    if (i > 0) expected = (expected + 1) * 2 ** (s.len - symbols[i - 1]!.len);
    assert.equal(s.code, expected, `symbol ${s.sym}`);
  }
  assert.deepEqual([CODE_TABLE[2 * 256], CODE_TABLE[2 * 256 + 1]], [0x3fffffff, 30], 'EOS');
});
