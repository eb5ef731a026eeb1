// Route filters: the header modifiers (HTTPRoute and GRPCRoute), RequestRedirect (HTTPRoute), and
// the filters the CRD allows that nodemesh does not implement.
//
// Contract: internal to src/routes. Enforces the CRD's rules: a filter's type names the one field
// it carries; RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite and CORS
// appear at most once per list; RequestRedirect and URLRewrite are not combined; one header name
// takes one action per modifier (the HTTPHeaderFilter contract, names ignoring case). Filters of a
// type the CRD knows but nodemesh does not implement become `Unsupported` and are noted, not
// refused: the CRD accepts them, and the controller reports Accepted=False/UnsupportedValue.

import type { ProblemCollector } from './route-fields.ts';
import {
  type FieldPath,
  type Fields,
  checkKnownFields,
  checkText,
  collect,
  isMapping,
  isSet,
  readInteger,
  readList,
  readMapping,
  readString,
  requireField,
} from './route-fields.ts';
import { ALLOWED, checkHeaderName, checkHeaderValue } from './route-parse-common.ts';
import {
  MAX_FILTERS,
  MAX_HEADER_MODIFIER_ITEMS,
  MAX_PATH_LENGTH,
  MAX_PORT,
  PRECISE_HOSTNAME_PATTERN,
} from './route-limits.ts';
import {
  type HeaderModifier,
  type HeaderValue,
  type HttpRouteFilter,
  type PathModifier,
  REDIRECT_STATUS_CODES,
  type RedirectStatusCode,
  type RequestRedirect,
  type RouteKind,
} from './route-types.ts';

/** Each filter type and the field that carries its settings (HTTPRouteFilter / GRPCRouteFilter). */
const FILTER_FIELDS: Readonly<Record<string, string>> = {
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  RequestRedirect: 'requestRedirect',
  URLRewrite: 'urlRewrite',
  RequestMirror: 'requestMirror',
  CORS: 'cors',
  ExternalAuth: 'externalAuth',
  ExtensionRef: 'extensionRef',
};
/** The HTTPRouteFilter.Type enum (standard and experimental channels) and the GRPCRouteFilter.Type enum. */
const FILTER_TYPES: Readonly<Record<RouteKind, readonly string[]>> = {
  HTTPRoute: [
    'RequestHeaderModifier',
    'ResponseHeaderModifier',
    'RequestMirror',
    'RequestRedirect',
    'URLRewrite',
    'ExtensionRef',
    'CORS',
    'ExternalAuth',
  ],
  GRPCRoute: ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef'],
};
const SUPPORTED: Readonly<Record<RouteKind, readonly string[]>> = {
  HTTPRoute: ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect'],
  GRPCRoute: ['RequestHeaderModifier', 'ResponseHeaderModifier'],
};
const NOT_REPEATABLE = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite', 'CORS'];
const REDIRECT_FIELDS = ['scheme', 'hostname', 'path', 'port', 'statusCode'];
const PATH_MODIFIER_FIELDS = ['type', 'replaceFullPath', 'replacePrefixMatch'];

/** Parse `obj.filters` of a rule or backendRef. GRPCRoute filters are a subset of HTTPRoute's. */
export function parseFilters(c: ProblemCollector, obj: Fields, path: FieldPath, kind: RouteKind): HttpRouteFilter[] {
  const types = FILTER_TYPES[kind];
  const items = readList(c, obj, 'filters', path, {
    allowed: `a list of up to ${MAX_FILTERS} filters`,
    max: MAX_FILTERS,
  });
  if (items === undefined) return [];
  const listPath = [...path, 'filters'];
  const filters = collect(items, (item, i) => parseFilter(c, item, [...listPath, i], kind));
  const typeOf = (item: unknown): unknown => (isMapping(item) ? item['type'] : undefined);
  for (const type of NOT_REPEATABLE) {
    const count = items.filter((item) => typeOf(item) === type).length;
    if (count > 1)
      c.add(listPath, `has ${count} ${type} filters`, `at most one ${type} filter per list (${types.join(', ')})`);
  }
  if (items.some((f) => typeOf(f) === 'RequestRedirect') && items.some((f) => typeOf(f) === 'URLRewrite')) {
    c.add(listPath, 'combines RequestRedirect and URLRewrite', 'either RequestRedirect or URLRewrite, not both');
  }
  return filters;
}

