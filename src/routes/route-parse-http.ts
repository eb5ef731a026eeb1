// HTTPRoute rules: matches (path, headers, query params, method), filters, backendRefs and
// timeouts, with the CRD's defaults applied and its CEL rules checked.
//
// Contract: internal to src/routes (parseRoute calls it). Rules checked here beyond the field
// shapes: Exact and PathPrefix values are absolute, clean paths (HTTPPathMatch CEL rules);
// RegularExpression values compile (route-regex); a query param name appears once per match; a
// RequestRedirect is not combined with backendRefs; ReplacePrefixMatch needs exactly one PathPrefix
// match; backendRequest is not longer than request unless request is 0s (HTTPRouteTimeouts CEL).

import { GATEWAY_DURATION_ALLOWED, parseGatewayDurationMs } from './route-duration.ts';
import type { ProblemCollector } from './route-fields.ts';
import {
  type FieldPath,
  type Fields,
  checkKnownFields,
  checkText,
  collect,
  isSet,
  readList,
  readMapping,
  readString,
  requireField,
} from './route-fields.ts';
import {
  MAX_BACKEND_REFS,
  MAX_HTTP_MATCHES_PER_RULE,
  MAX_MATCHES_PER_ROUTE,
  MAX_PATH_LENGTH,
  MAX_QUERY_PARAM_MATCHES,
  MAX_QUERY_VALUE_LENGTH,
  MAX_RULES,
  PATH_CHARACTERS_PATTERN,
  PATH_FORBIDDEN_SEQUENCES,
  PATH_FORBIDDEN_SUFFIXES,
} from './route-limits.ts';
import {
  ALLOWED,
  BACKEND_REF_FIELDS,
  checkHeaderName,
  checkRegex,
  parseBackendRefBase,
  parseHeaderMatches,
  readMatchType,
  readRuleName,
} from './route-parse-common.ts';
import { parseFilters } from './route-parse-filters.ts';
import { ROUTE_REGEX_ALLOWED } from './route-regex.ts';
import {
  HTTP_METHODS,
  type HttpBackendRef,
  type HttpMethod,
  type HttpRouteFilter,
  type HttpRouteMatch,
  type HttpRouteRule,
  type HttpRouteTimeouts,
  type PathMatch,
  type QueryParamMatch,
} from './route-types.ts';

const RULE_FIELDS = ['name', 'matches', 'filters', 'backendRefs', 'timeouts', 'retry', 'sessionPersistence'];
const MATCH_FIELDS = ['path', 'headers', 'queryParams', 'method'];
const PATH_ALLOWED = `an absolute path of at most ${MAX_PATH_LENGTH} characters, e.g. /books; no "//", "/./", "/../", "%2f" or "#", not ending in "/." or "/.."`;
const DEFAULT_PATH: PathMatch = { type: 'PathPrefix', value: '/' };

/** The rules of an HTTPRoute; absent rules default to one rule that matches every request. */
export function parseHttpRules(c: ProblemCollector, spec: Fields, namespace: string): HttpRouteRule[] {
  const path = ['spec'];
  if (!isSet(spec, 'rules'))
    return [{ matches: [{ path: DEFAULT_PATH, headers: [], queryParams: [] }], filters: [], backendRefs: [] }];
  const items = readList(c, spec, 'rules', path, { allowed: `a list of 1 to ${MAX_RULES} rules`, max: MAX_RULES });
  if (items === undefined) return [];
  if (items.length === 0)
    c.add(
      [...path, 'rules'],
      'is empty',
      `1 to ${MAX_RULES} rules, or no rules field for one rule that matches everything`,
    );
  const names = new Map<string, number>();
  const rules = collect(items, (item, i) => parseRule(c, item, [...path, 'rules', i], namespace, names));
  const total = rules.reduce((sum, r) => sum + r.matches.length, 0);
  if (total > MAX_MATCHES_PER_ROUTE) {
    c.add(
      [...path, 'rules'],
      `has ${total} matches in all`,
      `at most ${MAX_MATCHES_PER_ROUTE} matches across all rules (and ${MAX_HTTP_MATCHES_PER_RULE} per rule)`,
    );
  }
  return rules;
}

