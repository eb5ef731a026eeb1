// The parts HTTPRoute and GRPCRoute share: parentRefs, hostnames, header matches and backendRefs.
//
// Contract: internal to src/routes; each function records problems in the collector and returns
// what it could read, with defaults applied and namespaces resolved against the route's own.

import type { ProblemCollector } from './route-fields.ts';
import {
  type FieldPath,
  type Fields,
  checkKnownFields,
  checkText,
  collect,
  isSet,
  readInteger,
  readList,
  readMapping,
  readString,
  requireField,
} from './route-fields.ts';
import {
  GROUP_PATTERN,
  HEADER_NAME_PATTERN,
  HOSTNAME_PATTERN,
  KIND_PATTERN,
  MAX_HEADER_MATCHES,
  MAX_HEADER_NAME_LENGTH,
  MAX_HEADER_VALUE_LENGTH,
  MAX_HOSTNAMES,
  MAX_PARENT_REFS,
  MAX_PORT,
  MAX_WEIGHT,
  NAMESPACE_PATTERN,
  SECTION_NAME_PATTERN,
} from './route-limits.ts';
import { ROUTE_REGEX_ALLOWED, compileRouteRegex } from './route-regex.ts';
import { type BackendRef, GATEWAY_API_GROUP, type HeaderMatch, type MatchType, type ParentRef } from './route-types.ts';

export const ALLOWED = {
  headerName: `an HTTP header name (an RFC 7230 token: letters, digits and !#$%&'*+-.^_\`|~), 1 to ${MAX_HEADER_NAME_LENGTH} characters`,
  headerValue: `1 to ${MAX_HEADER_VALUE_LENGTH} characters, without control characters other than tab`,
  matchType: 'Exact or RegularExpression',
  namespace: 'a namespace name: an RFC 1123 label (lower-case letters, digits and -, at most 63 characters)',
  objectName: 'an object name, 1 to 253 characters',
  group: 'an API group: "" for core, or a DNS subdomain such as gateway.networking.k8s.io',
  kind: 'a kind such as Service, 1 to 63 letters, digits and -',
  sectionName: 'a DNS subdomain: lower-case letters, digits, - and ., at most 253 characters',
  port: `a port number from 1 to ${MAX_PORT}`,
  hostname: 'a lower-case DNS name, optionally starting with "*.", e.g. web.shop.svc.cluster.local; no IP addresses',
} as const;

const PARENT_REF_FIELDS = ['group', 'kind', 'namespace', 'name', 'sectionName', 'port'];
const HEADER_MATCH_FIELDS = ['type', 'name', 'value'];
export const BACKEND_REF_FIELDS = ['group', 'kind', 'name', 'namespace', 'port', 'weight', 'filters'];

/** True for the core API group as written in a reference: "" or Linkerd's alias "core". */
export function isCoreGroup(group: string): boolean {
  return group === '' || group === 'core';
}

export function checkHeaderName(c: ProblemCollector, path: FieldPath, name: string): boolean {
  return checkText(c, path, name, {
    pattern: HEADER_NAME_PATTERN,
    max: MAX_HEADER_NAME_LENGTH,
    allowed: ALLOWED.headerName,
  });
}

/** A header value to match or to write: non-empty, bounded, and no CR, LF, NUL or other controls. */
export function checkHeaderValue(c: ProblemCollector, path: FieldPath, value: string): boolean {
  if (!checkText(c, path, value, { max: MAX_HEADER_VALUE_LENGTH, allowed: ALLOWED.headerValue })) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) {
    c.add(path, 'contains a control character (a header cannot carry it)', ALLOWED.headerValue, value);
    return false;
  }
  return true;
}

export function readMatchType(c: ProblemCollector, obj: Fields, path: FieldPath): MatchType | undefined {
  const type = readString(c, obj, 'type', path, ALLOWED.matchType) ?? 'Exact';
  if (type === 'Exact' || type === 'RegularExpression') return type;
  c.add([...path, 'type'], 'is not a match type', ALLOWED.matchType, type);
  return undefined;
}

/** A value that is a regular expression when `type` says so. */
export function checkRegex(c: ProblemCollector, path: FieldPath, value: string): void {
  const compiled = compileRouteRegex(value);
  if (!compiled.ok) c.add(path, compiled.reason, ROUTE_REGEX_ALLOWED, value);
}

export function parseParentRefs(c: ProblemCollector, spec: Fields, routeNamespace: string): ParentRef[] {
  const path = ['spec'];
  const items = readList(c, spec, 'parentRefs', path, {
    allowed: `a list of up to ${MAX_PARENT_REFS} parent references, e.g. {group: "", kind: Service, name: web, port: 80}`,
    max: MAX_PARENT_REFS,
  });
  if (items === undefined) return [];
  const refs = collect(items, (item, i) => parseParentRef(c, item, [...path, 'parentRefs', i], routeNamespace));
  checkDistinctParents(c, refs, items);
  return refs;
}