function parseFilter(
  c: ProblemCollector,
  value: unknown,
  path: FieldPath,
  kind: RouteKind,
): HttpRouteFilter | undefined {
  const types = FILTER_TYPES[kind];
  const obj = readMapping(c, value, path, `a filter {type, <its settings>}; type one of ${types.join(', ')}`);
  if (obj === undefined) return undefined;
  checkKnownFields(c, obj, path, ['type', ...types.map((t) => FILTER_FIELDS[t] ?? t)]);
  const type = readString(c, obj, 'type', path, types.join(', '));
  if (!requireField(c, obj, 'type', path, types.join(', ')) || type === undefined) return undefined;
  if (!types.includes(type)) {
    c.add([...path, 'type'], `is not a ${kind} filter type`, types.join(', '), type);
    return undefined;
  }
  const field = FILTER_FIELDS[type] ?? type;
  for (const other of types) {
    const otherField = FILTER_FIELDS[other] ?? other;
    if (other !== type && isSet(obj, otherField)) {
      c.add([...path, otherField], `must not be set when type is ${type}`, `only ${field} with type ${type}`);
    }
  }
  if (!requireField(c, obj, field, path, `the ${type} settings`)) return undefined;
  if (!SUPPORTED[kind].includes(type)) {
    c.addUnsupported(
      [...path, 'type'],
      `the ${type} filter is not implemented by nodemesh`,
      SUPPORTED[kind].join(', '),
      type,
    );
    readMapping(c, obj[field], [...path, field], `the ${type} settings`);
    return { type: 'Unsupported', filterType: type };
  }
  switch (type) {
    case 'RequestHeaderModifier':
      return { type, requestHeaderModifier: parseHeaderModifier(c, obj[field], [...path, field]) };
    case 'ResponseHeaderModifier':
      return { type, responseHeaderModifier: parseHeaderModifier(c, obj[field], [...path, field]) };
    default:
      return { type: 'RequestRedirect', requestRedirect: parseRedirect(c, obj[field], [...path, field]) };
  }
}

function parseHeaderModifier(c: ProblemCollector, value: unknown, path: FieldPath): HeaderModifier {
  const empty: HeaderModifier = { set: [], add: [], remove: [] };
  const obj = readMapping(c, value, path, 'a header modifier {set?, add?, remove?}');
  if (obj === undefined) return empty;
  checkKnownFields(c, obj, path, ['set', 'add', 'remove']);
  // HTTPHeaderFilter: "Only one action for a given header name is permitted" (names ignore case).
  const actions = new Map<string, string>();
  const claim = (name: string, at: FieldPath, where: string): void => {
    const key = name.toLowerCase();
    const earlier = actions.get(key);
    if (earlier !== undefined) {
      c.add(
        at,
        `names a header already handled by ${earlier} (names ignore case)`,
        'one action (set, add or remove) per header name',
        name,
      );
    } else {
      actions.set(key, where);
    }
  };
  const limits = (what: string) => ({
    allowed: `a list of up to ${MAX_HEADER_MODIFIER_ITEMS} ${what}`,
    max: MAX_HEADER_MODIFIER_ITEMS,
  });
  const readHeaders = (key: 'set' | 'add'): HeaderValue[] => {
    const items = readList(c, obj, key, path, limits('headers {name, value}'));
    if (items === undefined) return [];
    return collect(items, (item, i) => {
      const itemPath = [...path, key, i];
      const header = readMapping(c, item, itemPath, 'a header {name, value}');
      if (header === undefined) return undefined;
      checkKnownFields(c, header, itemPath, ['name', 'value']);
      const name = readString(c, header, 'name', itemPath, ALLOWED.headerName);
      if (requireField(c, header, 'name', itemPath, ALLOWED.headerName) && name !== undefined) {
        if (checkHeaderName(c, [...itemPath, 'name'], name)) claim(name, [...itemPath, 'name'], `${key}[${i}]`);
      }
      const text = readString(c, header, 'value', itemPath, ALLOWED.headerValue);
      if (requireField(c, header, 'value', itemPath, ALLOWED.headerValue) && text !== undefined) {
        checkHeaderValue(c, [...itemPath, 'value'], text);
      }
      return name === undefined || text === undefined ? undefined : { name, value: text };
    });
  };
  const set = readHeaders('set');
  const add = readHeaders('add');
  const removeItems = readList(c, obj, 'remove', path, limits('header names'));
  const remove = collect(removeItems ?? [], (item, i) => {
    if (typeof item !== 'string') {
      c.add([...path, 'remove', i], 'must be a string', ALLOWED.headerName, item);
      return undefined;
    }
    if (checkHeaderName(c, [...path, 'remove', i], item)) claim(item, [...path, 'remove', i], `remove[${i}]`);
    return item;
  });
  return { set, add, remove };
}

