import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { H2ConnectionError, H2HeaderListTooLarge } from '../errors.ts';
import { HpackDecoder } from './decoder.ts';
import { STATIC_NAMES, STATIC_VALUES } from './static-table.ts';
import { RFC7541_EXAMPLES, exampleBytes } from './test-fixtures.ts';

const hex = (s: string): Buffer => Buffer.from(s.replaceAll(' ', ''), 'hex');

function assertCompressionError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof H2ConnectionError, `expected H2ConnectionError, got ${String(err)}`);
    assert.equal(err.code, 'MESH_ERR_H2_PROTOCOL');
    assert.equal(err.h2Code, 0x9);
    assert.match(err.message, message);
    return true;
  });
}

describe('HpackDecoder on the RFC 7541 Appendix C examples', () => {
  for (const seq of RFC7541_EXAMPLES) {
    test(`decodes ${seq.section} with the listed fields and dynamic table after each block`, () => {
      const decoder = new HpackDecoder({ maxTableSize: seq.maxTableSize });
      for (const [i, block] of seq.blocks.entries()) {
        assert.deepEqual(decoder.decode(exampleBytes(block.hex)), block.fields, `block ${i + 1}`);
        assert.deepEqual(decoder.tableEntries(), block.table, `table after block ${i + 1}`);
        assert.equal(decoder.tableSize, block.tableSize, `table size after block ${i + 1}`);
      }
    });
  }

  test('reports the never-indexed field of C.2.3 and a shared empty array otherwise', () => {
    const decoder = new HpackDecoder();
    decoder.decode(hex('82 1008 7061 7373 776f 7264 0673 6563 7265 74 84'));
    assert.deepEqual(decoder.lastNeverIndexed, [1]);
    decoder.decode(hex('82'));
    const empty = decoder.lastNeverIndexed;
    assert.deepEqual(empty, []);
    decoder.decode(hex('84'));
    assert.equal(decoder.lastNeverIndexed, empty);
  });

  test('returns the static table string constants for indexed static fields', () => {
    const decoder = new HpackDecoder();
    const [name, value] = decoder.decode(hex('82'));
    assert.equal(name, STATIC_NAMES[2]);
    assert.equal(value, STATIC_VALUES[2]);
  });

  test('decodes values as latin1 octets, not UTF-8', () => {
    const decoder = new HpackDecoder();
    // without indexing, literal name "x", value 0xe9 0xff
    assert.deepEqual(decoder.decode(hex('00 01 78 02 e9ff')), ['x', '\u00e9\u00ff']);
  });
});

describe('HpackDecoder dynamic table size updates', () => {
  test('applies a size update at the start of a block, evicting entries that no longer fit', () => {
    const decoder = new HpackDecoder();
    decoder.decode(exampleBytes(RFC7541_EXAMPLES.find((s) => s.section.startsWith('C.3'))!.blocks[0]!.hex));
    assert.equal(decoder.tableSize, 57);
    // Two updates (0 then 4096) then an indexed field.
    assert.deepEqual(decoder.decode(hex('20 3fe11f 82')), [':method', 'GET']);
    assert.equal(decoder.tableSize, 0);
    assert.equal(decoder.tableCapacity, 4096);
  });

  test('rejects a size update after the first field', () => {
    assertCompressionError(
      () => new HpackDecoder().decode(hex('82 20')),
      /size update after the first field.*offset 1/,
    );
  });

  test('rejects a size update over the maximum', () => {
    // 0x3f e1 1f = 31 + 0x61 + (0x1f << 7) = 4096; 0x3f e2 1f = 4097.
    assertCompressionError(() => new HpackDecoder().decode(hex('3fe21f')), /4097 is over the maximum 4096/);
    assertCompressionError(
      () => new HpackDecoder({ maxTableSize: 100 }).decode(hex('3f46')),
      /101 is over the maximum 100/,
    );
  });

  test('after setMaxTableSize lowers the maximum, requires the next block to start with an update to at most it', () => {
    const decoder = new HpackDecoder();
    decoder.setMaxTableSize(100);
    assertCompressionError(() => decoder.decode(hex('82')), /does not start with the dynamic table size update/);

    const ok = new HpackDecoder();
    ok.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572'));
    ok.setMaxTableSize(100);
    assertCompressionError(() => ok.decode(hex('3f46 82')), /101 is over the maximum 100/);
    const again = new HpackDecoder();
    again.setMaxTableSize(40);
    assert.deepEqual(again.decode(hex('3f09 82')), [':method', 'GET']); // update to 40
    assert.equal(again.tableCapacity, 40);
    assert.deepEqual(again.decode(hex('82')), [':method', 'GET'], 'no update needed after that');
  });

  test('does not require an update when the maximum is raised', () => {
    const decoder = new HpackDecoder();
    decoder.setMaxTableSize(8192);
    assert.deepEqual(decoder.decode(hex('82')), [':method', 'GET']);
    assert.deepEqual(decoder.decode(hex('3fe13f 82')), [':method', 'GET']); // update to 8192
    assert.equal(decoder.tableCapacity, 8192);
  });
});

