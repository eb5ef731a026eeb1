// A Service's traffic split held by a Gateway API route (HTTPRoute or GRPCRoute with the Service as
// parent, GEP-1426): which routes attach to it, their rules' weighted backendRefs, and new
// backendRefs for a canary step. Pure functions on the route objects as plain JSON; the callers
// read and write them (a folder of YAML, or the Kubernetes API).

import { UsageError } from '../../errors/index.ts';
import { parseRoute } from '../../routes/index.ts';

export type RouteObject = Record<string, unknown> & {
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
};

export interface RouteBackendView {
  readonly name: string;
  readonly namespace: string | undefined;
  readonly port: number | undefined;
  readonly weight: number;
}

export interface RouteRuleView {
  readonly route: string;
  readonly kind: string;
  readonly ruleIndex: number;
  /** The rule's matches in words, e.g. `PathPrefix /` or `header x-canary=true`. */
  readonly matches: string;
  readonly backends: readonly RouteBackendView[];
}

/** A `--set` entry for a route: a Service name in the route's namespace and an integer weight. */
export interface RouteWeight {
  readonly name: string;
  readonly weight: number;
}

const MAX_WEIGHT = 1_000_000;

/** The HTTPRoutes and GRPCRoutes among `objects` with `service` (in `namespace`) as a parent. */
export function meshRoutesFor(objects: readonly unknown[], service: string, namespace: string): RouteObject[] {
  return objects.filter((o): o is RouteObject => {
    if (!isRoute(o)) return false;
    const routeNs = o.metadata.namespace ?? 'default';
    const refs = (o['spec'] as { parentRefs?: unknown } | undefined)?.parentRefs;
    return (
      Array.isArray(refs) &&
      refs.some((r: unknown) => {
        const ref = r as { group?: unknown; kind?: unknown; name?: unknown; namespace?: unknown };
        return (
          ref.kind === 'Service' &&
          (ref.group === undefined || ref.group === '' || ref.group === 'core') &&
          ref.name === service &&
          (typeof ref.namespace === 'string' ? ref.namespace : routeNs) === namespace
        );
      })
    );
  });
}

/** Every rule of `route` that has backendRefs, with its backends and weights. */
export function routeRules(route: RouteObject): RouteRuleView[] {
  const name = `${route.metadata.namespace ?? 'default'}/${route.metadata.name}`;
  const rules = (route['spec'] as { rules?: unknown } | undefined)?.rules;
  if (!Array.isArray(rules)) return [];
  return rules.flatMap((rule: unknown, ruleIndex): RouteRuleView[] => {
    const r = rule as { matches?: unknown; backendRefs?: unknown };
    if (!Array.isArray(r.backendRefs) || r.backendRefs.length === 0) return [];
    const backends = r.backendRefs.map((b: unknown) => {
      const ref = b as { name?: unknown; namespace?: unknown; port?: unknown; weight?: unknown };
      return {
        name: String(ref.name),
        namespace: typeof ref.namespace === 'string' ? ref.namespace : undefined,
        port: typeof ref.port === 'number' ? ref.port : undefined,
        weight: typeof ref.weight === 'number' ? ref.weight : 1,
      };
    });
    return [{ route: name, kind: route.kind, ruleIndex, matches: describeMatches(r.matches), backends }];
  });
}

/** Parses `--set a=90,b=10` for a route: Service names and integer weights 0 to 1,000,000. */
export function parseRouteWeights(spec: string): RouteWeight[] {
  const out: RouteWeight[] = [];
  for (const part of spec.split(',')) {
    const [name, weight, extra] = part.split('=').map((s) => s.trim());
    if (
      name === undefined ||
      !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) ||
      weight === undefined ||
      extra !== undefined
    ) {
      throw new UsageError(
        `split: --set ${JSON.stringify(part)} is not SERVICE=WEIGHT for a route; e.g. web-canary=10 (a route's backends are Service names)`,
      );
    }
    const w = Number(weight);
    if (!/^\d+$/.test(weight) || w > MAX_WEIGHT) {
      throw new UsageError(
        `split: the weight of ${name} ${JSON.stringify(weight)} must be an integer from 0 to ${MAX_WEIGHT} (Gateway API backendRef weight)`,
      );
    }
    out.push({ name, weight: w });
  }
  if (out.every((b) => b.weight === 0)) {
    throw new UsageError('split: every weight is 0; give at least one backend a weight');
  }
  return out;
}

