// The HPACK Huffman code (RFC 7541 Appendix B): encoded length, encoder, and a table-driven
// decoder.
//
// Contract: strings are octets in latin1 form (one character per byte, code points 0..255; a
// character above U+00FF is taken as its low byte, as Buffer's latin1 encoding does). The decoder
// walks a state machine over 4-bit input units, built once at module load from the code table: a
// state is an internal node of the code tree, and each (state, nibble) entry gives the next state
// and at most one decoded octet (no code is shorter than 5 bits). It rejects, with
// H2ConnectionError COMPRESSION_ERROR (RFC 7541 §5.2), the EOS symbol inside a string, padding
// longer than 7 bits, and padding that is not the most significant bits of EOS (all ones).
// Not reentrant across awaits (it decodes into one module-level scratch buffer), which is fine:
// decoding is synchronous.

import { H2ConnectionError } from '../errors.ts';
import { Buffer } from 'node:buffer';

/**
 * (code, bit length) for each symbol 0..255 and EOS (256), transcribed from RFC 7541 Appendix B.
 * Exported for the tests only (not part of index.ts).
 */
// prettier-ignore
export const CODE_TABLE: readonly number[] = [
  0x1ff8, 13, 0x7fffd8, 23, 0xfffffe2, 28, 0xfffffe3, 28, // 0
  0xfffffe4, 28, 0xfffffe5, 28, 0xfffffe6, 28, 0xfffffe7, 28, // 4
  0xfffffe8, 28, 0xffffea, 24, 0x3ffffffc, 30, 0xfffffe9, 28, // 8
  0xfffffea, 28, 0x3ffffffd, 30, 0xfffffeb, 28, 0xfffffec, 28, // 12
  0xfffffed, 28, 0xfffffee, 28, 0xfffffef, 28, 0xffffff0, 28, // 16
  0xffffff1, 28, 0xffffff2, 28, 0x3ffffffe, 30, 0xffffff3, 28, // 20
  0xffffff4, 28, 0xffffff5, 28, 0xffffff6, 28, 0xffffff7, 28, // 24
  0xffffff8, 28, 0xffffff9, 28, 0xffffffa, 28, 0xffffffb, 28, // 28
  0x14, 6, 0x3f8, 10, 0x3f9, 10, 0xffa, 12, // 32
  0x1ff9, 13, 0x15, 6, 0xf8, 8, 0x7fa, 11, // 36
  0x3fa, 10, 0x3fb, 10, 0xf9, 8, 0x7fb, 11, // 40
  0xfa, 8, 0x16, 6, 0x17, 6, 0x18, 6, // 44
  0x0, 5, 0x1, 5, 0x2, 5, 0x19, 6, // 48
  0x1a, 6, 0x1b, 6, 0x1c, 6, 0x1d, 6, // 52
  0x1e, 6, 0x1f, 6, 0x5c, 7, 0xfb, 8, // 56
  0x7ffc, 15, 0x20, 6, 0xffb, 12, 0x3fc, 10, // 60
  0x1ffa, 13, 0x21, 6, 0x5d, 7, 0x5e, 7, // 64
  0x5f, 7, 0x60, 7, 0x61, 7, 0x62, 7, // 68
  0x63, 7, 0x64, 7, 0x65, 7, 0x66, 7, // 72
  0x67, 7, 0x68, 7, 0x69, 7, 0x6a, 7, // 76
  0x6b, 7, 0x6c, 7, 0x6d, 7, 0x6e, 7, // 80
  0x6f, 7, 0x70, 7, 0x71, 7, 0x72, 7, // 84
  0xfc, 8, 0x73, 7, 0xfd, 8, 0x1ffb, 13, // 88
  0x7fff0, 19, 0x1ffc, 13, 0x3ffc, 14, 0x22, 6, // 92
  0x7ffd, 15, 0x3, 5, 0x23, 6, 0x4, 5, // 96
  0x24, 6, 0x5, 5, 0x25, 6, 0x26, 6, // 100
  0x27, 6, 0x6, 5, 0x74, 7, 0x75, 7, // 104
  0x28, 6, 0x29, 6, 0x2a, 6, 0x7, 5, // 108
  0x2b, 6, 0x76, 7, 0x2c, 6, 0x8, 5, // 112
  0x9, 5, 0x2d, 6, 0x77, 7, 0x78, 7, // 116
  0x79, 7, 0x7a, 7, 0x7b, 7, 0x7ffe, 15, // 120
  0x7fc, 11, 0x3ffd, 14, 0x1ffd, 13, 0xffffffc, 28, // 124
  0xfffe6, 20, 0x3fffd2, 22, 0xfffe7, 20, 0xfffe8, 20, // 128
  0x3fffd3, 22, 0x3fffd4, 22, 0x3fffd5, 22, 0x7fffd9, 23, // 132
  0x3fffd6, 22, 0x7fffda, 23, 0x7fffdb, 23, 0x7fffdc, 23, // 136
  0x7fffdd, 23, 0x7fffde, 23, 0xffffeb, 24, 0x7fffdf, 23, // 140
  0xffffec, 24, 0xffffed, 24, 0x3fffd7, 22, 0x7fffe0, 23, // 144
  0xffffee, 24, 0x7fffe1, 23, 0x7fffe2, 23, 0x7fffe3, 23, // 148
  0x7fffe4, 23, 0x1fffdc, 21, 0x3fffd8, 22, 0x7fffe5, 23, // 152
  0x3fffd9, 22, 0x7fffe6, 23, 0x7fffe7, 23, 0xffffef, 24, // 156
  0x3fffda, 22, 0x1fffdd, 21, 0xfffe9, 20, 0x3fffdb, 22, // 160
  0x3fffdc, 22, 0x7fffe8, 23, 0x7fffe9, 23, 0x1fffde, 21, // 164
  0x7fffea, 23, 0x3fffdd, 22, 0x3fffde, 22, 0xfffff0, 24, // 168
  0x1fffdf, 21, 0x3fffdf, 22, 0x7fffeb, 23, 0x7fffec, 23, // 172
  0x1fffe0, 21, 0x1fffe1, 21, 0x3fffe0, 22, 0x1fffe2, 21, // 176
  0x7fffed, 23, 0x3fffe1, 22, 0x7fffee, 23, 0x7fffef, 23, // 180
  0xfffea, 20, 0x3fffe2, 22, 0x3fffe3, 22, 0x3fffe4, 22, // 184
  0x7ffff0, 23, 0x3fffe5, 22, 0x3fffe6, 22, 0x7ffff1, 23, // 188
  0x3ffffe0, 26, 0x3ffffe1, 26, 0xfffeb, 20, 0x7fff1, 19, // 192
  0x3fffe7, 22, 0x7ffff2, 23, 0x3fffe8, 22, 0x1ffffec, 25, // 196
  0x3ffffe2, 26, 0x3ffffe3, 26, 0x3ffffe4, 26, 0x7ffffde, 27, // 200
  0x7ffffdf, 27, 0x3ffffe5, 26, 0xfffff1, 24, 0x1ffffed, 25, // 204
  0x7fff2, 19, 0x1fffe3, 21, 0x3ffffe6, 26, 0x7ffffe0, 27, // 208
  0x7ffffe1, 27, 0x3ffffe7, 26, 0x7ffffe2, 27, 0xfffff2, 24, // 212
  0x1fffe4, 21, 0x1fffe5, 21, 0x3ffffe8, 26, 0x3ffffe9, 26, // 216
  0xffffffd, 28, 0x7ffffe3, 27, 0x7ffffe4, 27, 0x7ffffe5, 27, // 220
  0xfffec, 20, 0xfffff3, 24, 0xfffed, 20, 0x1fffe6, 21, // 224
  0x3fffe9, 22, 0x1fffe7, 21, 0x1fffe8, 21, 0x7ffff3, 23, // 228
  0x3fffea, 22, 0x3fffeb, 22, 0x1ffffee, 25, 0x1ffffef, 25, // 232
  0xfffff4, 24, 0xfffff5, 24, 0x3ffffea, 26, 0x7ffff4, 23, // 236
  0x3ffffeb, 26, 0x7ffffe6, 27, 0x3ffffec, 26, 0x3ffffed, 26, // 240
  0x7ffffe7, 27, 0x7ffffe8, 27, 0x7ffffe9, 27, 0x7ffffea, 27, // 244
  0x7ffffeb, 27, 0xffffffe, 28, 0x7ffffec, 27, 0x7ffffed, 27, // 248
  0x7ffffee, 27, 0x7ffffef, 27, 0x7fffff0, 27, 0x3ffffee, 26, // 252
  0x3fffffff, 30, // 256
];

