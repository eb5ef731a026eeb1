// Compile a ServiceProfile `pathRegex` into a JavaScript RegExp that must match the whole path.
//
// Contract: `compilePathRegex(source)` never throws; it returns the anchored RegExp or the reason
// the source is refused. The same function serves validation (the controller, the CLI) and the
// proxy, so a profile accepted at the edge compiles identically per request.
//
// Dialect: the common ground of Go's RE2 (what Linkerd's tooling and users write) and JavaScript
// RegExp. Refused, with a message saying why: backreferences and octal escapes (\1, \k<n>),
// lookaround ((?=…), (?!…), (?<=…), (?<!…)), inline flags ((?i), (?i:…)), Unicode property
// classes (\pL, \p{…}), POSIX classes ([[:alpha:]]), \Q…\E, and letter escapes JavaScript would
// silently read as the letter. Translated: RE2's (?P<name>…) to (?<name>…), \A to ^, \z to $,
// \a to \x07, \x{HH} to \xHH. Everything else is passed to RegExp as written.
//
// Anchoring: the source is first compiled on its own (so its parentheses are balanced: nothing in
// it can close a group it did not open), then wrapped as `^(?:source)$` and compiled without
// flags. A top-level alternation stays inside the group, so `/a|/b` matches exactly "/a" or "/b"
// (textual anchoring, `^/a|/b$`, would also match "/a/x" and "x/b"). Anchors the user wrote are
// harmless: without the `m` flag `^` and `$` only match at the ends of the input.
//
// No flags: patterns compiled without `u`, `i` or modifiers stay eligible for V8's linear-time
// engine, which a process started with `--enable-experimental-regexp-engine-on-excessive-backtracks`
// falls back to when a pattern such as `(a+)+` backtracks too much (see ADR 0004).

/** The anchored RegExp for a pathRegex, or why it is refused. */
export type PathRegexResult =
  | { readonly ok: true; readonly regex: RegExp; readonly source: string }
  | { readonly ok: false; readonly reason: string };

/** What a pathRegex may be, for messages. */
export const PATH_REGEX_ALLOWED =
  'a regular expression matched against the whole path (no query string); RE2/JavaScript common syntax without backreferences, lookaround, inline flags or Unicode classes';

// Letter escapes JavaScript (without the u flag) and RE2 read the same way.
const SAME_LETTER_ESCAPES = new Set(['d', 'D', 's', 'S', 'w', 'W', 'b', 'B', 'f', 'n', 'r', 't', 'v']);
const HEX = /^[0-9a-fA-F]$/;

/** Compile `source` (a pathRegex as written in a ServiceProfile) into an anchored RegExp. */
export function compilePathRegex(source: string): PathRegexResult {
  const trimmed = source.trim();
  if (trimmed === '') return { ok: false, reason: 'is empty' };
  const translated = translate(trimmed);
  if (!translated.ok) return translated;
  try {
    new RegExp(translated.source);
  } catch (err) {
    return { ok: false, reason: `invalid regular expression ${JSON.stringify(source)}: ${syntaxReason(err)}` };
  }
  // Cannot throw: a valid pattern inside a non-capturing group is valid.
  return { ok: true, regex: new RegExp(`^(?:${translated.source})$`), source: translated.source };
}

type Refusal = { readonly ok: false; readonly reason: string };
type Translation = { readonly ok: true; readonly source: string } | Refusal;
type Piece = { readonly ok: true; readonly source: string; readonly consumed: number } | Refusal;

function refuse(source: string, what: string): Refusal {
  return { ok: false, reason: `regular expression ${JSON.stringify(source)} uses ${what}` };
}

// One pass over the pattern, tracking whether we are inside a character class.
function translate(src: string): Translation {
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] ?? '';
    if (c === '\\') {
      const escape = translateEscape(src, i, inClass);
      if (!escape.ok) return escape;
      out += escape.source;
      i += escape.consumed - 1;
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':' && /^\[:\^?[a-z]+:\]/.test(src.slice(i))) {
        return refuse(
          src,
          'a POSIX class such as [[:alpha:]], which JavaScript does not know; write the range, e.g. [a-zA-Z]',
        );
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A leading ']' (or '^]') is a literal in RE2 but closes an empty class in JavaScript.
      const next = src[i + 1] === '^' ? 2 : 1;
      if (src[i + next] === ']') return refuse(src, "']' as the first character of a class; escape it as '\\]'");
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const group = translateGroup(src, i);
      if (!group.ok) return group;
      out += group.source;
      i += group.consumed - 1;
      continue;
    }
    out += c;
  }
  return { ok: true, source: out };
}

function translateGroup(src: string, i: number): Piece {
  const rest = src.slice(i + 2);
  if (rest.startsWith(':')) return { ok: true, source: '(?:', consumed: 3 };
  if (rest.startsWith('P<')) return { ok: true, source: '(?<', consumed: 4 };
  if (rest.startsWith('=') || rest.startsWith('!') || rest.startsWith('<=') || rest.startsWith('<!')) {
    return refuse(
      src,
      'lookaround ((?=…), (?!…), (?<=…), (?<!…)), which RE2 and the linear-time engine do not support',
    );
  }
  if (rest.startsWith('<')) return { ok: true, source: '(?<', consumed: 3 };
  if (/^[a-zA-Z-]+[:)]/.test(rest)) {
    return refuse(src, 'inline flags such as (?i); paths are case-sensitive, write both cases, e.g. [Aa]');
  }
  // Anything else after "(?" is a syntax error; let RegExp name it.
  return { ok: true, source: '(?', consumed: 2 };
}

function translateEscape(src: string, i: number, inClass: boolean): Piece {
  const n = src[i + 1];
  if (n === undefined) return { ok: false, reason: `regular expression ${JSON.stringify(src)} ends with a lone '\\'` };
  if (/[0-9]/.test(n) || n === 'k') {
    return refuse(src, `a backreference or octal escape (\\${n}), which RE2 and the linear-time engine do not support`);
  }
  if (!/[a-zA-Z]/.test(n)) return { ok: true, source: `\\${n}`, consumed: 2 }; // escaped punctuation
  if (SAME_LETTER_ESCAPES.has(n)) return { ok: true, source: `\\${n}`, consumed: 2 };
  if (!inClass && n === 'A') return { ok: true, source: '^', consumed: 2 };
  if (!inClass && n === 'z') return { ok: true, source: '$', consumed: 2 };
  if (n === 'a') return { ok: true, source: '\\x07', consumed: 2 };
  if (n === 'x') {
    const h1 = src[i + 2] ?? '';
    const h2 = src[i + 3] ?? '';
    if (HEX.test(h1) && HEX.test(h2)) return { ok: true, source: `\\x${h1}${h2}`, consumed: 4 };
    const braced = /^\{([0-9a-fA-F]{1,2})\}/.exec(src.slice(i + 2));
    if (braced !== null) {
      return { ok: true, source: `\\x${(braced[1] ?? '').padStart(2, '0')}`, consumed: 2 + braced[0].length };
    }
    return refuse(src, '\\x without two hex digits; write \\xHH for a byte (paths are ASCII)');
  }
  if (n === 'p' || n === 'P')
    return refuse(src, `a Unicode class (\\${n}…); paths are ASCII, write a range such as [a-z]`);
  if (n === 'Q') return refuse(src, '\\Q…\\E quoting; escape each special character with \\ instead');
  return refuse(src, `the escape \\${n}, which RE2 and JavaScript read differently`);
}

function syntaxReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const at = message.lastIndexOf(': ');
  return at === -1 ? message : message.slice(at + 2);
}
