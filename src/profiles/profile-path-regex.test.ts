import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compilePathRegex } from './profile-path-regex.ts';

function matcher(source: string): RegExp {
  const result = compilePathRegex(source);
  assert.ok(result.ok, `expected ${source} to compile: ${result.ok ? '' : result.reason}`);
  return result.regex;
}

describe('compilePathRegex', () => {
  const cases: readonly [name: string, source: string, matches: readonly string[], misses: readonly string[]][] = [
    ['anchors at both ends', '/api/.*', ['/api/', '/api/1'], ['/xapi/1', 'api/1']],
    ['keeps a top-level alternation inside the anchors', '/a|/b', ['/a', '/b'], ['/a/x', 'x/b', '/ab']],
    ['accepts anchors the user wrote', '^/books/\\d+$', ['/books/12'], ['/books/12/x']],
    ['escapes punctuation as RE2 does', '/a\\-b\\.json', ['/a-b.json'], ['/a-bxjson']],
    ['reads RE2 named groups', '/books/(?P<id>\\d+)', ['/books/7'], ['/books/x']],
    ['reads JavaScript named groups', '/books/(?<id>\\d+)', ['/books/7'], ['/books/']],
    ['reads \\A and \\z as the ends of the path', '\\A/x\\z', ['/x'], ['/x/']],
    ['reads \\x{HH} as a byte', '/a\\x{2d}b', ['/a-b'], ['/ab']],
    ['ignores surrounding spaces, as Linkerd does', '  /health  ', ['/health'], ['/health  ']],
    ['keeps character classes with special characters', '/[(|)]', ['/(', '/|', '/)'], ['/a']],
    ['matches a literal $ inside a class', '/a[$]', ['/a$'], ['/a']],
  ];
  for (const [name, source, matches, misses] of cases) {
    test(name, () => {
      const regex = matcher(source);
      for (const path of matches) assert.ok(regex.test(path), `${source} should match ${path}`);
      for (const path of misses) assert.ok(!regex.test(path), `${source} should not match ${path}`);
    });
  }

  const refused: readonly [name: string, source: string, reason: RegExp][] = [
    ['an unterminated group', '(', /^invalid regular expression "\(": Unterminated group$/],
    ['an unmatched closing parenthesis (which could break out of the anchors)', '/a)|(/b', /Unmatched '\)'/],
    ['an empty pattern', '  ', /is empty/],
    ['a backreference', '(a)\\1', /backreference/],
    ['a named backreference', '(?<x>a)\\k<x>', /backreference/],
    ['a lookahead', '/a(?=b)', /lookaround/],
    ['a negative lookbehind', '(?<!x)/a', /lookaround/],
    ['a leading inline flag', '(?i)/api', /inline flags/],
    ['a scoped inline flag', '/(?i:api)', /inline flags/],
    ['a Unicode class', '/\\pL+', /Unicode class/],
    ['a POSIX class', '/[[:alpha:]]+', /POSIX class/],
    ['\\Q…\\E quoting', '\\Q/a.b\\E', /\\Q/],
    ['an escape JavaScript reads as a letter', '/a\\yb', /escape \\y/],
    ['a class starting with ]', '[]a]', /first character of a class/],
    ['a lone trailing backslash', '/a\\', /lone '\\'/],
  ];
  for (const [name, source, reason] of refused) {
    test(`refuses ${name}`, () => {
      const result = compilePathRegex(source);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.reason, reason);
    });
  }

  test('compiles without flags, so V8 can fall back to its linear-time engine', () => {
    const regex = matcher('/(?<id>\\d+)/\\w+');
    assert.equal(regex.flags, '');
    assert.equal(regex.source, '^(?:\\/(?<id>\\d+)\\/\\w+)$');
  });

  test('matches exactly the paths one of its alternatives matches whole (seeded, bounded)', () => {
    // A tiny deterministic generator (LCG): the same 500 paths every run.
    let seed = 42;
    const next = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = ['/', 'a', 'b', 'api', '1', '42', '.', '-', 'x'];
    // Each pattern with its top-level alternatives: the oracle anchors each one on its own.
    const patterns: readonly (readonly [string, readonly string[]])[] = [
      ['/api/.*', ['/api/.*']],
      ['/a|/b', ['/a', '/b']],
      ['/[a-z]+/\\d+|/api', ['/[a-z]+/\\d+', '/api']],
      ['(/a)+|x.*', ['(/a)+', 'x.*']],
      ['/api/v\\d+/.+\\.json', ['/api/v\\d+/.+\\.json']],
    ];
    let textualDisagreements = 0;
    for (let i = 0; i < 500; i++) {
      let path = '';
      for (let parts = next(6); parts >= 0; parts--) path += alphabet[next(alphabet.length)] ?? '';
      for (const [source, alternatives] of patterns) {
        const expected = alternatives.some((alt) => new RegExp(`^${alt}$`).test(path));
        assert.equal(matcher(source).test(path), expected, `${source} on ${JSON.stringify(path)}`);
        if (new RegExp(`^${source}$`).test(path) !== expected) textualDisagreements++;
      }
    }
    // Textual anchoring (^source$) gets top-level alternations wrong on some of these paths.
    assert.ok(textualDisagreements > 0);
  });
});