/** The EOS symbol: 30 one bits; never valid inside a string. */
const EOS = 256;
const CODES = new Uint32Array(257);
const LENGTHS = new Uint8Array(257);
for (let sym = 0; sym <= EOS; sym++) {
  CODES[sym] = CODE_TABLE[2 * sym]!;
  LENGTHS[sym] = CODE_TABLE[2 * sym + 1]!;
}

// The code tree: internal nodes 0..255 (0 is the root); a child is an internal node id (>= 0) or a
// leaf, stored as -(symbol + 1).
const NODES = 256;
const child0 = new Int16Array(NODES);
const child1 = new Int16Array(NODES);
const depth = new Uint8Array(NODES);
const allOnes = new Uint8Array(NODES);
{
  let nodes = 1;
  allOnes[0] = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    const code = CODES[sym]!;
    const len = LENGTHS[sym]!;
    let node = 0;
    for (let bit = len - 1; bit >= 0; bit--) {
      const one = ((code >>> bit) & 1) === 1;
      const children = one ? child1 : child0;
      if (bit === 0) {
        children[node] = -(sym + 1);
        break;
      }
      let next = children[node]!;
      if (next === 0) {
        next = nodes++;
        children[node] = next;
        depth[next] = depth[node]! + 1;
        allOnes[next] = one && allOnes[node] === 1 ? 1 : 0;
      }
      node = next;
    }
  }
  if (nodes !== NODES) throw new Error(`HPACK Huffman table: ${nodes} internal nodes, expected ${NODES}`);
}