function parseRedirect(c: ProblemCollector, value: unknown, path: FieldPath): RequestRedirect {
  const out: { -readonly [K in keyof RequestRedirect]: RequestRedirect[K] } = { statusCode: 302 };
  const obj = readMapping(c, value, path, 'a redirect {scheme?, hostname?, path?, port?, statusCode?}');
  if (obj === undefined) return out;
  checkKnownFields(c, obj, path, REDIRECT_FIELDS);
  const scheme = readString(c, obj, 'scheme', path, 'http or https');
  if (scheme === 'http' || scheme === 'https') out.scheme = scheme;
  else if (scheme !== undefined) c.add([...path, 'scheme'], 'is not a redirect scheme', 'http or https', scheme);
  const hostname = readString(c, obj, 'hostname', path, 'a lower-case DNS name without wildcard');
  if (hostname !== undefined) {
    checkText(c, [...path, 'hostname'], hostname, {
      pattern: PRECISE_HOSTNAME_PATTERN,
      max: 253,
      allowed: 'a lower-case DNS name without wildcard, e.g. web.example.com',
    });
    out.hostname = hostname;
  }
  if (isSet(obj, 'path')) {
    const modifier = parsePathModifier(c, obj['path'], [...path, 'path']);
    if (modifier !== undefined) out.path = modifier;
  }
  const port = readInteger(c, obj, 'port', path, { min: 1, max: MAX_PORT });
  if (port !== undefined) out.port = port;
  const codes = REDIRECT_STATUS_CODES.join(', ');
  const status = obj['statusCode'];
  if (isSet(obj, 'statusCode')) {
    if ((REDIRECT_STATUS_CODES as readonly unknown[]).includes(status)) out.statusCode = status as RedirectStatusCode;
    else c.add([...path, 'statusCode'], 'is not a redirect status code', `${codes} (301 and 302 are Core)`, status);
  }
  return out;
}

function parsePathModifier(c: ProblemCollector, value: unknown, path: FieldPath): PathModifier | undefined {
  const allowedType = 'ReplaceFullPath or ReplacePrefixMatch';
  const obj = readMapping(
    c,
    value,
    path,
    '{type: ReplaceFullPath, replaceFullPath} or {type: ReplacePrefixMatch, replacePrefixMatch}',
  );
  if (obj === undefined) return undefined;
  checkKnownFields(c, obj, path, PATH_MODIFIER_FIELDS);
  const type = readString(c, obj, 'type', path, allowedType);
  if (!requireField(c, obj, 'type', path, allowedType) || type === undefined) return undefined;
  if (type !== 'ReplaceFullPath' && type !== 'ReplacePrefixMatch') {
    c.add([...path, 'type'], 'is not a path modifier type', allowedType, type);
    return undefined;
  }
  const field = type === 'ReplaceFullPath' ? 'replaceFullPath' : 'replacePrefixMatch';
  const other = type === 'ReplaceFullPath' ? 'replacePrefixMatch' : 'replaceFullPath';
  if (isSet(obj, other))
    c.add([...path, other], `must not be set when type is ${type}`, `only ${field} with type ${type}`);
  const allowed = `a path of at most ${MAX_PATH_LENGTH} characters`;
  const text = readString(c, obj, field, path, allowed);
  if (!requireField(c, obj, field, path, `${field} when type is ${type}`) || text === undefined) return undefined;
  checkText(c, [...path, field], text, { min: 0, max: MAX_PATH_LENGTH, allowed });
  return type === 'ReplaceFullPath' ? { type, replaceFullPath: text } : { type, replacePrefixMatch: text };
}