function parseRule(
  c: ProblemCollector,
  value: unknown,
  path: FieldPath,
  namespace: string,
  names: Map<string, number>,
): HttpRouteRule | undefined {
  const obj = readMapping(c, value, path, 'a rule {matches?, filters?, backendRefs?, timeouts?, name?}');
  if (obj === undefined) return undefined;
  checkKnownFields(c, obj, path, RULE_FIELDS);
  for (const field of ['retry', 'sessionPersistence']) {
    if (isSet(obj, field))
      c.addUnsupported(
        [...path, field],
        `${field} is not implemented by nodemesh`,
        'rules without it (nodemesh does not implement HTTPRoute retry or session persistence)',
      );
  }
  const name = readRuleName(c, obj, path, names);
  const matchItems = readList(c, obj, 'matches', path, {
    allowed: `a list of up to ${MAX_HTTP_MATCHES_PER_RULE} matches`,
    max: MAX_HTTP_MATCHES_PER_RULE,
  });
  const matches =
    matchItems === undefined || matchItems.length === 0
      ? [{ path: DEFAULT_PATH, headers: [], queryParams: [] }]
      : collect(matchItems, (m, i) => parseMatch(c, m, [...path, 'matches', i]));
  const filters = parseFilters(c, obj, path, 'HTTPRoute');
  const backendItems = readList(c, obj, 'backendRefs', path, {
    allowed: `a list of up to ${MAX_BACKEND_REFS} backends`,
    max: MAX_BACKEND_REFS,
  });
  const backendRefs = collect(backendItems ?? [], (b, i) => parseBackend(c, b, [...path, 'backendRefs', i], namespace));
  if (backendRefs.length > 0 && filters.some((f) => f.type === 'RequestRedirect')) {
    c.add(
      [...path, 'filters'],
      'has a RequestRedirect filter and the rule has backendRefs',
      'a redirect rule without backendRefs (the redirect is the answer), or backendRefs without a redirect',
    );
  }
  const prefixRedirect = (list: readonly HttpRouteFilter[]): boolean =>
    list.some((f) => f.type === 'RequestRedirect' && f.requestRedirect.path?.type === 'ReplacePrefixMatch');
  if (prefixRedirect(filters) || backendRefs.some((b) => prefixRedirect(b.filters))) {
    if (matches.length !== 1 || matches[0]?.path.type !== 'PathPrefix') {
      c.add(
        [...path, 'matches'],
        'is not exactly one PathPrefix match, and a redirect uses ReplacePrefixMatch',
        'exactly one match with a PathPrefix path when a redirect uses ReplacePrefixMatch',
      );
    }
  }
  const timeouts = isSet(obj, 'timeouts') ? parseTimeouts(c, obj['timeouts'], [...path, 'timeouts']) : undefined;
  return {
    ...(name === undefined ? {} : { name }),
    matches,
    filters,
    backendRefs,
    ...(timeouts === undefined ? {} : { timeouts }),
  };
}

function parseMatch(c: ProblemCollector, value: unknown, path: FieldPath): HttpRouteMatch | undefined {
  const obj = readMapping(c, value, path, 'a match {path?, headers?, queryParams?, method?}');
  if (obj === undefined) return undefined;
  checkKnownFields(c, obj, path, MATCH_FIELDS);
  const pathMatch = isSet(obj, 'path') ? parsePathMatch(c, obj['path'], [...path, 'path']) : DEFAULT_PATH;
  const headers = parseHeaderMatches(c, obj, path);
  const queryParams = parseQueryParams(c, obj, path);
  const methods = HTTP_METHODS.join(', ');
  const method = readString(c, obj, 'method', path, methods);
  if (method !== undefined && !(HTTP_METHODS as readonly string[]).includes(method)) {
    c.add([...path, 'method'], 'is not a method HTTPRoute can match (upper case)', methods, method);
  }
  return {
    path: pathMatch ?? DEFAULT_PATH,
    headers,
    queryParams,
    ...(method === undefined ? {} : { method: method as HttpMethod }),
  };
}

function parsePathMatch(c: ProblemCollector, value: unknown, path: FieldPath): PathMatch | undefined {
  const obj = readMapping(c, value, path, 'a path match {type?, value?}');
  if (obj === undefined) return undefined;
  checkKnownFields(c, obj, path, ['type', 'value']);
  const types = 'Exact, PathPrefix or RegularExpression';
  const type = readString(c, obj, 'type', path, types) ?? 'PathPrefix';
  const text = readString(c, obj, 'value', path, PATH_ALLOWED) ?? '/';
  const valuePath = [...path, 'value'];
  if (type === 'RegularExpression') {
    if (checkText(c, valuePath, text, { max: MAX_PATH_LENGTH, allowed: ROUTE_REGEX_ALLOWED }))
      checkRegex(c, valuePath, text);
    return { type, value: text };
  }
  if (type !== 'Exact' && type !== 'PathPrefix') {
    c.add([...path, 'type'], 'is not a path match type', types, type);
    return undefined;
  }
  checkPathValue(c, valuePath, text);
  return { type, value: text };
}

