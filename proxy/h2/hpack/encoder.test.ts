import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HpackDecoder } from './decoder.ts';
import { HpackEncoder } from './encoder.ts';
import { RFC7541_EXAMPLES, exampleBytes } from './test-fixtures.ts';
import { seededRandom } from '../../../src/testing/index.ts';

const GRPC_REQUEST = [
  ':method',
  'POST',
  ':scheme',
  'http',
  ':path',
  '/nodemesh.destination.v1.Destination/Get',
  ':authority',
  'destination.nodemesh.svc.cluster.local:8086',
  'content-type',
  'application/grpc',
  'te',
  'trailers',
  'grpc-accept-encoding',
  'identity,deflate,gzip',
  'user-agent',
  'grpc-node-js/1.14.7',
  'grpc-timeout',
  '9998m',
];

describe('HpackEncoder against RFC 7541', () => {
  test('produces exactly the blocks of C.4 (requests with Huffman coding) and the same dynamic table', () => {
    const c4 = RFC7541_EXAMPLES.find((s) => s.section.startsWith('C.4'))!;
    const encoder = new HpackEncoder();
    for (const [i, block] of c4.blocks.entries()) {
      const bytes = encoder.encode(block.fields);
      assert.equal(bytes.toString('hex'), exampleBytes(block.hex).toString('hex'), `block ${i + 1}`);
      assert.equal(encoder.tableSize, block.tableSize, `table size after block ${i + 1}`);
    }
  });

  test('encodes the fields of every Appendix C example so that a decoder gets them back', () => {
    for (const seq of RFC7541_EXAMPLES) {
      const encoder = new HpackEncoder({ maxTableSize: seq.maxTableSize });
      const decoder = new HpackDecoder({ maxTableSize: seq.maxTableSize });
      for (const block of seq.blocks) {
        assert.deepEqual(decoder.decode(encoder.encode(block.fields)), block.fields, seq.section);
        assert.equal(decoder.tableSize, encoder.tableSize, seq.section);
      }
    }
  });
});

describe('HpackEncoder indexing policy', () => {
  test('a repeated gRPC request shrinks to one octet per field except the per-request timeout', () => {
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder();
    const next = [...GRPC_REQUEST.slice(0, -1), '9997m'];
    const first = encoder.encode(GRPC_REQUEST);
    const second = encoder.encode(next);
    assert.deepEqual(decoder.decode(first), GRPC_REQUEST);
    assert.deepEqual(decoder.decode(second), next);
    // 8 indexed fields, then grpc-timeout as a literal without indexing whose name is the dynamic
    // entry 62 (4-bit prefix: 2 octets), then the value's length octet and its 4 Huffman octets.
    assert.equal(second.toString('hex').slice(16, 22), '0f2f84', 'grpc-timeout: literal without indexing, name 62');
    assert.equal(second.length, 8 + 2 + 1 + 4);
    // The first timeout was indexed once, so the name is in the table; the second was not.
    assert.equal(decoder.tableEntries().length, 7);
    assert.deepEqual(decoder.tableEntries()[0], ['grpc-timeout', '9998m']);
  });

  test('sends authorization, proxy-authorization and short cookies as never indexed', () => {
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder();
    const fields = [
      'authorization',
      'Bearer abc',
      'proxy-authorization',
      'Basic xyz',
      'cookie',
      'sid=1',
      'cookie',
      'a-long-cookie=0123456789abcdef',
    ];
    for (let round = 0; round < 2; round++) {
      assert.deepEqual(decoder.decode(encoder.encode(fields)), fields);
      assert.deepEqual(decoder.lastNeverIndexed, [0, 1, 2]);
    }
    // Only the long cookie went into the table.
    assert.deepEqual(decoder.tableEntries(), [['cookie', 'a-long-cookie=0123456789abcdef']]);
  });

  test('sends the fields the caller marks as never indexed, even when the static table holds them', () => {
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder();
    const fields = [':method', 'GET', 'x-secret', 's3cr3t', 'x-public', 'p'];
    const block = encoder.encode(fields, [0, 1]);
    assert.equal(block[0], 0x12, ':method GET as never indexed with static name index 2');
    assert.deepEqual(decoder.decode(block), fields);
    assert.deepEqual(decoder.lastNeverIndexed, [0, 1]);
    assert.deepEqual(decoder.tableEntries(), [['x-public', 'p']]);
  });

  test('keeps never-indexed fields never indexed when forwarding what a decoder reported', () => {
    const upstream = new HpackEncoder();
    const proxyIn = new HpackDecoder();
    const proxyOut = new HpackEncoder();
    const downstream = new HpackDecoder();
    const fields = ['x-token', 't0ken', 'x-other', 'o'];
    const decoded = proxyIn.decode(upstream.encode(fields, [0]));
    assert.deepEqual(downstream.decode(proxyOut.encode(decoded, proxyIn.lastNeverIndexed)), fields);
    assert.deepEqual(downstream.lastNeverIndexed, [0]);
  });

  test('does not index values that change on every message (beyond one entry to name them), long paths, or paths with a query', () => {
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder();
    const fields = [
      ':path',
      `/${'a'.repeat(100)}`,
      ':path',
      '/search?q=1',
      'content-length',
      '42',
      'date',
      'Mon, 21 Oct 2013 20:13:21 GMT',
      'x-request-id',
      '5f1c',
      'x-request-id',
      '7a2b',
      ':path',
      '/pkg.Service/Method',
    ];
    assert.deepEqual(decoder.decode(encoder.encode(fields)), fields);
    // x-request-id is in neither table: its first value is indexed so later ones can name it.
    assert.deepEqual(decoder.tableEntries(), [
      [':path', '/pkg.Service/Method'],
      ['x-request-id', '5f1c'],
    ]);
    assert.equal(decoder.tableSize, encoder.tableSize);
  });

  test('does not index an entry larger than half the table, and names it from the table when it can', () => {
    const encoder = new HpackEncoder({ maxTableSize: 256 });
    const decoder = new HpackDecoder({ maxTableSize: 4096 });
    const fields = ['x-big', 'v'.repeat(200), 'x-small', 's', 'x-small', 'other'];
    const block = encoder.encode(fields);
    assert.deepEqual(decoder.decode(block), fields);
    assert.deepEqual(decoder.tableEntries(), [
      ['x-small', 'other'],
      ['x-small', 's'],
    ]);
    assert.equal(decoder.tableCapacity, 256);
    // The second x-small names the first from the dynamic table: 0x40 | 62.
    assert.ok(block.includes(0x7e));
  });
});

