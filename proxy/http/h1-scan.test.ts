import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { headEnd, isToken, trimEnd, trimStart } from './h1-scan.ts';

/** A small deterministic generator, so a failure can be reproduced. */
function random(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
    return (s >>> 16) % n;
  };
}

describe('h1-scan', () => {
  test('headEnd finds what Buffer#indexOf finds, in short heads and past the JavaScript scan', () => {
    const rnd = random(7);
    const bytes = [13, 10, 97, 13, 10];
    for (let n = 0; n < 3_000; n++) {
      const buf = Buffer.alloc(rnd(700));
      for (let i = 0; i < buf.length; i++) buf[i] = bytes[rnd(bytes.length)]!;
      const from = rnd(buf.length + 4);
      assert.equal(headEnd(buf, from), buf.indexOf('\r\n\r\n', from, 'latin1'), `${buf.toString('hex')} from ${from}`);
    }
    const big = Buffer.from(`GET / HTTP/1.1\r\nx: ${'a'.repeat(1_000)}\r\n\r\n`, 'latin1');
    assert.equal(headEnd(big, 0), big.length - 4);
    assert.equal(headEnd(Buffer.from('\r\n\r'), 0), -1);
  });

  test('isToken is the token rule of RFC 9110 over a range', () => {
    const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
    for (let c = 0; c < 256; c++) {
      const text = `a${String.fromCharCode(c)}b`;
      assert.equal(isToken(text, 0, 3), token.test(text), `char ${c}`);
    }
    assert.equal(isToken('GET / HTTP/1.1', 0, 3), true);
    assert.equal(isToken('GET', 1, 1), false);
  });

  test('trimStart and trimEnd leave what String#trim leaves', () => {
    for (const text of [' \t a b \v\f\r\n\u00a0', '', '   ', 'x', '\u00a0x\u0085', ' x\t']) {
      const start = trimStart(text, 0, text.length);
      assert.equal(text.slice(start, trimEnd(text, start, text.length)), text.trim(), JSON.stringify(text));
    }
  });
});
