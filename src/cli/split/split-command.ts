// `nodemesh split SERVICE.NAMESPACE [--set ...]`: show or set a Service's traffic split — its
// ServiceProfile's dstOverrides, or the weighted backendRefs of the Gateway API routes attached to
// it — in the local mesh's resources folder (edited atomically, so the file source never reads half
// a file) or, with --kubernetes, through the Kubernetes API.
//
// Which resource holds the split follows the destination service (ADR 0012): a ServiceProfile with
// routes or dstOverrides wins; else the Service's mesh routes; else a ServiceProfile (created on
// --set).

import { UsageError } from '../../errors/index.ts';
import { parseWeight } from '../../profiles/index.ts';
import { parseFlags } from '../args.ts';
import { EXIT_FAILURE, EXIT_OK, type CommandContext } from '../command.ts';
import { formatTable, parseOutputFormat, writeJson, writeLine } from '../output.ts';
import { MeshStateError, readMeshState } from '../stat/mesh-state.ts';
import { parseSplitSpec, profileName, unknownBackends } from './split-profile.ts';
import { chooseRule, parseRouteWeights, routeRules, setRouteWeights, type RouteObject } from './split-route.ts';
import { folderStore, type SplitStore } from './split-store.ts';

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export async function runSplit(ctx: CommandContext): Promise<number> {
  const cmd = 'split';
  const { values, positionals } = parseFlags(
    cmd,
    ctx.argv,
    {
      set: { type: 'string' },
      route: { type: 'string' },
      rule: { type: 'string' },
      kubernetes: { type: 'boolean' },
      'state-dir': { type: 'string' },
      output: { type: 'string', short: 'o' },
    },
    true,
  );
  const format = parseOutputFormat(cmd, values.output);
  const target = positionals[0];
  const parts = target?.split('.') ?? [];
  if (target === undefined || parts.length !== 2 || parts.some((p) => !NAME.test(p))) {
    throw new UsageError(
      `${cmd}: give the Service as NAME.NAMESPACE, e.g. web.shop (got ${JSON.stringify(target ?? '')})`,
    );
  }
  if (positionals.length > 1) throw new UsageError(`${cmd}: unexpected argument ${JSON.stringify(positionals[1])}`);
  const [service, namespace] = parts as [string, string];
  const ruleIndex = values.rule === undefined ? undefined : Number(values.rule);
  if (ruleIndex !== undefined && !(Number.isInteger(ruleIndex) && ruleIndex >= 0)) {
    throw new UsageError(
      `${cmd}: --rule takes a rule's index in the route (0, 1, …), got ${JSON.stringify(values.rule)}`,
    );
  }

  let store: SplitStore;
  let folder: string | undefined;
  if (values.kubernetes === true) {
    // Loaded only here: the Kubernetes client is heavy, and local mode never needs it.
    const { loadKubeConfig } = await import('../../k8s/kube-config.ts');
    const { kubernetesStore } = await import('./split-kubernetes.ts');
    store = kubernetesStore(loadKubeConfig(ctx.env, 'nodemesh split'), () => namespace);
  } else {
    try {
      const state = await readMeshState(ctx.cwd, values['state-dir']);
      const resources = state.components.find((c) => c.name === 'destination')?.addresses['resources'];
      if (resources === undefined) throw new MeshStateError('the local mesh has no destination resources folder');
      folder = resources;
      store = folderStore(resources);
    } catch (err) {
      if (!(err instanceof MeshStateError)) throw err;
      writeLine(ctx.stderr, `${cmd}: ${err.message} (or use --kubernetes to work on a cluster)`);
      return EXIT_FAILURE;
    }
  }

  const name = profileName(service, namespace);
  const profile = await store.profile(name);
  let routes = profile.covers ? [] : await store.routes(service, namespace);
  const byRoute = routes.length > 0;
  if (!byRoute && (values.route !== undefined || ruleIndex !== undefined)) {
    throw new UsageError(
      profile.covers
        ? `${cmd}: ${name}'s ServiceProfile (${profile.where}) has routes or dstOverrides, which win over Gateway API routes; --route and --rule do not apply`
        : `${cmd}: no HTTPRoute or GRPCRoute has ${service}.${namespace} as parent; --route and --rule do not apply`,
    );
  }

  if (values.set !== undefined && !byRoute) {
    const backends = parseSplitSpec(values.set, namespace);
    await store.setProfileSplit(name, namespace, backends);
    for (const host of folder === undefined ? [] : await unknownBackends(folder, backends)) {
      writeLine(
        ctx.stderr,
        `${cmd}: warning: no Service ${host} in the local mesh; its share of requests fails with 503`,
      );
    }
  } else if (values.set !== undefined) {
    const route = pickRoute(routes, values.route);
    const rule = chooseRule(route, ruleIndex);
    await store.writeRoute(setRouteWeights(route, rule.ruleIndex, parseRouteWeights(values.set)), rule.ruleIndex);
    routes = await store.routes(service, namespace);
  }

  if (byRoute) return showRoutes(ctx, format, `${service}.${namespace}`, routes);
  const shown = values.set === undefined ? profile : await store.profile(name);
  const total = shown.backends.reduce((sum, b) => sum + weightOf(b.weight), 0);
  const rows = shown.backends.map((b) => ({
    backend: b.authority,
    weight: b.weight,
    share: share(weightOf(b.weight), total),
  }));
  if (format === 'json') {
    writeJson(ctx.stdout, { service: name, file: shown.where ?? null, backends: rows });
    return EXIT_OK;
  }
  if (rows.length === 0) {
    writeLine(ctx.stdout, `${name}: no split; requests go to the Service's own endpoints`);
    return EXIT_OK;
  }
  writeLine(
    ctx.stdout,
    formatTable([['BACKEND', 'WEIGHT', 'SHARE'], ...rows.map((r) => [r.backend, r.weight, `${r.share}%`])]),
  );
  return EXIT_OK;
}

