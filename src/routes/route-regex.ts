// Compile a Gateway API `RegularExpression` value (path, header, query param, gRPC service or
// method) into a JavaScript RegExp that must match the whole value.
//
// Contract: `compileRouteRegex(source)` never throws; it returns the anchored RegExp or the reason
// the source is refused. Validation (the admission webhook, the controller) and matching (the
// proxy) call the same function, so a route accepted at the edge compiles the same per request.
//
// Dialect: Gateway API leaves the dialect to the implementation; nodemesh accepts the common ground
// of RE2 (what Go-based meshes and most users write) and JavaScript. Refused with a reason, because
// JavaScript would accept them and RE2 would not, or the two read them differently: backreferences
// and octal escapes (\1, \k<n>), lookaround ((?=…) (?!…) (?<=…) (?<!…)), inline flags other than a
// leading (?i), Unicode classes (\pL, \p{…}), POSIX classes ([[:alpha:]]), \Q…\E, a leading ']' in
// a class, and letter escapes that are not the same in both (\c, \u, \C, …). Translated: RE2's
// (?P<name>…) to (?<name>…), \A to ^, \z to $, \a to \x07, \x{H…} to \xHH or \uHHHH, and a leading
// (?i) to the `i` flag.
//
// Anchoring: the source is compiled on its own first (so it cannot close a group it did not open),
// then as `^(?:source)$`; a top-level alternation stays inside the group, so `/a|/b` matches "/a"
// or "/b" and nothing longer. Envoy and Linkerd match route regexes against the whole value too.

export type RouteRegexResult =
  { readonly ok: true; readonly regex: RegExp } | { readonly ok: false; readonly reason: string };

/** What a RegularExpression value may be, for messages. */
export const ROUTE_REGEX_ALLOWED =
  'a regular expression matched against the whole value, in the syntax RE2 and JavaScript share: no backreferences, lookaround, Unicode or POSIX classes; (?i) only at the start';

const SAME_LETTER_ESCAPES = new Set(['d', 'D', 's', 'S', 'w', 'W', 'b', 'B', 'f', 'n', 'r', 't', 'v']);
const HEX = /^[0-9a-fA-F]$/;

type Refusal = { readonly ok: false; readonly reason: string };
type Piece = { readonly ok: true; readonly source: string; readonly consumed: number } | Refusal;

/** Compile `source` into a RegExp anchored at both ends, or say why it is refused. */
export function compileRouteRegex(source: string): RouteRegexResult {
  if (source === '') return { ok: false, reason: 'is empty' };
  const caseless = source.startsWith('(?i)');
  const body = caseless ? source.slice(4) : source;
  const translated = translate(body);
  if (!translated.ok) return translated;
  const flags = caseless ? 'i' : '';
  try {
    new RegExp(translated.source, flags);
  } catch (err) {
    return { ok: false, reason: `is not a valid regular expression: ${syntaxReason(err)}` };
  }
  return { ok: true, regex: new RegExp(`^(?:${translated.source})$`, flags) };
}

function refuse(what: string): Refusal {
  return { ok: false, reason: `uses ${what}` };
}

function translate(src: string): { readonly ok: true; readonly source: string } | Refusal {
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
      if (c === '[' && /^\[:\^?[a-z]+:\]/.test(src.slice(i))) {
        return refuse(
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
      const next = src[i + 1] === '^' ? 2 : 1;
      if (src[i + next] === ']')
        return refuse("']' as the first character of a class (RE2 reads it as a literal); escape it");
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
    return refuse('lookaround ((?=…), (?!…), (?<=…), (?<!…)), which RE2 does not support');
  }
  if (rest.startsWith('<')) return { ok: true, source: '(?<', consumed: 3 };
  if (/^[a-zA-Z-]+[:)]/.test(rest)) return refuse('an inline flag group; only a leading (?i) is accepted');
  return { ok: true, source: '(?', consumed: 2 }; // a syntax error: RegExp names it
}

function translateEscape(src: string, i: number, inClass: boolean): Piece {
  const n = src[i + 1];
  if (n === undefined) return { ok: false, reason: "ends with a lone '\\'" };
  if (/[0-9]/.test(n) || n === 'k') {
    return refuse(`a backreference or octal escape (\\${n}), which RE2 does not support`);
  }
  if (!/[a-zA-Z]/.test(n)) return { ok: true, source: `\\${n}`, consumed: 2 };
  if (SAME_LETTER_ESCAPES.has(n)) return { ok: true, source: `\\${n}`, consumed: 2 };
  if (!inClass && n === 'A') return { ok: true, source: '^', consumed: 2 };
  if (!inClass && n === 'z') return { ok: true, source: '$', consumed: 2 };
  if (n === 'a') return { ok: true, source: '\\x07', consumed: 2 };
  if (n === 'x') {
    const h1 = src[i + 2] ?? '';
    const h2 = src[i + 3] ?? '';
    if (HEX.test(h1) && HEX.test(h2)) return { ok: true, source: `\\x${h1}${h2}`, consumed: 4 };
    const braced = /^\{([0-9a-fA-F]{1,4})\}/.exec(src.slice(i + 2));
    if (braced !== null) {
      const hex = braced[1] ?? '';
      const escaped = hex.length <= 2 ? `\\x${hex.padStart(2, '0')}` : `\\u${hex.padStart(4, '0')}`;
      return { ok: true, source: escaped, consumed: 2 + braced[0].length };
    }
    return refuse('\\x without two hex digits; write \\xHH or \\x{HHHH}');
  }
  if (n === 'p' || n === 'P') return refuse(`a Unicode class (\\${n}…); write a range such as [a-z]`);
  if (n === 'Q') return refuse('\\Q…\\E quoting; escape each special character with \\ instead');
  return refuse(`the escape \\${n}, which RE2 and JavaScript read differently`);
}

function syntaxReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const at = message.lastIndexOf(': ');
  return at === -1 ? message : message.slice(at + 2);
}
