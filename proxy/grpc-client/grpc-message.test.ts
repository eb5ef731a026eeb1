import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeGrpcMessage } from './grpc-message.ts';

describe('decodeGrpcMessage', () => {
  const cases: [string, string, string][] = [
    ['leaves text without escapes as it is', 'no token in the request', 'no token in the request'],
    ['decodes an escaped percent sign', '100%25 sure', '100% sure'],
    ['decodes escaped UTF-8 into characters', 'caf%C3%A9 %E2%9C%93', 'café ✓'],
    ['decodes lower-case hex digits', 'line%0aend', 'line\nend'],
    ['keeps a percent sign at the end', 'at 50%', 'at 50%'],
    ['keeps a truncated escape', 'x%4', 'x%4'],
    ['keeps an escape with non-hex digits', '%zz then %41', '%zz then A'],
    ['replaces escaped bytes that are not UTF-8', 'bad %FF byte', 'bad \uFFFD byte'],
    ['keeps characters a server sent unescaped', 'naïve %41', 'naïve A'],
  ];
  for (const [name, wire, text] of cases) test(name, () => assert.equal(decodeGrpcMessage(wire), text));
});
