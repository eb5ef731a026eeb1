// Validation of the match trees in a ServiceProfile: request matches (route conditions) and
// response matches (response class conditions), with their all / any / not nesting.
//
// Contract: internal to src/profiles. Each match object sets at least one field; fields set
// together are ANDed; `all` and `any` hold at least one match; `not` holds one match (not a list);
// nesting is bounded (MAX_MATCH_DEPTH) so a hostile document cannot exhaust the stack. Problems go
// to the collector; the returned value is the cleaned match (known fields only).

import {
  type Fields,
  type FieldPath,
  type ProblemCollector,
  checkKnownFields,
  isSet,
  readList,
  readMapping,
  readNumber,
  readString,
} from './profile-fields.ts';
import { PATH_REGEX_ALLOWED, compilePathRegex } from './profile-path-regex.ts';
import type { RequestMatchSpec, ResponseMatchSpec, StatusRangeSpec } from './profile-types.ts';

/** How deep all / any / not may nest. */
export const MAX_MATCH_DEPTH = 32;

const REQUEST_FIELDS = ['all', 'any', 'not', 'pathRegex', 'method'];
const RESPONSE_FIELDS = ['all', 'any', 'not', 'status'];
const REQUEST_ALLOWED =
  'a request match setting at least one of pathRegex, method, all, any, not (fields set together are ANDed)';
const RESPONSE_ALLOWED =
  'a response match setting at least one of status, all, any, not (fields set together are ANDed)';
const STATUS_ALLOWED =
  'a status range {min, max} of HTTP status codes 100-599, inclusive, with max >= min; a single bound matches exactly that code';
const METHOD_ALLOWED =
  'an HTTP method token, case-sensitive, e.g. GET, POST, PUT, DELETE, PATCH or an extension method';

// RFC 9110 token characters.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REGISTERED_METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'HEAD', 'TRACE']);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A route condition (or a part of one). */
export function parseRequestMatch(
  c: ProblemCollector,
  value: unknown,
  path: FieldPath,
  depth = 0,
): RequestMatchSpec | undefined {
  const obj = readMapping(c, value, path, REQUEST_ALLOWED);
  if (obj === undefined) return undefined;
  if (depth >= MAX_MATCH_DEPTH) {
    c.add(path, `nests all/any/not more than ${MAX_MATCH_DEPTH} levels deep`, `at most ${MAX_MATCH_DEPTH} levels`);
    return undefined;
  }
  checkKnownFields(c, obj, path, REQUEST_FIELDS);
  const out: Mutable<RequestMatchSpec> = {};
  const all = parseList(c, obj, 'all', path, REQUEST_ALLOWED, (v, p) => parseRequestMatch(c, v, p, depth + 1));
  if (all !== undefined) out.all = all;
  const any = parseList(c, obj, 'any', path, REQUEST_ALLOWED, (v, p) => parseRequestMatch(c, v, p, depth + 1));
  if (any !== undefined) out.any = any;
  const not = parseNot(c, obj, path, REQUEST_ALLOWED, (v, p) => parseRequestMatch(c, v, p, depth + 1));
  if (not !== undefined) out.not = not;

  const pathRegex = readString(c, obj, 'pathRegex', path, PATH_REGEX_ALLOWED);
  if (pathRegex !== undefined) {
    const compiled = compilePathRegex(pathRegex);
    if (!compiled.ok) c.add([...path, 'pathRegex'], compiled.reason, PATH_REGEX_ALLOWED);
    out.pathRegex = pathRegex;
  }
  const method = readString(c, obj, 'method', path, METHOD_ALLOWED);
  if (method !== undefined) {
    const problem = methodProblem(method);
    if (problem !== undefined) c.add([...path, 'method'], problem, METHOD_ALLOWED);
    out.method = method;
  }
  if (!REQUEST_FIELDS.some((k) => isSet(obj, k))) c.add(path, 'sets no match field', REQUEST_ALLOWED);
  return out;
}

