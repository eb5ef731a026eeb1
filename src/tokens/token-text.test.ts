import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { catchError } from '../testing/index.ts';
import { TokenInvalidError } from './errors.ts';
import { MAX_TOKEN_BYTES, tokenText } from './token-text.ts';

describe('tokenText', () => {
  const accepted: [string, string | Uint8Array, string][] = [
    ['a string as it is', 'abc.def.ghi', 'abc.def.ghi'],
    ['bytes, decoded as UTF-8', Buffer.from('abc.def.ghi'), 'abc.def.ghi'],
    ['a token file with a trailing newline', Buffer.from('abc.def.ghi\r\n'), 'abc.def.ghi'],
    ['exactly the largest size', 'a'.repeat(MAX_TOKEN_BYTES), 'a'.repeat(MAX_TOKEN_BYTES)],
  ];
  for (const [name, input, expected] of accepted) {
    test(`accepts ${name}`, () => assert.equal(tokenText(input), expected));
  }

  const refused: [string, string | Uint8Array, RegExp][] = [
    ['an empty string', '', /empty/],
    ['only whitespace', Buffer.from(' \n'), /empty/],
    ['bytes that are not UTF-8', Uint8Array.of(0xff, 0xfe), /not UTF-8/],
    ['one byte too many', Buffer.alloc(MAX_TOKEN_BYTES + 1, 0x61), /16385 bytes long/],
  ];
  for (const [name, input, message] of refused) {
    test(`refuses ${name} as malformed`, () => {
      const err = catchError(() => tokenText(input), TokenInvalidError);
      assert.equal(err.reason, 'malformed');
      assert.match(err.message, message);
    });
  }
});
