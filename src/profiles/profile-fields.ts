// Field readers for validating a decoded object (from YAML or JSON): each reader checks one field's
// type, records a problem with the field's path when it is wrong, and returns the value or
// undefined so validation goes on and every problem is found in one pass.
//
// Contract: internal to src/profiles. `null` counts as absent (as the Kubernetes API treats null
// for a non-nullable field); unknown fields are problems (as Kubernetes strict field validation
// reports them), with a "did you mean" when a known field is close.

import type { ProfileProblem } from './profile-errors.ts';
import { closest } from '../text/closest.ts';

export type FieldPath = readonly (string | number)[];
/** The 1-based line of a field in its file, when the object came from one. */
export type LineOf = (path: FieldPath) => number | undefined;

/** Collects problems; the caller throws them together at the end. */
export class ProblemCollector {
  readonly #problems: ProfileProblem[] = [];
  readonly #lineOf: LineOf | undefined;

  constructor(lineOf?: LineOf) {
    this.#lineOf = lineOf;
  }

  add(path: FieldPath, problem: string, allowed: string): void {
    const line = this.#lineOf?.(path);
    this.#problems.push({ path: formatPath(path), problem, allowed, ...(line === undefined ? {} : { line }) });
  }

  get problems(): readonly ProfileProblem[] {
    return this.#problems;
  }
}

/** `spec.routes[2].condition.pathRegex`; `(document)` for the root. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (!/^[A-Za-z_$][\w$-]*$/.test(seg)) out += `[${JSON.stringify(seg)}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out === '' ? '(document)' : out;
}

export type Fields = Readonly<Record<string, unknown>>;

export function isMapping(value: unknown): value is Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A short description of a value for messages: `string "yes"`, `number 5`, `a list`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (isMapping(value)) return 'a mapping';
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  return typeof value;
}

/** True when the field is set (present and not null). */
export function isSet(obj: Fields, key: string): boolean {
  return obj[key] !== undefined && obj[key] !== null;
}

/** The value as a mapping, or a problem. */
export function readMapping(c: ProblemCollector, value: unknown, path: FieldPath, allowed: string): Fields | undefined {
  if (isMapping(value)) return value;
  c.add(path, `must be a mapping (an object with fields), got ${describeValue(value)}`, allowed);
  return undefined;
}

/** Report every field of `obj` not in `known`. */
export function checkKnownFields(c: ProblemCollector, obj: Fields, path: FieldPath, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    const near = closest(key, known);
    c.add(
      [...path, key],
      `unknown field${near === undefined ? '' : ` (did you mean "${near}"?)`}`,
      `the fields ${known.join(', ')}`,
    );
  }
}

/** A list field: undefined when absent; a problem when not a list. */
export function readList(
  c: ProblemCollector,
  obj: Fields,
  key: string,
  path: FieldPath,
  allowed: string,
): readonly unknown[] | undefined {
  if (!isSet(obj, key)) return undefined;
  const value = obj[key];
  if (Array.isArray(value)) return value as readonly unknown[];
  c.add([...path, key], `must be a list, got ${describeValue(value)}`, allowed);
  return undefined;
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
  c.add([...path, key], `must be a string, got ${describeValue(value)}${quoteHint(value)}`, allowed);
  return undefined;
}

export function readBoolean(c: ProblemCollector, obj: Fields, key: string, path: FieldPath): boolean | undefined {
  if (!isSet(obj, key)) return undefined;
  const value = obj[key];
  if (typeof value === 'boolean') return value;
  c.add([...path, key], `must be a boolean, got ${describeValue(value)}`, 'true or false');
  return undefined;
}

export function readNumber(
  c: ProblemCollector,
  obj: Fields,
  key: string,
  path: FieldPath,
  allowed: string,
): number | undefined {
  if (!isSet(obj, key)) return undefined;
  const value = obj[key];
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  c.add([...path, key], `must be a number, got ${describeValue(value)}`, allowed);
  return undefined;
}

/** Records "is missing" and returns false when a required field is absent. */
export function requireField(c: ProblemCollector, obj: Fields, key: string, path: FieldPath, allowed: string): boolean {
  if (isSet(obj, key)) return true;
  c.add([...path, key], 'is missing', allowed);
  return false;
}

function quoteHint(value: unknown): string {
  return typeof value === 'number' || typeof value === 'boolean' ? ' (quote it to make it a string)' : '';
}
