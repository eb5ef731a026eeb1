// openApiToProfile: a ServiceProfile with one route per path and method of an OpenAPI 3.0/3.1 or
// Swagger 2.0 document, the way `linkerd profile --open-api` builds one.
//
// Contract: pure; reports every problem of the document in one ProfileSourceError (field path,
// line, what is allowed) and returns the profile object unvalidated (the caller validates it with
// the ServiceProfile parser before printing). Routes come in file order: paths as written, then
// methods as written within each path; a route an earlier one shadows is reported as a warning.
//
// Per route (docs/profile.md): name `METHOD /path` (the template as written, prefix included),
// condition {method, pathRegex}; `x-nodemesh-retryable: true` → isRetryable, `x-nodemesh-timeout`
// → timeout (Linkerd's `x-linkerd-*` spellings are read too), set on the operation or, for all its
// operations, on the path item. No responseClasses: the default (5xx is a failure) is what
// Linkerd's one-class-per-declared-status amounts to.

import { parseDurationMs } from '../../config/index.ts';
import {
  SERVICE_PROFILE_API_VERSIONS,
  SERVICE_PROFILE_KIND,
  compilePathRegex,
  serviceProfileName,
  type RouteSpec,
  type ServiceName,
  type ServiceProfile,
} from '../../profiles/index.ts';
import type { DecodedDocument, DocPath } from './profile-input.ts';
import {
  joinPath,
  pathTemplateToRegex,
  serverUrlPath,
  swaggerBasePath,
  type PrefixResult,
} from './profile-openapi-paths.ts';
import { ProfileSourceError, type SourceProblem } from './profile-source-error.ts';

export interface OpenApiOptions {
  /** The file name for messages (`-` for stdin). */
  readonly file: string;
  readonly name: ServiceName;
  /** Replaces the prefix from `basePath` or `servers` for every route ('' for none). */
  readonly basePath?: string;
}

export interface GeneratedProfile {
  readonly profile: ServiceProfile;
  /** Things worth a look that do not stop generation (shadowed routes). */
  readonly warnings: readonly string[];
}

/** The operations of a Path Item Object, lower-case as OpenAPI writes them. */
export const OPENAPI_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export const EXTENSIONS = {
  retryable: ['x-nodemesh-retryable', 'x-linkerd-retryable'],
  timeout: ['x-nodemesh-timeout', 'x-linkerd-timeout'],
} as const;
const KNOWN_EXTENSIONS: readonly string[] = [...EXTENSIONS.retryable, ...EXTENSIONS.timeout];

const ALLOWED = {
  document: 'an OpenAPI 3.0/3.1 document (openapi: 3.x.y) or a Swagger 2.0 document (swagger: "2.0"), YAML or JSON',
  paths: 'a mapping of paths starting with "/" to Path Item Objects with at least one operation',
  pathKey: 'a path template starting with "/", e.g. /users/{id}',
  pathItem: 'a Path Item Object: a mapping of get, put, post, delete, options, head, patch or trace to operations',
  ref: 'a local reference into this document, e.g. "#/components/pathItems/User"',
  operation: 'an Operation Object (a mapping)',
  retryable: 'true or false',
  timeout: 'a duration above 0, e.g. 2s, 500ms',
  extension: `one of ${KNOWN_EXTENSIONS.join(', ')}`,
  servers: 'a list of Server Objects, the first with a url whose {variables} have defaults',
  basePath: 'a path starting with "/", e.g. /v1',
} as const;

type Fields = Record<string, unknown>;

/** Where problems are collected, with the document to find their lines in. */
interface Sink {
  readonly doc: DecodedDocument;
  readonly problems: SourceProblem[];
}

interface Context extends Sink {
  readonly swagger: boolean;
  readonly basePath: string | undefined;
}

interface BuiltRoute {
  readonly route: RouteSpec;
  readonly path: string;
  readonly at: DocPath;
}

