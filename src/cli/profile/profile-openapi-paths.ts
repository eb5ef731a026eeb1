// From OpenAPI paths to ServiceProfile path regexes: path templates, the prefix of a Swagger 2
// `basePath` or an OpenAPI 3 server URL, and how the two are joined.
//
// Contract: pure; never throws. A template parameter (`{id}`) becomes `[^/]*` (one path segment,
// possibly empty, as Linkerd writes it); every other character is literal: the regex-special ones
// (`\.+*?()|[]{}^$`, Go's regexp.QuoteMeta set) are escaped, and bytes a request line cannot carry
// as-is (spaces, non-ASCII) are percent-encoded as a client sends them. The regex is not wrapped
// in ^…$: a pathRegex always matches the whole path (ADR 0004, and Linkerd's proxy does the same).

const PARAM = /\{[^{}/]*\}/g;
const SPECIAL = /[\\.+*?()|[\]{}^$]/g;
const NOT_PRINTABLE_ASCII = /[^\x21-\x7e]/gu;

/** The pathRegex that matches requests for the path template `path`. */
export function pathTemplateToRegex(path: string): string {
  let out = '';
  let last = 0;
  for (const match of path.matchAll(PARAM)) {
    out += literal(path.slice(last, match.index));
    out += '[^/]*';
    last = match.index + match[0].length;
  }
  return out + literal(path.slice(last));
}

function literal(text: string): string {
  return text.replace(NOT_PRINTABLE_ASCII, (c) => encodeURIComponent(c)).replace(SPECIAL, (c) => `\\${c}`);
}

/**
 * `prefix` + `relPath`, with exactly one `/` between them. Unlike Linkerd's path.Join the result
 * is not cleaned: a trailing slash is kept, because `/users/` and `/users` are different requests.
 */
export function joinPath(prefix: string, relPath: string): string {
  const base = prefix.replace(/\/+$/, '');
  const rel = relPath.startsWith('/') ? relPath : `/${relPath}`;
  return base + rel;
}

export type PrefixResult =
  { readonly ok: true; readonly prefix: string } | { readonly ok: false; readonly problem: string };

/** The prefix a Swagger 2 `basePath` adds to every path ('' when absent). */
export function swaggerBasePath(basePath: unknown): PrefixResult {
  if (basePath === undefined || basePath === null) return { ok: true, prefix: '' };
  if (typeof basePath !== 'string' || !basePath.startsWith('/')) {
    return { ok: false, problem: `${JSON.stringify(basePath)} is not a path starting with "/"` };
  }
  return { ok: true, prefix: stripQuery(basePath) };
}

/**
 * The path part of an OpenAPI 3 server URL, with `{variables}` replaced by their defaults:
 * `https://api.example.com/v1` and `/v1` give `/v1`; `/`, `.` and `` give ''. A relative URL
 * without a leading slash (`v1`) is read as `/v1`: the document's own location is unknown here.
 */
export function serverUrlPath(server: unknown): PrefixResult {
  if (typeof server !== 'object' || server === null || Array.isArray(server)) {
    return { ok: false, problem: `${describe(server)} is not a Server Object` };
  }
  const { url, variables } = server as { url?: unknown; variables?: unknown };
  if (typeof url !== 'string') return { ok: false, problem: `url is ${describe(url)}, not a string` };
  let missing: string | undefined;
  const expanded = url.replace(/\{([^{}]*)\}/g, (whole, name: string) => {
    const variable = isRecord(variables) ? variables[name] : undefined;
    const fallback = isRecord(variable) ? variable['default'] : undefined;
    if (typeof fallback === 'string' || typeof fallback === 'number') return String(fallback);
    missing ??= name;
    return whole;
  });
  if (missing !== undefined) {
    return { ok: false, problem: `url ${JSON.stringify(url)} uses {${missing}} without a default in variables` };
  }
  let pathPart: string;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(expanded) || expanded.startsWith('//')) {
    try {
      pathPart = new URL(expanded, 'http://relative.invalid').pathname;
    } catch {
      return { ok: false, problem: `url ${JSON.stringify(expanded)} is not a valid URL` };
    }
  } else {
    pathPart = stripQuery(expanded).replace(/^\.\/?/, '');
    if (!pathPart.startsWith('/')) pathPart = `/${pathPart}`;
  }
  return { ok: true, prefix: pathPart.replace(/\/+$/, '') };
}

function stripQuery(text: string): string {
  return text.replace(/[?#].*$/s, '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : JSON.stringify(value);
}