const EMIT = 1 << 16;
const FAIL = 1 << 17;
/** (state << 4 | nibble) → next state | symbol << 8 | EMIT, or FAIL when the nibble completes EOS. */
const TRANSITIONS = new Uint32Array(NODES * 16);
/** States in which the input may end: the bits since the last symbol are ≤ 7 ones. */
const ACCEPTING = new Uint8Array(NODES);
for (let state = 0; state < NODES; state++) {
  ACCEPTING[state] = allOnes[state] === 1 && depth[state]! <= 7 ? 1 : 0;
  for (let nibble = 0; nibble < 16; nibble++) {
    let node = state;
    let entry = 0;
    for (let bit = 3; bit >= 0; bit--) {
      const next = ((nibble >>> bit) & 1) === 1 ? child1[node]! : child0[node]!;
      if (next >= 0) {
        node = next;
        continue;
      }
      const sym = -next - 1;
      if (sym === EOS) {
        entry = FAIL;
        break;
      }
      entry = EMIT | (sym << 8);
      node = 0;
    }
    TRANSITIONS[(state << 4) | nibble] = entry === FAIL ? FAIL : entry | node;
  }
}

/** Octets `s` takes once Huffman-encoded (padding included). */
export function huffmanEncodedLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) bits += LENGTHS[s.charCodeAt(i) & 0xff]!;
  return (bits + 7) >>> 3;
}

/**
 * Writes `s` Huffman-encoded into `target` at `offset` (room for huffmanEncodedLength(s) octets is
 * the caller's job) and returns the offset after it.
 */
export function huffmanEncode(s: string, target: Uint8Array, offset: number): number {
  let o = offset;
  let acc = 0; // the pending bits, fewer than 8 between symbols
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i) & 0xff;
    let code = CODES[sym]!;
    let len = LENGTHS[sym]!;
    if (len > 24) {
      // Keep the accumulator within 31 bits: the high part first.
      const high = len - 16;
      acc = (acc << high) | (code >>> 16);
      bits += high;
      while (bits >= 8) {
        bits -= 8;
        target[o++] = acc >>> bits;
      }
      acc &= (1 << bits) - 1;
      code &= 0xffff;
      len = 16;
    }
    acc = (acc << len) | code;
    bits += len;
    while (bits >= 8) {
      bits -= 8;
      target[o++] = acc >>> bits;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) target[o++] = (acc << (8 - bits)) | (0xff >>> bits);
  return o;
}

interface Latin1Sliceable {
  latin1Slice(start: number, end: number): string;
}

let scratch = Buffer.allocUnsafeSlow(4096);

/**
 * Decodes the Huffman-encoded octets src[start, end) to a latin1 string. `where` names the
 * string's position for error messages.
 */
export function huffmanDecode(src: Uint8Array, start: number, end: number, where: number): string {
  // Each symbol takes at least 5 bits.
  const most = (((end - start) * 8) / 5) | 0;
  if (most > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(most, scratch.length * 2));
  const out = scratch;
  let n = 0;
  let state = 0;
  for (let i = start; i < end; i++) {
    const b = src[i]!;
    let t = TRANSITIONS[(state << 4) | (b >>> 4)]!;
    if (t >= EMIT) {
      if (t === FAIL) throw eosError(where, i);
      out[n++] = t >>> 8;
    }
    state = t & 0xff;
    t = TRANSITIONS[(state << 4) | (b & 0xf)]!;
    if (t >= EMIT) {
      if (t === FAIL) throw eosError(where, i);
      out[n++] = t >>> 8;
    }
    state = t & 0xff;
  }
  if (ACCEPTING[state] !== 1) {
    throw new H2ConnectionError(
      'COMPRESSION_ERROR',
      allOnes[state] !== 1
        ? `HPACK: Huffman string at offset ${where} ends with padding that is not all ones`
        : `HPACK: Huffman string at offset ${where} ends with ${depth[state]} bits of padding (at most 7 allowed)`,
    );
  }
  return (out as unknown as Latin1Sliceable).latin1Slice(0, n);
}

function eosError(where: number, at: number): H2ConnectionError {
  return new H2ConnectionError(
    'COMPRESSION_ERROR',
    `HPACK: Huffman string at offset ${where} contains the EOS symbol (octet at offset ${at})`,
  );
}