/** The ServiceProfile for the document `doc`; throws ProfileSourceError listing every problem. */
export function openApiToProfile(doc: DecodedDocument, opts: OpenApiOptions): GeneratedProfile {
  const problems: SourceProblem[] = [];
  const fail = (): never => {
    throw new ProfileSourceError(opts.file, problems);
  };
  const add = (at: DocPath, problem: string, allowed: string): void =>
    addProblem({ doc, problems }, at, problem, allowed);
  const root = doc.value;
  if (!isFields(root)) {
    add([], `is ${describe(root)}, not an OpenAPI document`, ALLOWED.document);
    return fail();
  }
  const swagger = dialect(root, add);
  if (swagger === undefined) return fail();
  const ctx: Context = { doc, problems, swagger, basePath: opts.basePath };

  const paths = root['paths'];
  if (!isFields(paths) || Object.keys(paths).length === 0) {
    const what = paths === undefined ? 'is missing' : isFields(paths) ? 'is empty' : `is ${describe(paths)}`;
    add(['paths'], `${what}: there is nothing to make routes from`, ALLOWED.paths);
    return fail();
  }
  const rootPrefix = prefixOf(ctx, root, []);
  const built: BuiltRoute[] = [];
  for (const [key, rawItem] of Object.entries(paths)) {
    const at: DocPath = ['paths', key];
    if (key.startsWith('x-')) continue; // Paths Object extensions
    if (!key.startsWith('/')) {
      addProblem(ctx, at, `${JSON.stringify(key)} does not start with "/"`, ALLOWED.pathKey);
      continue;
    }
    const item = resolvePathItem(ctx, rawItem, at);
    if (item === undefined) continue;
    checkExtensionNames(ctx, item, at);
    const itemPrefix = prefixOf(ctx, item, at) ?? rootPrefix;
    for (const [method, op] of Object.entries(item)) {
      if (!(OPENAPI_METHODS as readonly string[]).includes(method)) continue;
      const opAt = [...at, method];
      if (!isFields(op)) {
        addProblem(ctx, opAt, `is ${describe(op)}`, ALLOWED.operation);
        continue;
      }
      checkExtensionNames(ctx, op, opAt);
      const fullPath = joinPath(prefixOf(ctx, op, opAt) ?? itemPrefix ?? '', key);
      built.push({ route: buildRoute(ctx, method, fullPath, [op, opAt], [item, at]), path: fullPath, at: opAt });
    }
  }
  if (problems.length === 0 && built.length === 0) {
    add(['paths'], 'has no operations', ALLOWED.paths);
  }
  if (problems.length > 0) {
    problems.sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
    return fail();
  }

  const profile: ServiceProfile = {
    apiVersion: SERVICE_PROFILE_API_VERSIONS[0],
    kind: SERVICE_PROFILE_KIND,
    metadata: { name: serviceProfileName(opts.name), namespace: opts.name.namespace },
    spec: { routes: built.map((b) => b.route) },
  };
  return { profile, warnings: shadowWarnings(built) };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The route for one operation: its name and condition, and what its extensions (or its path item's) say. */
function buildRoute(
  ctx: Context,
  method: string,
  fullPath: string,
  op: readonly [Fields, DocPath],
  item: readonly [Fields, DocPath],
): RouteSpec {
  const route: Mutable<RouteSpec> = {
    name: `${method.toUpperCase()} ${fullPath}`,
    condition: { method: method.toUpperCase(), pathRegex: pathTemplateToRegex(fullPath) },
  };
  const retryable = extension(ctx, EXTENSIONS.retryable, op, item);
  if (retryable !== undefined) {
    if (typeof retryable.value !== 'boolean') {
      addProblem(ctx, retryable.at, `${describe(retryable.value)} is not a boolean`, ALLOWED.retryable);
    } else if (retryable.value) {
      route.isRetryable = true;
    }
  }
  const timeout = extension(ctx, EXTENSIONS.timeout, op, item);
  if (timeout !== undefined) {
    const ms = typeof timeout.value === 'string' ? parseDurationMs(timeout.value) : undefined;
    if (typeof timeout.value !== 'string' || ms === undefined || ms <= 0) {
      const why = ms === undefined ? 'is not a duration' : 'is not above 0';
      addProblem(ctx, timeout.at, `${describe(timeout.value)} ${why}`, ALLOWED.timeout);
    } else {
      route.timeout = timeout.value.trim();
    }
  }
  return route;
}

/** true for Swagger 2.0, false for OpenAPI 3.x, undefined (with a problem added) otherwise. */
function dialect(root: Fields, add: (at: DocPath, problem: string, allowed: string) => void): boolean | undefined {
  const swagger = root['swagger'];
  const openapi = root['openapi'];
  if (swagger !== undefined) {
    // `swagger: 2.0` unquoted in YAML is the number 2.
    if (swagger === '2.0' || swagger === 2) return true;
    add(['swagger'], `${describe(swagger)} is not a Swagger version this reads`, '"2.0"');
    return undefined;
  }
  if (openapi !== undefined) {
    const text = typeof openapi === 'number' ? String(openapi) : openapi;
    if (typeof text === 'string' && /^3(\.[01])?(\.\d+)?$/.test(text)) return false;
    add(['openapi'], `${describe(openapi)} is not an OpenAPI version this reads`, '3.0.x or 3.1.x');
    return undefined;
  }
  add(
    [],
    'has no "openapi" or "swagger" field at the top, so it is not an OpenAPI or Swagger document',
    ALLOWED.document,
  );
  return undefined;
}

/**
 * The prefix `obj` sets for the routes under it: `basePath` (Swagger 2, root only) or the first of
 * its `servers` (OpenAPI 3); undefined when it sets none, so the enclosing one applies.
 */
function prefixOf(ctx: Context, obj: Fields, at: DocPath): string | undefined {
  if (ctx.basePath !== undefined) return at.length === 0 ? ctx.basePath : undefined;
  let result: PrefixResult;
  let where: DocPath;
  if (ctx.swagger) {
    if (at.length > 0 || obj['basePath'] === undefined) return undefined;
    result = swaggerBasePath(obj['basePath']);
    where = ['basePath'];
    if (!result.ok) addProblem(ctx, where, result.problem, ALLOWED.basePath);
    return result.ok ? result.prefix : undefined;
  }
  const servers = obj['servers'];
  if (servers === undefined) return undefined;
  if (!Array.isArray(servers)) {
    addProblem(ctx, [...at, 'servers'], `is ${describe(servers)}`, ALLOWED.servers);
    return undefined;
  }
  if (servers.length === 0) return undefined;
  where = [...at, 'servers', 0];
  result = serverUrlPath(servers[0]);
  if (!result.ok) {
    addProblem(ctx, where, `${result.problem} (or pass --base-path)`, ALLOWED.servers);
    return undefined;
  }
  return result.prefix;
}

/** The Path Item at `at`, following one local `$ref` (OpenAPI 3.1 components.pathItems). */
function resolvePathItem(ctx: Context, raw: unknown, at: DocPath): Fields | undefined {
  if (!isFields(raw)) {
    addProblem(ctx, at, `is ${describe(raw)}`, ALLOWED.pathItem);
    return undefined;
  }
  const ref = raw['$ref'];
  if (ref === undefined) return raw;
  const refAt = [...at, '$ref'];
  if (typeof ref !== 'string' || !ref.startsWith('#/')) {
    addProblem(ctx, refAt, `${describe(ref)} is not a local reference; resolve external references first`, ALLOWED.ref);
    return undefined;
  }
  let target: unknown = ctx.doc.value;
  for (const part of ref.slice(2).split('/')) {
    const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');
    target = isFields(target) ? target[key] : undefined;
  }
  if (!isFields(target)) {
    addProblem(ctx, refAt, `${JSON.stringify(ref)} does not point at a Path Item in this document`, ALLOWED.ref);
    return undefined;
  }
  // Fields next to $ref override the referenced ones (OpenAPI 3.1).
  const { $ref: _ignored, ...siblings } = raw;
  return { ...target, ...siblings };
}

function checkExtensionNames(ctx: Context, obj: Fields, at: DocPath): void {
  for (const key of Object.keys(obj)) {
    if (key.startsWith('x-nodemesh-') && !KNOWN_EXTENSIONS.includes(key)) {
      addProblem(ctx, [...at, key], 'is not an extension nodemesh profile reads', ALLOWED.extension);
    }
  }
}

/** The value of an extension (any spelling) on the operation, else on the path item. */
function extension(
  ctx: Context,
  names: readonly string[],
  ...levels: readonly (readonly [Fields, DocPath])[]
): { readonly value: unknown; readonly at: DocPath } | undefined {
  for (const [obj, at] of levels) {
    const set = names.filter((n) => obj[n] !== undefined);
    const [first, ...others] = set;
    if (first === undefined) continue;
    for (const other of others) {
      if (JSON.stringify(obj[other]) !== JSON.stringify(obj[first])) {
        addProblem(
          ctx,
          [...at, other],
          `${describe(obj[other])} contradicts ${first}: ${describe(obj[first])}`,
          `the same value in both, or only ${first}`,
        );
      }
    }
    return { value: obj[first], at: [...at, first] };
  }
  return undefined;
}

/** Routes that never match because an earlier route with the same method matches their path first. */
function shadowWarnings(built: readonly BuiltRoute[]): string[] {
  const warnings: string[] = [];
  built.forEach((later, j) => {
    const earlier = built.slice(0, j).find((b) => {
      if (b.route.condition.method !== later.route.condition.method) return false;
      const compiled = compilePathRegex(b.route.condition.pathRegex ?? '');
      return compiled.ok && compiled.regex.test(later.path);
    });
    if (earlier !== undefined) {
      warnings.push(
        `route ${JSON.stringify(later.route.name)} (${formatPath(later.at)}) is shadowed by the earlier ` +
          `${JSON.stringify(earlier.route.name)}, which matches its requests first; list ${later.path} before ` +
          `${earlier.path} in the file (or edit the generated routes) to count it separately`,
      );
    }
  });
  return warnings;
}

function addProblem(sink: Sink, at: DocPath, problem: string, allowed: string): void {
  const line = sink.doc.lineOf(at);
  sink.problems.push({ path: formatPath(at), problem, allowed, ...(line === undefined ? {} : { line }) });
}

/** `paths./users/{id}.get.x-nodemesh-timeout`, `servers[0]`; `(document)` for the root. */
export function formatPath(at: DocPath): string {
  if (at.length === 0) return '(document)';
  return at.map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? seg : `.${seg}`)).join('');
}

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}
