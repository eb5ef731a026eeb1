// GRPCRoute rules: matches (method {type, service, method} and headers), the header-modifier
// filters, and backendRefs.
//
// Contract: internal to src/routes (parseRoute calls it). Rules checked here beyond the field
// shapes: a method match sets service or method (or both); Exact values are proto names (the
// GRPCMethodMatch CEL patterns, so no "/"); RegularExpression values compile (route-regex). A rule
// without matches matches every request; a route without rules matches nothing.

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
} from './route-fields.ts';
import {
  GRPC_METHOD_PATTERN,
  GRPC_SERVICE_PATTERN,
  MAX_BACKEND_REFS,
  MAX_GRPC_MATCHES_PER_RULE,
  MAX_GRPC_NAME_LENGTH,
  MAX_MATCHES_PER_ROUTE,
  MAX_RULES,
} from './route-limits.ts';
import {
  BACKEND_REF_FIELDS,
  checkRegex,
  parseBackendRefBase,
  parseHeaderMatches,
  readMatchType,
  readRuleName,
} from './route-parse-common.ts';
import { parseFilters } from './route-parse-filters.ts';
import { ROUTE_REGEX_ALLOWED } from './route-regex.ts';
import type { GrpcBackendRef, GrpcMethodMatch, GrpcRouteFilter, GrpcRouteMatch, GrpcRouteRule } from './route-types.ts';

const RULE_FIELDS = ['name', 'matches', 'filters', 'backendRefs', 'sessionPersistence'];
const ALLOWED = {
  service: 'a fully-qualified proto service name such as helloworld.Greeter (letters, digits, _ and .)',
  method: 'a proto method name such as SayHello (letters, digits and _)',
  methodMatch: 'a method match {type?, service?, method?} with service or method (or both)',
} as const;

export function parseGrpcRules(c: ProblemCollector, spec: Fields, namespace: string): GrpcRouteRule[] {
  const path = ['spec'];
  const items = readList(c, spec, 'rules', path, { allowed: `a list of up to ${MAX_RULES} rules`, max: MAX_RULES });
  if (items === undefined) return [];
  const names = new Map<string, number>();
  const rules = collect(items, (item, i) => parseRule(c, item, [...path, 'rules', i], namespace, names));
  const total = rules.reduce((sum, r) => sum + r.matches.length, 0);
  if (total > MAX_MATCHES_PER_ROUTE) {
    c.add(
      [...path, 'rules'],
      `has ${total} matches in all`,
      `at most ${MAX_MATCHES_PER_ROUTE} matches across all rules (and ${MAX_GRPC_MATCHES_PER_RULE} per rule)`,
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
): GrpcRouteRule | undefined {
  const obj = readMapping(c, value, path, 'a rule {matches?, filters?, backendRefs?, name?}');
  if (obj === undefined) return undefined;
  checkKnownFields(c, obj, path, RULE_FIELDS);
  if (isSet(obj, 'sessionPersistence')) {
    c.addUnsupported(
      [...path, 'sessionPersistence'],
      'sessionPersistence is not implemented by nodemesh',
      'rules without sessionPersistence',
    );
  }
  const name = readRuleName(c, obj, path, names);
  const matchItems = readList(c, obj, 'matches', path, {
    allowed: `a list of up to ${MAX_GRPC_MATCHES_PER_RULE} matches`,
    max: MAX_GRPC_MATCHES_PER_RULE,
  });
  const matches = collect(matchItems ?? [], (m, i) => parseMatch(c, m, [...path, 'matches', i]));
  const filters = parseFilters(c, obj, path, 'GRPCRoute') as GrpcRouteFilter[];
  const backendItems = readList(c, obj, 'backendRefs', path, {
    allowed: `a list of up to ${MAX_BACKEND_REFS} backends`,
    max: MAX_BACKEND_REFS,
  });
  const backendRefs = collect(backendItems ?? [], (b, i) => parseBackend(c, b, [...path, 'backendRefs', i], namespace));
  return { ...(name === undefined ? {} : { name }), matches, filters, backendRefs };
}

function parseMatch(c: ProblemCollector, value: unknown, path: FieldPath): GrpcRouteMatch | undefined {
  const obj = readMapping(c, value, path, 'a match {method?, headers?}');
  if (obj === undefined) return undefined;
  checkKnownFields(c, obj, path, ['method', 'headers']);
  const method = isSet(obj, 'method') ? parseMethodMatch(c, obj['method'], [...path, 'method']) : undefined;
  const headers = parseHeaderMatches(c, obj, path);
  return { ...(method === undefined ? {} : { method }), headers };
}

function parseMethodMatch(c: ProblemCollector, value: unknown, path: FieldPath): GrpcMethodMatch | undefined {
  const obj = readMapping(c, value, path, ALLOWED.methodMatch);
  if (obj === undefined) return undefined;
  checkKnownFields(c, obj, path, ['type', 'service', 'method']);
  const type = readMatchType(c, obj, path);
  const service = readString(c, obj, 'service', path, ALLOWED.service);
  const method = readString(c, obj, 'method', path, ALLOWED.method);
  if (!isSet(obj, 'service') && !isSet(obj, 'method')) {
    c.add(path, 'sets neither service nor method', ALLOWED.methodMatch);
  }
  for (const [key, text, pattern] of [
    ['service', service, GRPC_SERVICE_PATTERN],
    ['method', method, GRPC_METHOD_PATTERN],
  ] as const) {
    if (text === undefined) continue;
    const at = [...path, key];
    if (type === 'RegularExpression') {
      if (checkText(c, at, text, { max: MAX_GRPC_NAME_LENGTH, allowed: ROUTE_REGEX_ALLOWED })) checkRegex(c, at, text);
    } else {
      checkText(c, at, text, { pattern, max: MAX_GRPC_NAME_LENGTH, allowed: ALLOWED[key] });
    }
  }
  if (type === undefined) return undefined;
  return {
    type,
    ...(service === undefined ? {} : { service }),
    ...(method === undefined ? {} : { method }),
  };
}

function parseBackend(
  c: ProblemCollector,
  value: unknown,
  path: FieldPath,
  namespace: string,
): GrpcBackendRef | undefined {
  const obj = readMapping(c, value, path, 'a backend {name, port, weight?, namespace?, group?, kind?, filters?}');
  if (obj === undefined) return undefined;
  checkKnownFields(c, obj, path, BACKEND_REF_FIELDS);
  const filters = parseFilters(c, obj, path, 'GRPCRoute') as GrpcRouteFilter[];
  return { ...parseBackendRefBase(c, obj, path, namespace), filters };
}