function pickRoute(routes: readonly RouteObject[], wanted: string | undefined): RouteObject {
  if (wanted !== undefined) {
    const route = routes.find((r) => r.metadata.name === wanted);
    if (route === undefined) {
      throw new UsageError(
        `split: no route ${wanted} attaches to this Service; routes: ${routes.map((r) => r.metadata.name).join(', ')}`,
      );
    }
    return route;
  }
  if (routes.length === 1) return routes[0]!;
  throw new UsageError(
    `split: ${routes.length} routes attach to this Service; choose one with --route NAME (${routes.map((r) => r.metadata.name).join(', ')})`,
  );
}

function showRoutes(
  ctx: CommandContext,
  format: 'table' | 'json',
  service: string,
  routes: readonly RouteObject[],
): number {
  const rules = routes.flatMap(routeRules).map((rule) => {
    const total = rule.backends.reduce((sum, b) => sum + b.weight, 0);
    return {
      ...rule,
      backends: rule.backends.map((b) => ({ ...b, share: share(b.weight, total) })),
    };
  });
  if (format === 'json') {
    writeJson(ctx.stdout, { service, routes: rules });
    return EXIT_OK;
  }
  const rows = rules.flatMap((r) =>
    r.backends.map((b) => [
      `${r.kind} ${r.route}`,
      String(r.ruleIndex),
      r.matches,
      `${b.namespace === undefined ? '' : `${b.namespace}/`}${b.name}${b.port === undefined ? '' : `:${b.port}`}`,
      String(b.weight),
      `${b.share}%`,
    ]),
  );
  writeLine(ctx.stdout, formatTable([['ROUTE', 'RULE', 'MATCHES', 'BACKEND', 'WEIGHT', 'SHARE'], ...rows]));
  return EXIT_OK;
}

function weightOf(text: string): number {
  const w = parseWeight(text);
  return w.ok ? w.decimillis : 0;
}

function share(weight: number, total: number): number {
  return total > 0 ? Math.round((1000 * weight) / total) / 10 : 0;
}
