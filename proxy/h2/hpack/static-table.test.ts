import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  STATIC_NAMES,
  STATIC_TABLE_LENGTH,
  STATIC_VALUES,
  staticExactIndex,
  staticName,
  staticNameIndex,
} from './static-table.ts';

test('holds the 61 entries of RFC 7541 Appendix A at their wire indexes', () => {
  assert.equal(STATIC_TABLE_LENGTH, 61);
  assert.equal(STATIC_NAMES.length, 62);
  assert.equal(STATIC_VALUES.length, 62);
  const spot: readonly (readonly [number, string, string])[] = [
    [1, ':authority', ''],
    [2, ':method', 'GET'],
    [7, ':scheme', 'https'],
    [8, ':status', '200'],
    [14, ':status', '500'],
    [16, 'accept-encoding', 'gzip, deflate'],
    [28, 'content-length', ''],
    [31, 'content-type', ''],
    [32, 'cookie', ''],
    [55, 'set-cookie', ''],
    [58, 'user-agent', ''],
    [61, 'www-authenticate', ''],
  ];
  for (const [i, name, value] of spot) {
    assert.equal(STATIC_NAMES[i], name, `name ${i}`);
    assert.equal(STATIC_VALUES[i], value, `value ${i}`);
  }
});

test('finds exact matches, the lowest index of a name, and nothing for unknown names', () => {
  assert.equal(staticExactIndex(':method', 'POST'), 3);
  assert.equal(staticExactIndex(':status', '404'), 13);
  assert.equal(staticExactIndex(':status', '201'), 0);
  assert.equal(staticExactIndex('content-type', ''), 31);
  assert.equal(staticNameIndex(':status'), 8);
  assert.equal(staticNameIndex(':path'), 4);
  assert.equal(staticNameIndex('x-custom'), 0);
  assert.equal(staticName('grpc-status'), undefined);
  assert.equal(staticName(':scheme')?.index, 6);
});

test('every entry is found by its own name and value', () => {
  for (let i = 1; i <= STATIC_TABLE_LENGTH; i++) {
    assert.equal(staticExactIndex(STATIC_NAMES[i]!, STATIC_VALUES[i]!), i);
    assert.equal(STATIC_NAMES[staticNameIndex(STATIC_NAMES[i]!)], STATIC_NAMES[i]);
  }
});