describe('HpackDecoder rejects malformed blocks with COMPRESSION_ERROR', () => {
  const cases: readonly { readonly what: string; readonly block: string; readonly message: RegExp }[] = [
    { what: 'an indexed field with index 0', block: '80', message: /index 0 \(offset 0\)/ },
    {
      what: 'an indexed field beyond the static table',
      block: '82 be',
      message: /index 62 is beyond the tables.*offset 1/,
    },
    { what: 'a literal name index beyond the tables', block: '7f00 00', message: /index 63 is beyond the tables/ },
    { what: 'a never-indexed literal name index beyond the tables', block: '1f30 00', message: /index 63 is beyond/ },
    { what: 'an integer truncated by the end of the block', block: 'ff', message: /integer truncated.*offset 0/ },
    { what: 'an integer continued past the end of the block', block: 'ff80', message: /integer truncated/ },
    { what: 'an integer over 2^32 - 1', block: 'ff80 ffff ff1f', message: /over 2\^32 - 1/ },
    {
      what: 'an integer with too many continuation octets',
      block: 'ff80 8080 8080 00',
      message: /longer than 5 continuation/,
    },
    {
      what: 'a string literal longer than the block',
      block: '00 05 6162',
      message: /5 octets runs past the end of the block/,
    },
    { what: 'a literal missing its value', block: '0001 61', message: /string literal missing/ },
    { what: 'a string length truncated', block: '00 7f', message: /integer truncated/ },
    {
      what: 'a Huffman string with padding longer than 7 bits',
      block: '00 01 61 82 1fff',
      message: /11 bits of padding/,
    },
    { what: 'a Huffman string with padding that is not all ones', block: '00 01 61 81 18', message: /not all ones/ },
    { what: 'a Huffman string holding EOS', block: '00 01 61 84 ffff fffc', message: /EOS/ },
  ];
  for (const c of cases) {
    test(`rejects ${c.what}`, () => {
      assertCompressionError(() => new HpackDecoder().decode(hex(c.block)), c.message);
    });
  }

  test('accepts the largest integer, 2^32 - 1, as a size update only when allowed', () => {
    const decoder = new HpackDecoder({ maxTableSize: 0xffffffff });
    // 0x3f then 2^32 - 1 - 31 = 0xffffffe0 in 7-bit groups: e0 ff ff ff 0f
    assert.deepEqual(decoder.decode(hex('3f e0ffffff0f 82')), [':method', 'GET']);
    assert.equal(decoder.tableCapacity, 0xffffffff);
  });
});

