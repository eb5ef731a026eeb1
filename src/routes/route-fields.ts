// Field readers for validating a decoded route object: each reader checks one field's type,
// records a problem with the field's path and value when it is wrong, and returns the value or
// undefined so validation goes on and every problem is found in one pass.
//
// Contract: internal to src/routes. `null` counts as absent (as the Kubernetes API treats null for
// a non-nullable field). Unknown fields are problems (as Kubernetes strict field validation
// reports them), with a "did you mean" when a known field is close.

import type { RouteProblem } from './route-errors.ts';
import { closest } from '../text/closest.ts';

export type FieldPath = readonly (string | number)[];
/** The 1-based line of a field in its file, when the object came from one. */
export type LineOf = (path: FieldPath) => number | undefined;
export type Fields = Readonly<Record<string, unknown>>;

/** Collects problems (the route is refused) and unsupported values (the route is not Accepted). */
export class ProblemCollector {
  readonly problems: RouteProblem[] = [];
  readonly unsupported: RouteProblem[] = [];
  readonly #lineOf: LineOf | undefined;

  constructor(lineOf?: LineOf) {
    this.#lineOf = lineOf;
  }

  add(path: FieldPath, problem: string, allowed: string, value?: unknown): void {
    this.problems.push(this.#problem(path, problem, allowed, value));
  }

  addUnsupported(path: FieldPath, problem: string, allowed: string, value?: unknown): void {
    this.unsupported.push(this.#problem(path, problem, allowed, value));
  }

  #problem(path: FieldPath, problem: string, allowed: string, value: unknown): RouteProblem {
    const line = this.#lineOf?.(path);
    return {
      path: formatPath(path),
      problem,
      allowed,
      ...(value === undefined ? {} : { value }),
      ...(line === undefined ? {} : { line }),
    };
  }
}

/** `spec.rules[2].matches[0].path.value`; `(document)` for the root. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (!/^[A-Za-z_$][\w$-]*$/.test(seg)) out += `[${JSON.stringify(seg)}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out === '' ? '(document)' : out;
}

export function isMapping(value: unknown): value is Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `string "yes"`, `number 5`, `a list`: for type problems. */
export function describeType(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (isMapping(value)) return 'a mapping';
  return typeof value;
}

/** True when the field is set (present and not null). */
export function isSet(obj: Fields, key: string): boolean {
  return obj[key] !== undefined && obj[key] !== null;
}

export function readMapping(c: ProblemCollector, value: unknown, path: FieldPath, allowed: string): Fields | undefined {
  if (isMapping(value)) return value;
  c.add(path, `must be a mapping (an object with fields), got ${describeType(value)}`, allowed);
  return undefined;
}

/** Report every field of `obj` not in `known`. */
export function checkKnownFields(c: ProblemCollector, obj: Fields, path: FieldPath, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    const near = closest(key, known);
    c.add([...path, key], `unknown field${near === undefined ? '' : ` (did you mean "${near}"?)`}`, known.join(', '));
  }
}

/** A list field: undefined when absent; a problem when not a list or longer than `max`. */
export function readList(
  c: ProblemCollector,
  obj: Fields,
  key: string,
  path: FieldPath,
  limits: { readonly allowed: string; readonly max: number },
): readonly unknown[] | undefined {
  if (!isSet(obj, key)) return undefined;
  const value = obj[key];
  if (!Array.isArray(value)) {
    c.add([...path, key], `must be a list, got ${describeType(value)}`, limits.allowed);
    return undefined;
  }
  if (value.length > limits.max) {
    c.add([...path, key], `has ${value.length} items, more than ${limits.max}`, `at most ${limits.max} items`);
  }
  return value as readonly unknown[];
}

export function readString(
  c: ProblemCollector,
  obj: Fields,
  key: string,
  path: FieldPath,
  allowed: string,
): string | undefined {
  if (!isSet(obj, key)) return undefined;
  const value = obj[key];
  if (typeof value === 'string') return value;
  const hint = typeof value === 'number' || typeof value === 'boolean' ? ' (quote it to make it a string)' : '';
  c.add([...path, key], `must be a string, got ${describeType(value)}${hint}`, allowed, value);
  return undefined;
}

/** An integer in [min, max]. */
export function readInteger(
  c: ProblemCollector,
  obj: Fields,
  key: string,
  path: FieldPath,
  range: { readonly min: number; readonly max: number },
): number | undefined {
  if (!isSet(obj, key)) return undefined;
  const value = obj[key];
  const allowed = `an integer from ${range.min} to ${range.max.toLocaleString('en-US')}`;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    c.add([...path, key], `must be an integer, got ${describeType(value)}`, allowed, value);
    return undefined;
  }
  if (value < range.min || value > range.max) {
    c.add([...path, key], 'is out of range', allowed, value);
    return undefined;
  }
  return value;
}

/** Records "is missing" and returns false when a required field is absent. */
export function requireField(c: ProblemCollector, obj: Fields, key: string, path: FieldPath, allowed: string): boolean {
  if (isSet(obj, key)) return true;
  c.add([...path, key], 'is missing', allowed);
  return false;
}

/** A string checked against a pattern and a length range. */
export function checkText(
  c: ProblemCollector,
  path: FieldPath,
  value: string,
  rule: { readonly pattern?: RegExp; readonly min?: number; readonly max: number; readonly allowed: string },
): boolean {
  if (value.length < (rule.min ?? 1)) {
    c.add(path, value === '' ? 'is empty' : 'is too short', rule.allowed, value);
    return false;
  }
  if (value.length > rule.max) {
    c.add(path, `is ${value.length} characters long, more than ${rule.max}`, rule.allowed, value);
    return false;
  }
  if (rule.pattern !== undefined && !rule.pattern.test(value)) {
    c.add(path, 'has a character or form that is not allowed', rule.allowed, value);
    return false;
  }
  return true;
}

export function collect<T>(items: readonly unknown[], parse: (item: unknown, index: number) => T | undefined): T[] {
  const out: T[] = [];
  items.forEach((item, i) => {
    const parsed = parse(item, i);
    if (parsed !== undefined) out.push(parsed);
  });
  return out;
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