function parseParentRef(
  c: ProblemCollector,
  value: unknown,
  path: FieldPath,
  routeNamespace: string,
): ParentRef | undefined {
  const obj = readMapping(c, value, path, 'a parent reference {group, kind, name, namespace?, port?, sectionName?}');
  if (obj === undefined) return undefined;
  checkKnownFields(c, obj, path, PARENT_REF_FIELDS);
  const group = readString(c, obj, 'group', path, ALLOWED.group) ?? GATEWAY_API_GROUP;
  checkText(c, [...path, 'group'], group, { pattern: GROUP_PATTERN, min: 0, max: 253, allowed: ALLOWED.group });
  const kind = readString(c, obj, 'kind', path, ALLOWED.kind) ?? 'Gateway';
  checkText(c, [...path, 'kind'], kind, { pattern: KIND_PATTERN, max: 63, allowed: ALLOWED.kind });
  const name = readString(c, obj, 'name', path, ALLOWED.objectName);
  if (requireField(c, obj, 'name', path, ALLOWED.objectName) && name !== undefined) {
    checkText(c, [...path, 'name'], name, { max: 253, allowed: ALLOWED.objectName });
  }
  const namespace = readNamespace(c, obj, path);
  const sectionName = readString(c, obj, 'sectionName', path, ALLOWED.sectionName);
  if (sectionName !== undefined) {
    checkText(c, [...path, 'sectionName'], sectionName, {
      pattern: SECTION_NAME_PATTERN,
      max: 253,
      allowed: ALLOWED.sectionName,
    });
  }
  const port = readInteger(c, obj, 'port', path, { min: 1, max: MAX_PORT });
  return {
    group,
    kind,
    name: name ?? '',
    namespace: namespace ?? routeNamespace,
    ...(sectionName === undefined ? {} : { sectionName }),
    ...(port === undefined ? {} : { port }),
    mesh: isCoreGroup(group) && kind === 'Service',
  };
}

// The CEL rules on CommonRouteSpec.ParentRefs: references to the same object must all set the
// same optional fields (sectionName, port), and differ in them.
function checkDistinctParents(c: ProblemCollector, refs: readonly ParentRef[], items: readonly unknown[]): void {
  if (refs.length !== items.length) return; // some did not parse; their problems are reported
  const seen = new Map<string, { index: number; ref: ParentRef }>();
  refs.forEach((ref, i) => {
    const object = `${ref.group}/${ref.kind}/${ref.namespace}/${ref.name}`;
    const key = `${object}#${ref.sectionName ?? ''}#${ref.port ?? ''}`;
    const earlier = seen.get(key);
    const sameObject = [...seen.values()].find(
      (s) => `${s.ref.group}/${s.ref.kind}/${s.ref.namespace}/${s.ref.name}` === object,
    );
    if (earlier !== undefined) {
      c.add(
        ['spec', 'parentRefs', i],
        `refers to the same parent as parentRefs[${earlier.index}]`,
        'distinct parents; to attach to two ports of one Service, give each reference its own port',
      );
    } else if (
      sameObject !== undefined &&
      ((sameObject.ref.sectionName === undefined) !== (ref.sectionName === undefined) ||
        (sameObject.ref.port === undefined) !== (ref.port === undefined))
    ) {
      c.add(
        ['spec', 'parentRefs', i],
        `refers to the same parent as parentRefs[${sameObject.index}] but sets other optional fields`,
        'references to one parent that all set port (or all set sectionName) to different values',
      );
    }
    if (earlier === undefined) seen.set(key, { index: i, ref });
  });
}

export function readNamespace(c: ProblemCollector, obj: Fields, path: FieldPath): string | undefined {
  const namespace = readString(c, obj, 'namespace', path, ALLOWED.namespace);
  if (namespace === undefined) return undefined;
  checkText(c, [...path, 'namespace'], namespace, { pattern: NAMESPACE_PATTERN, max: 63, allowed: ALLOWED.namespace });
  return namespace;
}

export function parseHostnames(c: ProblemCollector, spec: Fields): string[] {
  const path = ['spec'];
  const items = readList(c, spec, 'hostnames', path, {
    allowed: `a list of up to ${MAX_HOSTNAMES} hostnames`,
    max: MAX_HOSTNAMES,
  });
  if (items === undefined) return [];
  return collect(items, (item, i) => {
    const itemPath = [...path, 'hostnames', i];
    if (typeof item !== 'string') {
      c.add(itemPath, 'must be a string', ALLOWED.hostname, item);
      return undefined;
    }
    if (!checkText(c, itemPath, item, { pattern: HOSTNAME_PATTERN, max: 253, allowed: ALLOWED.hostname }))
      return undefined;
    if (/^(\d+\.){3}\d+$/.test(item)) {
      c.add(itemPath, 'is an IP address', ALLOWED.hostname, item);
      return undefined;
    }
    return item;
  });
}