describe('HpackEncoder dynamic table size updates', () => {
  test('starts the first block with an update when its own maximum is below the initial 4096', () => {
    const encoder = new HpackEncoder({ maxTableSize: 0 });
    const block = encoder.encode(['x-a', 'b']);
    assert.equal(block[0], 0x20);
    const decoder = new HpackDecoder();
    assert.deepEqual(decoder.decode(block), ['x-a', 'b']);
    assert.equal(decoder.tableCapacity, 0);
    assert.equal(decoder.tableSize, 0);
    assert.equal(encoder.encode(['x-a', 'b'])[0], 0x00, 'no update and no indexing afterwards');
  });

  test('after the peer lowers then raises its setting, sends the smallest size then the final one', () => {
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder();
    decoder.decode(encoder.encode(['x-a', 'b', 'x-c', 'd']));
    encoder.setPeerMaxTableSize(0);
    encoder.setPeerMaxTableSize(2048);
    decoder.setMaxTableSize(2048);
    const block = encoder.encode(['x-a', 'b']);
    assert.equal(block.subarray(0, 4).toString('hex'), '203fe10f', 'update to 0, then to 2048');
    assert.deepEqual(decoder.decode(block), ['x-a', 'b']);
    assert.deepEqual(decoder.tableEntries(), [['x-a', 'b']], 'the old entries were evicted');
    assert.equal(decoder.tableCapacity, 2048);
  });

  test('sends one update when the size only went down, and caps it at its own maximum', () => {
    const encoder = new HpackEncoder({ maxTableSize: 1024 });
    encoder.encode([]);
    encoder.setPeerMaxTableSize(4096);
    encoder.setPeerMaxTableSize(512);
    assert.equal(encoder.encode([]).toString('hex'), '3fe103', 'one update to 512');
    encoder.setPeerMaxTableSize(65536);
    assert.equal(encoder.encode([]).toString('hex'), '3fe107', 'one update to 1024, our own maximum');
    assert.equal(encoder.encode([]).length, 0, 'nothing pending afterwards');
  });

  test('satisfies a decoder that requires an update after lowering its setting', () => {
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder();
    for (const [i, size] of [100, 0, 300, 4096, 64].entries()) {
      encoder.setPeerMaxTableSize(size);
      decoder.setMaxTableSize(size);
      const fields = ['x-k', `value-${i}`, 'x-m', 'stays-the-same'];
      assert.deepEqual(decoder.decode(encoder.encode(fields)), fields);
      assert.deepEqual(decoder.decode(encoder.encode(fields)), fields);
      assert.equal(decoder.tableSize, encoder.tableSize);
      assert.equal(decoder.tableCapacity, size);
    }
  });
});