/**
 * The rule `--set` applies to: `ruleIndex` when given, else the route's only rule with backends.
 * Throws UsageError listing the rules when there is more than one to choose from.
 */
export function chooseRule(route: RouteObject, ruleIndex: number | undefined): RouteRuleView {
  const rules = routeRules(route);
  const name = `${route.metadata.namespace ?? 'default'}/${route.metadata.name}`;
  if (ruleIndex !== undefined) {
    const rule = rules.find((r) => r.ruleIndex === ruleIndex);
    if (rule === undefined) {
      throw new UsageError(
        `split: ${route.kind} ${name} has no rule ${ruleIndex} with backendRefs; ${listRules(rules)}`,
      );
    }
    return rule;
  }
  if (rules.length === 1) return rules[0]!;
  throw new UsageError(
    rules.length === 0
      ? `split: ${route.kind} ${name} has no rule with backendRefs`
      : `split: ${route.kind} ${name} has ${rules.length} rules with backends; choose one with --rule N (${listRules(rules)})`,
  );
}

/**
 * The route with rule `ruleIndex`'s backendRefs set to `weights`: a backend already there keeps its
 * port, namespace and filters; a new one gets the port of the rule's first backend (or the
 * parentRef's). Backends not named are kept with weight 0, so a later step can bring them back.
 * The result is checked with the same validation the destination service applies.
 */
export function setRouteWeights(route: RouteObject, ruleIndex: number, weights: readonly RouteWeight[]): RouteObject {
  const copy = structuredClone(route);
  const rules = (copy['spec'] as { rules: Record<string, unknown>[] }).rules;
  const rule = rules[ruleIndex]!;
  const existing = (rule['backendRefs'] as Record<string, unknown>[] | undefined) ?? [];
  const defaultPort = existing.find((b) => typeof b['port'] === 'number')?.['port'] ?? parentPort(copy);
  const named = new Set(weights.map((w) => w.name));
  const refs: Record<string, unknown>[] = weights.map(({ name, weight }) => {
    const old = existing.find((b) => b['name'] === name && b['namespace'] === undefined);
    return old === undefined
      ? { name, ...(defaultPort === undefined ? {} : { port: defaultPort }), weight }
      : { ...old, weight };
  });
  for (const old of existing) {
    if (!named.has(String(old['name'])) || old['namespace'] !== undefined) refs.push({ ...old, weight: 0 });
  }
  rule['backendRefs'] = refs;
  const parsed = parseRoute(copy);
  if (!parsed.ok) throw new UsageError(`split: the route would not be valid: ${parsed.error.message}`);
  return copy;
}

function parentPort(route: RouteObject): number | undefined {
  const refs = (route['spec'] as { parentRefs?: { port?: unknown }[] } | undefined)?.parentRefs ?? [];
  const port = refs.find((r) => typeof r.port === 'number')?.port;
  return typeof port === 'number' ? port : undefined;
}

function listRules(rules: readonly RouteRuleView[]): string {
  return `rules: ${rules.map((r) => `${r.ruleIndex} [${r.matches}]`).join(', ')}`;
}

function describeMatches(matches: unknown): string {
  if (!Array.isArray(matches) || matches.length === 0) return 'everything';
  return matches
    .map((m: unknown) => {
      const match = m as {
        path?: { type?: string; value?: string };
        method?: unknown;
        headers?: { name?: string; value?: string }[];
        queryParams?: { name?: string; value?: string }[];
      };
      const parts: string[] = [];
      if (match.path !== undefined) parts.push(`${match.path.type ?? 'PathPrefix'} ${match.path.value ?? '/'}`);
      if (typeof match.method === 'string') parts.push(match.method);
      if (typeof match.method === 'object' && match.method !== null) {
        const g = match.method as { service?: string; method?: string };
        parts.push(`${g.service ?? '*'}/${g.method ?? '*'}`);
      }
      for (const h of match.headers ?? []) parts.push(`header ${h.name}=${h.value}`);
      for (const q of match.queryParams ?? []) parts.push(`query ${q.name}=${q.value}`);
      return parts.length === 0 ? 'everything' : parts.join(' ');
    })
    .join(' | ');
}

function isRoute(o: unknown): o is RouteObject {
  if (typeof o !== 'object' || o === null) return false;
  const r = o as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
  return (
    typeof r.apiVersion === 'string' &&
    r.apiVersion.startsWith('gateway.networking.k8s.io/') &&
    (r.kind === 'HTTPRoute' || r.kind === 'GRPCRoute') &&
    typeof r.metadata?.name === 'string'
  );
}