/** Header matches of an HTTPRoute or GRPCRoute match; a name repeated (ignoring case) is refused. */
export function parseHeaderMatches(c: ProblemCollector, obj: Fields, path: FieldPath): HeaderMatch[] {
  const items = readList(c, obj, 'headers', path, {
    allowed: `a list of up to ${MAX_HEADER_MATCHES} header matches {name, value, type?}`,
    max: MAX_HEADER_MATCHES,
  });
  if (items === undefined) return [];
  const seen = new Map<string, number>();
  return collect(items, (item, i) => {
    const itemPath = [...path, 'headers', i];
    const match = readMapping(c, item, itemPath, 'a header match {name, value, type?}');
    if (match === undefined) return undefined;
    checkKnownFields(c, match, itemPath, HEADER_MATCH_FIELDS);
    const type = readMatchType(c, match, itemPath);
    const name = readString(c, match, 'name', itemPath, ALLOWED.headerName);
    if (requireField(c, match, 'name', itemPath, ALLOWED.headerName) && name !== undefined) {
      checkHeaderName(c, [...itemPath, 'name'], name);
      const earlier = seen.get(name.toLowerCase());
      if (earlier !== undefined) {
        c.add(
          [...itemPath, 'name'],
          `repeats the header of headers[${earlier}] (names ignore case)`,
          'each header name once per match',
          name,
        );
      } else {
        seen.set(name.toLowerCase(), i);
      }
    }
    const value = readString(c, match, 'value', itemPath, ALLOWED.headerValue);
    if (requireField(c, match, 'value', itemPath, ALLOWED.headerValue) && value !== undefined) {
      if (type === 'RegularExpression') {
        if (
          checkText(c, [...itemPath, 'value'], value, { max: MAX_HEADER_VALUE_LENGTH, allowed: ROUTE_REGEX_ALLOWED })
        ) {
          checkRegex(c, [...itemPath, 'value'], value);
        }
      } else {
        checkHeaderValue(c, [...itemPath, 'value'], value);
      }
    }
    if (type === undefined || name === undefined || value === undefined) return undefined;
    return { type, name, value };
  });
}

/**
 * The BackendObjectReference and weight of a backendRef (its filters are the caller's). A core
 * Service reference without a port is refused (the CEL rule "Must have port for Service reference").
 */
export function parseBackendRefBase(
  c: ProblemCollector,
  obj: Fields,
  path: FieldPath,
  routeNamespace: string,
): BackendRef {
  const group = readString(c, obj, 'group', path, ALLOWED.group) ?? '';
  checkText(c, [...path, 'group'], group, { pattern: GROUP_PATTERN, min: 0, max: 253, allowed: ALLOWED.group });
  const kind = readString(c, obj, 'kind', path, ALLOWED.kind) ?? 'Service';
  checkText(c, [...path, 'kind'], kind, { pattern: KIND_PATTERN, max: 63, allowed: ALLOWED.kind });
  const name = readString(c, obj, 'name', path, ALLOWED.objectName);
  if (requireField(c, obj, 'name', path, ALLOWED.objectName) && name !== undefined) {
    checkText(c, [...path, 'name'], name, { max: 253, allowed: ALLOWED.objectName });
  }
  const namespace = readNamespace(c, obj, path);
  const port = readInteger(c, obj, 'port', path, { min: 1, max: MAX_PORT });
  if (group === '' && kind === 'Service' && !isSet(obj, 'port')) {
    c.add([...path, 'port'], 'is missing (a Service backend needs the Service port to send to)', ALLOWED.port);
  }
  const weight = readInteger(c, obj, 'weight', path, { min: 0, max: MAX_WEIGHT });
  return {
    group,
    kind,
    name: name ?? '',
    namespace: namespace ?? routeNamespace,
    ...(port === undefined ? {} : { port }),
    weight: weight ?? 1,
  };
}

/** Rule names, when set, are SectionNames unique within the route (the CEL rule on Rules). */
export function readRuleName(
  c: ProblemCollector,
  obj: Fields,
  path: FieldPath,
  seen: Map<string, number>,
): string | undefined {
  const name = readString(c, obj, 'name', path, ALLOWED.sectionName);
  if (name === undefined) return undefined;
  checkText(c, [...path, 'name'], name, { pattern: SECTION_NAME_PATTERN, max: 253, allowed: ALLOWED.sectionName });
  const index = path[path.length - 1];
  const earlier = seen.get(name);
  if (earlier !== undefined) {
    c.add([...path, 'name'], `repeats the name of spec.rules[${earlier}]`, 'a rule name unique within the route', name);
  } else if (typeof index === 'number') {
    seen.set(name, index);
  }
  return name;
}