/** The HTTPPathMatch CEL rules for Exact and PathPrefix values. */
function checkPathValue(c: ProblemCollector, path: FieldPath, value: string): void {
  if (!checkText(c, path, value, { max: MAX_PATH_LENGTH, allowed: PATH_ALLOWED })) return;
  if (!value.startsWith('/')) c.add(path, 'does not start with "/"', PATH_ALLOWED, value);
  for (const sequence of PATH_FORBIDDEN_SEQUENCES) {
    if (value.includes(sequence)) c.add(path, `contains ${JSON.stringify(sequence)}`, PATH_ALLOWED, value);
  }
  for (const suffix of PATH_FORBIDDEN_SUFFIXES) {
    if (value.endsWith(suffix)) c.add(path, `ends with ${JSON.stringify(suffix)}`, PATH_ALLOWED, value);
  }
  if (!PATH_CHARACTERS_PATTERN.test(value)) {
    c.add(
      path,
      'has a character a path cannot hold unescaped',
      `${PATH_ALLOWED}; other characters percent-encoded (%20)`,
      value,
    );
  }
}

function parseQueryParams(c: ProblemCollector, obj: Fields, path: FieldPath): QueryParamMatch[] {
  const items = readList(c, obj, 'queryParams', path, {
    allowed: `a list of up to ${MAX_QUERY_PARAM_MATCHES} query param matches {name, value, type?}`,
    max: MAX_QUERY_PARAM_MATCHES,
  });
  if (items === undefined) return [];
  const seen = new Map<string, number>();
  const valueAllowed = `1 to ${MAX_QUERY_VALUE_LENGTH} characters`;
  return collect(items, (item, i) => {
    const itemPath = [...path, 'queryParams', i];
    const match = readMapping(c, item, itemPath, 'a query param match {name, value, type?}');
    if (match === undefined) return undefined;
    checkKnownFields(c, match, itemPath, ['type', 'name', 'value']);
    const type = readMatchType(c, match, itemPath);
    const name = readString(c, match, 'name', itemPath, ALLOWED.headerName);
    if (requireField(c, match, 'name', itemPath, ALLOWED.headerName) && name !== undefined) {
      checkHeaderName(c, [...itemPath, 'name'], name);
      const earlier = seen.get(name);
      if (earlier !== undefined)
        c.add(
          [...itemPath, 'name'],
          `repeats the query param of queryParams[${earlier}]`,
          'each query param name once per match',
          name,
        );
      else seen.set(name, i);
    }
    const text = readString(c, match, 'value', itemPath, valueAllowed);
    if (requireField(c, match, 'value', itemPath, valueAllowed) && text !== undefined) {
      if (
        checkText(c, [...itemPath, 'value'], text, { max: MAX_QUERY_VALUE_LENGTH, allowed: valueAllowed }) &&
        type === 'RegularExpression'
      ) {
        checkRegex(c, [...itemPath, 'value'], text);
      }
    }
    if (type === undefined || name === undefined || text === undefined) return undefined;
    return { type, name, value: text };
  });
}

function parseBackend(
  c: ProblemCollector,
  value: unknown,
  path: FieldPath,
  namespace: string,
): HttpBackendRef | undefined {
  const obj = readMapping(c, value, path, 'a backend {name, port, weight?, namespace?, group?, kind?, filters?}');
  if (obj === undefined) return undefined;
  checkKnownFields(c, obj, path, BACKEND_REF_FIELDS);
  return { ...parseBackendRefBase(c, obj, path, namespace), filters: parseFilters(c, obj, path, 'HTTPRoute') };
}

function parseTimeouts(c: ProblemCollector, value: unknown, path: FieldPath): HttpRouteTimeouts | undefined {
  const obj = readMapping(c, value, path, 'timeouts {request?, backendRequest?}');
  if (obj === undefined) return undefined;
  checkKnownFields(c, obj, path, ['request', 'backendRequest']);
  const out: { -readonly [K in keyof HttpRouteTimeouts]: HttpRouteTimeouts[K] } = {};
  for (const key of ['request', 'backendRequest'] as const) {
    const text = readString(c, obj, key, path, GATEWAY_DURATION_ALLOWED);
    if (text === undefined) continue;
    const ms = parseGatewayDurationMs(text);
    if (ms === undefined) {
      c.add([...path, key], 'is not a Gateway API duration', GATEWAY_DURATION_ALLOWED, text);
      continue;
    }
    out[key] = text;
    out[`${key}Ms`] = ms;
  }
  if (
    out.requestMs !== undefined &&
    out.backendRequestMs !== undefined &&
    out.requestMs !== 0 &&
    out.backendRequestMs > out.requestMs
  ) {
    c.add(
      [...path, 'backendRequest'],
      `is longer than request (${out.request})`,
      'a backendRequest timeout no longer than the request timeout (or request 0s, no limit)',
      out.backendRequest,
    );
  }
  return out;
}