/** A response class condition (or a part of one). */
export function parseResponseMatch(
  c: ProblemCollector,
  value: unknown,
  path: FieldPath,
  depth = 0,
): ResponseMatchSpec | undefined {
  const obj = readMapping(c, value, path, RESPONSE_ALLOWED);
  if (obj === undefined) return undefined;
  if (depth >= MAX_MATCH_DEPTH) {
    c.add(path, `nests all/any/not more than ${MAX_MATCH_DEPTH} levels deep`, `at most ${MAX_MATCH_DEPTH} levels`);
    return undefined;
  }
  checkKnownFields(c, obj, path, RESPONSE_FIELDS);
  const out: Mutable<ResponseMatchSpec> = {};
  const all = parseList(c, obj, 'all', path, RESPONSE_ALLOWED, (v, p) => parseResponseMatch(c, v, p, depth + 1));
  if (all !== undefined) out.all = all;
  const any = parseList(c, obj, 'any', path, RESPONSE_ALLOWED, (v, p) => parseResponseMatch(c, v, p, depth + 1));
  if (any !== undefined) out.any = any;
  const not = parseNot(c, obj, path, RESPONSE_ALLOWED, (v, p) => parseResponseMatch(c, v, p, depth + 1));
  if (not !== undefined) out.not = not;
  if (isSet(obj, 'status')) {
    const status = parseStatusRange(c, obj['status'], [...path, 'status']);
    if (status !== undefined) out.status = status;
  }
  if (!RESPONSE_FIELDS.some((k) => isSet(obj, k))) c.add(path, 'sets no match field', RESPONSE_ALLOWED);
  return out;
}

function parseStatusRange(c: ProblemCollector, value: unknown, path: FieldPath): StatusRangeSpec | undefined {
  const obj = readMapping(c, value, path, STATUS_ALLOWED);
  if (obj === undefined) return undefined;
  checkKnownFields(c, obj, path, ['min', 'max']);
  const min = readStatusBound(c, obj, 'min', path);
  const max = readStatusBound(c, obj, 'max', path);
  if (!isSet(obj, 'min') && !isSet(obj, 'max')) c.add(path, 'sets neither min nor max', STATUS_ALLOWED);
  if (min !== undefined && max !== undefined && max < min)
    c.add([...path, 'max'], `${max} is below min ${min}`, STATUS_ALLOWED);
  return { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
}

function readStatusBound(c: ProblemCollector, obj: Fields, key: 'min' | 'max', path: FieldPath): number | undefined {
  const value = readNumber(c, obj, key, path, STATUS_ALLOWED);
  if (value === undefined) return undefined;
  if (Number.isInteger(value) && value >= 100 && value <= 599) return value;
  c.add([...path, key], `${value} is not an HTTP status code from 100 to 599`, STATUS_ALLOWED);
  return undefined;
}

function parseList<T>(
  c: ProblemCollector,
  obj: Fields,
  key: 'all' | 'any',
  path: FieldPath,
  allowed: string,
  parseItem: (value: unknown, path: FieldPath) => T | undefined,
): T[] | undefined {
  const items = readList(c, obj, key, path, `a list of matches, each ${allowed}`);
  if (items === undefined) return undefined;
  if (items.length === 0) {
    const means = key === 'all' ? 'would match everything' : 'would match nothing';
    c.add([...path, key], `is an empty list (it ${means})`, 'a list of at least one match');
  }
  const out: T[] = [];
  items.forEach((item, i) => {
    const parsed = parseItem(item, [...path, key, i]);
    if (parsed !== undefined) out.push(parsed);
  });
  return out;
}

function parseNot<T>(
  c: ProblemCollector,
  obj: Fields,
  path: FieldPath,
  allowed: string,
  parseItem: (value: unknown, path: FieldPath) => T | undefined,
): T | undefined {
  if (!isSet(obj, 'not')) return undefined;
  const value = obj['not'];
  if (Array.isArray(value)) {
    c.add([...path, 'not'], 'must be a single match, not a list (use not: {any: [...]} to negate several)', allowed);
    return undefined;
  }
  return parseItem(value, [...path, 'not']);
}

function methodProblem(method: string): string | undefined {
  if (!TOKEN.test(method)) return `${JSON.stringify(method)} is not an HTTP method token`;
  const upper = method.toUpperCase();
  if (upper !== method && REGISTERED_METHODS.has(upper)) {
    return `${JSON.stringify(method)} is not upper case; methods are case-sensitive (did you mean "${upper}"?)`;
  }
  return undefined;
}
