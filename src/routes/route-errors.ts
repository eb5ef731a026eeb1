// The errors of src/routes: an HTTPRoute or GRPCRoute that breaks the Gateway API rules, and a
// route file that is not YAML.
//
// Contract: one error lists every problem found in one object, not just the first; each problem
// names its field path (`spec.rules[2].matches[0].path.value`), the bad value, what is wrong and
// what is allowed, and its line when the object came from a file. The message is written for the
// person who applied the object: an admission webhook can return it as is.

import { MeshError } from '../errors/index.ts';

/** One thing wrong with a route. */
export interface RouteProblem {
  /** The field, e.g. `spec.rules[2].matches[0].path.value`; `(document)` for the whole object. */
  readonly path: string;
  /** What is wrong, e.g. `must not contain "//"`. */
  readonly problem: string;
  /** What is allowed, in words a person can act on. */
  readonly allowed: string;
  /** The offending value when there is one (absent for a missing field). */
  readonly value?: unknown;
  /** The 1-based line of the field in its file, when known. */
  readonly line?: number;
}

/** Where an object came from, for messages. */
export interface RouteSource {
  readonly file?: string;
  /** The 1-based line where the object starts. */
  readonly line?: number;
}

/** A route that breaks the rules (`MESH_ERR_ROUTE_INVALID`). */
export class RouteValidationError extends MeshError {
  readonly problems: readonly RouteProblem[];
  /** `HTTPRoute` or `GRPCRoute` when readable. */
  readonly routeKind: string | undefined;
  /** `namespace/name` or `name` when readable. */
  readonly routeName: string | undefined;
  readonly source: RouteSource;

  constructor(
    what: { readonly kind?: string; readonly name?: string },
    problems: readonly RouteProblem[],
    source: RouteSource = {},
  ) {
    super('MESH_ERR_ROUTE_INVALID', formatValidation(what, problems, source), {
      fields: {
        kind: what.kind,
        route: what.name,
        file: source.file,
        line: source.line,
        paths: problems.map((p) => p.path),
      },
    });
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ ...p })));
    this.routeKind = what.kind;
    this.routeName = what.name;
    this.source = Object.freeze({ ...source });
  }
}

/** One YAML syntax problem. */
export interface RouteYamlProblem {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** A route file that is not valid YAML (`MESH_ERR_ROUTE_YAML`). */
export class RouteYamlError extends MeshError {
  readonly problems: readonly RouteYamlProblem[];
  readonly file: string;

  constructor(file: string, problems: readonly RouteYamlProblem[]) {
    const lines = problems.map((p) => `  - ${file}:${p.line}:${p.column}: ${p.message}`);
    super('MESH_ERR_ROUTE_YAML', `${file}: invalid YAML:\n${lines.join('\n')}`, {
      fields: { file, line: problems[0]?.line },
    });
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ ...p })));
    this.file = file;
  }
}

function formatValidation(
  what: { readonly kind?: string; readonly name?: string },
  problems: readonly RouteProblem[],
  source: RouteSource,
): string {
  const kind = what.kind ?? 'route';
  const name = what.name === undefined ? kind : `${kind} ${JSON.stringify(what.name)}`;
  const where =
    source.file === undefined ? '' : ` (${source.file}${source.line === undefined ? '' : `:${source.line}`})`;
  const noun = problems.length === 1 ? 'problem' : 'problems';
  const lines = problems.map((p) => {
    const at = source.file !== undefined && p.line !== undefined ? `${source.file}:${p.line}: ` : '';
    const value = p.value === undefined ? '' : ` (got ${describeShort(p.value)})`;
    return `  - ${at}${p.path}: ${p.problem}${value}; allowed: ${p.allowed}`;
  });
  return `invalid ${name}${where}: ${problems.length} ${noun}:\n${lines.join('\n')}`;
}

function describeShort(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
