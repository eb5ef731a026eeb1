import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseGatewayDurationMs } from './route-duration.ts';
import { compileRouteRegex } from './route-regex.ts';

describe('compileRouteRegex', () => {
  // [source, value, matches]
  const matching: readonly [source: string, value: string, matches: boolean][] = [
    ['/books/[0-9]+', '/books/12', true],
    ['/books/[0-9]+', '/books/12/x', false],
    ['/a|/b', '/a', true],
    ['/a|/b', '/a/x', false],
    ['/a|/b', 'x/b', false],
    ['(?i)beta', 'BeTa', true],
    ['beta', 'BeTa', false],
    ['\\A/x\\z', '/x', true],
    ['/users/(?P<id>\\d+)', '/users/7', true],
    ['\\x{41}', 'A', true],
    ['\\x{263a}', '\u263a', true],
    ['\\a', '\x07', true],
    ['[\\]a]+', ']a', true],
    ['helloworld\\..*', 'helloworld.Greeter', true],
  ];
  for (const [source, value, matches] of matching) {
    test(`${JSON.stringify(source)} ${matches ? 'matches' : 'does not match'} the whole of ${JSON.stringify(value)}`, () => {
      const compiled = compileRouteRegex(source);
      assert.ok(compiled.ok, compiled.ok ? '' : compiled.reason);
      assert.equal(compiled.regex.test(value), matches);
    });
  }

  // JavaScript accepts all of these; RE2 does not, or reads them differently.
  const refusedSources: readonly [source: string, reason: RegExp][] = [
    ['(a)\\1', /backreference/],
    ['(?<n>a)\\k<n>', /backreference/],
    ['\\0', /octal/],
    ['a(?=b)', /lookaround/],
    ['a(?!b)', /lookaround/],
    ['(?<=a)b', /lookaround/],
    ['(?<!a)b', /lookaround/],
    ['a(?i)b', /inline flag/],
    ['(?s:.)', /inline flag/],
    ['\\p{L}', /Unicode class/],
    ['[[:alpha:]]', /POSIX class/],
    ['\\Qa.b\\E', /\\Q/],
    ['[]a]', /first character of a class/],
    ['\\cJ', /\\c/],
    ['\\u0041', /\\u/],
    ['\\x4', /hex/],
    ['a\\', /lone/],
    ['(a', /not a valid regular expression/],
    ['', /empty/],
  ];
  for (const [source, reason] of refusedSources) {
    test(`refuses ${JSON.stringify(source)}`, () => {
      const compiled = compileRouteRegex(source);
      assert.ok(!compiled.ok);
      assert.match(compiled.reason, reason);
    });
  }
});

describe('parseGatewayDurationMs', () => {
  const cases: readonly [text: string, ms: number | undefined][] = [
    ['0s', 0],
    ['10s', 10_000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1h2m3s4ms', 3_723_004],
    ['99999h', 99_999 * 3_600_000],
    ['1.5s', undefined],
    ['1us', undefined],
    ['-1s', undefined],
    ['100000s', undefined],
    ['1h1m1s1ms1h', undefined],
    ['10', undefined],
    ['', undefined],
    [' 1s', undefined],
  ];
  for (const [text, ms] of cases) {
    test(`${JSON.stringify(text)} is ${ms === undefined ? 'refused' : `${ms} ms`}`, () => {
      assert.equal(parseGatewayDurationMs(text), ms);
    });
  }
});