describe('HpackDecoder header list size', () => {
  test('throws H2HeaderListTooLarge over the limit, keeps the table in sync, and decodes the next block', () => {
    // Each field "custom-key: custom-header" is 55 octets; limit 100 allows one.
    const decoder = new HpackDecoder({ maxHeaderListSize: 100 });
    const first = '400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572';
    // Block: the literal (indexed into the table), then 0x82, then a second literal with indexing
    // (name from the dynamic table, value "v").
    assert.throws(
      () => decoder.decode(hex(`${first} 82 7e 0176`)),
      (err: unknown) => {
        assert.ok(err instanceof H2HeaderListTooLarge);
        assert.equal(err.code, 'MESH_ERR_H2_HEADER_LIST_TOO_LARGE');
        assert.equal(err.limit, 100);
        assert.equal(err.size, 55 + 42 + 43);
        return true;
      },
    );
    // Both literals went into the table even though the fields were dropped.
    assert.deepEqual(decoder.tableEntries(), [
      ['custom-key', 'v'],
      ['custom-key', 'custom-header'],
    ]);
    assert.deepEqual(decoder.decode(hex('be bf')), ['custom-key', 'v', 'custom-key', 'custom-header']);
  });

  test('accepts a list exactly at the limit', () => {
    const decoder = new HpackDecoder({ maxHeaderListSize: 42 });
    assert.deepEqual(decoder.decode(hex('82')), [':method', 'GET']);
    assert.throws(() => decoder.decode(hex('82 82')), H2HeaderListTooLarge);
    assert.deepEqual(decoder.lastNeverIndexed, []);
  });
});

describe('HpackDecoder lastUnchecked: the fields whose characters nobody vouched for', () => {
  // A literal field with a new name (RFC 7541 §6.2): the representation's first octet, then name
  // and value as raw strings.
  const literal = (first: number, name: string, value: string): Buffer =>
    Buffer.concat([
      Buffer.from([first, name.length]),
      Buffer.from(name, 'latin1'),
      Buffer.from([value.length]),
      Buffer.from(value, 'latin1'),
    ]);
  const literalIndexed = (name: string, value: string): Buffer => literal(0x40, name, value);
  const literalPlain = (name: string, value: string): Buffer => literal(0x00, name, value);
  const approveNoX = (name: string, value: string): boolean => !value.includes('X') && !name.includes('X');

  test('static fields are vouched for; literals are not; indexed entries carry the mark the validator gave them', () => {
    const seen: [string, string][] = [];
    const decoder = new HpackDecoder({
      validField: (name, value) => {
        seen.push([name, value]);
        return approveNoX(name, value);
      },
    });
    // :method GET (static), x-good: ok (indexed, approved), x-bad: X (indexed, refused), x-plain: p (not indexed).
    decoder.decode(
      Buffer.concat([
        hex('82'),
        literalIndexed('x-good', 'ok'),
        literalIndexed('x-bad', 'X'),
        literalPlain('x-plain', 'p'),
      ]),
    );
    assert.deepEqual(decoder.lastUnchecked, [2, 3], 'the refused entry and the plain literal');
    assert.deepEqual(
      seen,
      [
        ['x-good', 'ok'],
        ['x-bad', 'X'],
      ],
      'the validator sees each field added to the table, once',
    );
    // Now by index: x-bad is the newest entry (62), x-good the one before (63).
    decoder.decode(hex('82 be bf'));
    assert.deepEqual(decoder.lastUnchecked, [1], 'x-bad stays unchecked when indexed again; x-good does not');
    assert.equal(seen.length, 2, 'indexed fields are not validated again');
    const none = (decoder.decode(hex('82 bf')), decoder.lastUnchecked);
    assert.deepEqual(none, []);
    decoder.decode(hex('84'));
    assert.equal(decoder.lastUnchecked, none, 'a shared empty array when every field is vouched for');
  });

  test('without a validator every dynamic-table field is unchecked', () => {
    const decoder = new HpackDecoder();
    decoder.decode(Buffer.concat([hex('82'), literalIndexed('x-a', 'b')]));
    assert.deepEqual(decoder.lastUnchecked, [1]);
    decoder.decode(hex('be 82'));
    assert.deepEqual(decoder.lastUnchecked, [0]);
  });
});