describe('HpackEncoder round trips with seeded random header lists', () => {
  const NAMES = [
    ':method',
    ':path',
    ':status',
    ':authority',
    'content-type',
    'content-length',
    'cookie',
    'authorization',
    'user-agent',
    'x-a',
    'x-b',
    'x-custom-metadata-bin',
    'grpc-status',
    'date',
  ];
  const VALUES = ['GET', 'POST', '200', '/', 'application/grpc', '0', '', 'x'];

  function randomValue(rand: () => number): string {
    const r = rand();
    if (r < 0.4) return VALUES[Math.floor(rand() * VALUES.length)]!;
    const len = r < 0.95 ? Math.floor(rand() * 40) : Math.floor(rand() * 600);
    let s = '';
    for (let i = 0; i < len; i++)
      s += String.fromCharCode(rand() < 0.8 ? 32 + Math.floor(rand() * 95) : Math.floor(rand() * 256));
    return s;
  }

  for (let seed = 1; seed <= 20; seed++) {
    test(`seed ${seed}: 60 blocks decode to what was encoded with the tables in step`, () => {
      const rand = seededRandom(seed);
      const encoder = new HpackEncoder({ maxTableSize: rand() < 0.5 ? 4096 : Math.floor(rand() * 2000) });
      const decoder = new HpackDecoder();
      const repeat: string[] = [];
      for (let b = 0; b < 60; b++) {
        if (rand() < 0.1) {
          const size = Math.floor(rand() * 5000);
          encoder.setPeerMaxTableSize(size);
          decoder.setMaxTableSize(size);
        }
        const fields: string[] = [];
        const never: number[] = [];
        const count = Math.floor(rand() * 12);
        for (let f = 0; f < count; f++) {
          if (repeat.length > 0 && rand() < 0.3) {
            const i = 2 * Math.floor(rand() * (repeat.length / 2));
            fields.push(repeat[i]!, repeat[i + 1]!);
          } else {
            const name =
              rand() < 0.8 ? NAMES[Math.floor(rand() * NAMES.length)]! : `x-${randomValue(rand).toLowerCase()}`;
            const value = randomValue(rand);
            fields.push(name, value);
            if (repeat.length < 40) repeat.push(name, value);
          }
          if (rand() < 0.05) never.push(f);
        }
        const block = encoder.encode(fields, never);
        assert.deepEqual(decoder.decode(block), fields, `block ${b}`);
        for (const f of never)
          assert.ok(decoder.lastNeverIndexed.includes(f), `field ${f} of block ${b} never indexed`);
        assert.equal(decoder.tableSize, encoder.tableSize, `table size after block ${b}`);
        assert.equal(decoder.tableCapacity, encoder.tableCapacity, `table capacity after block ${b}`);
      }
    });
  }
});

describe('HpackEncoder.encodeShared', () => {
  test('writes the same blocks as encode, interleaved across encoders, small and beyond the shared buffer', () => {
    const own = [new HpackEncoder(), new HpackEncoder()];
    const viaShared = [new HpackEncoder(), new HpackEncoder()];
    const big = 'v'.repeat(70 * 1024);
    const lists: string[][] = [
      GRPC_REQUEST,
      [':status', '200', 'content-type', 'application/grpc'],
      ['grpc-status', '0', 'x-large', 'a'.repeat(6000)],
      GRPC_REQUEST,
      ['x-huge', big],
      [':status', '200', 'x-after-huge', 'ok'],
    ];
    for (const [i, fields] of lists.entries()) {
      for (const e of [0, 1]) {
        const expected = own[e]!.encode(fields);
        const encoder = viaShared[e]!;
        const out = encoder.encodeShared(fields);
        assert.equal(encoder.lastLength, expected.length, `list ${i}, encoder ${e}: length`);
        assert.ok(out.subarray(0, encoder.lastLength).equals(expected), `list ${i}, encoder ${e}: bytes`);
      }
    }
  });
});
