// `nodemesh check --kubernetes`: the health of a cluster's mesh, read through the API server only.
// The control plane's Deployments have available replicas, its admission webhook configurations
// and the ServiceProfile CRD are installed, and every meshed pod's proxy is ready and holds a valid
// mTLS certificate (read through the pod proxy subresource). Each failure carries a hint. Loads
// @kubernetes/client-node (imported lazily by check-command.ts).

import type { CommandContext } from '../command.ts';
import { writeLine } from '../output.ts';
import { connectKube, type KubeApi } from '../kube/kube-api.ts';
import { KubeAccessError, refusal, unreachable } from '../kube/kube-errors.ts';
import { KubernetesProxySource } from '../kube/proxy-source-kubernetes.ts';
import { EXIT_FAILURE } from '../command.ts';
import { mapLimited } from '../stat/scrape.ts';
import { printResults } from './check-output.ts';
import { checkCertificate, checkReady, type CheckResult } from './check-proxy.ts';

/** The control plane's Deployments, as charts/nodemesh-control-plane names them. */
export const CONTROL_PLANE_DEPLOYMENTS = ['nodemesh-identity', 'nodemesh-destination', 'nodemesh-proxy-injector'];

/** The chart's webhook configurations: [kind, plural, name]. */
export const WEBHOOK_CONFIGURATIONS = [
  ['MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', 'nodemesh-proxy-injector-webhook-config'],
  ['ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', 'nodemesh-validator-webhook-config'],
] as const;

export const CRDS = ['serviceprofiles.nodemesh.io'];

const TIMEOUT_MS = 5000;
const PROXY_CHECK_CONCURRENCY = 8;

export interface CheckKubernetesOptions {
  readonly context: string | undefined;
  /** Only this namespace's pods; undefined: every namespace. */
  readonly namespace: string | undefined;
  readonly controlPlaneNamespace: string;
}

export async function runCheckKubernetes(ctx: CommandContext, options: CheckKubernetesOptions): Promise<number> {
  let api: KubeApi;
  try {
    api = connectKube(ctx.env, { command: 'check', context: options.context });
  } catch (err) {
    if (!(err instanceof KubeAccessError)) throw err;
    writeLine(ctx.stderr, `✖ ${err.message}`);
    return EXIT_FAILURE;
  }
  const results: CheckResult[] = [];
  try {
    for (const name of CONTROL_PLANE_DEPLOYMENTS) {
      results.push(await forbiddenAsFailure(checkDeployment(api, options.controlPlaneNamespace, name, ctx.signal)));
    }
    for (const [kind, plural, name] of WEBHOOK_CONFIGURATIONS) {
      results.push(await forbiddenAsFailure(checkWebhook(api, kind, plural, name, ctx.signal)));
    }
    for (const name of CRDS) results.push(await forbiddenAsFailure(checkCrd(api, name, ctx.signal)));
    results.push(...(await checkProxies(api, options.namespace, ctx.signal)));
  } catch (err) {
    // The API server did not answer or refused the list of pods: nothing more can be checked.
    if (!(err instanceof KubeAccessError)) throw err;
    results.push({ ok: false, message: err.message, hint: accessHint(err) });
  }
  return printResults(ctx.stdout, results);
}

/** A refused read (403) is one failed check; the other checks still run. */
async function forbiddenAsFailure(check: Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await check;
  } catch (err) {
    if (err instanceof KubeAccessError && err.status === 403)
      return { ok: false, message: err.message, hint: accessHint(err) };
    throw err;
  }
}

function accessHint(err: KubeAccessError): string {
  return err.status === 403
    ? 'grant your user the missing RBAC rule (the table in docs/security.md lists what the CLI needs)'
    : 'check the kubeconfig context (kubectl config current-context) and that the cluster is up';
}

/** GETs `path`: the parsed object, or undefined for 404; throws KubeAccessError otherwise. */
async function getObject(
  api: KubeApi,
  path: string,
  what: string,
  rbac: string,
  signal: AbortSignal,
): Promise<Record<string, unknown> | undefined> {
  let res;
  try {
    res = await api.get(path, TIMEOUT_MS, signal);
  } catch (err) {
    throw unreachable(api, what, err);
  }
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw refusal(api, what, rbac, res.status, res.body);
  return JSON.parse(res.body) as Record<string, unknown>;
}

async function checkDeployment(api: KubeApi, ns: string, name: string, signal: AbortSignal): Promise<CheckResult> {
  const path = `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/deployments/${encodeURIComponent(name)}`;
  const deployment = await getObject(
    api,
    path,
    `get deployment ${ns}/${name}`,
    `\`get deployments\` in namespace ${ns}`,
    signal,
  );
  if (deployment === undefined) {
    return {
      ok: false,
      message: `control plane: deployment ${ns}/${name} not found`,
      hint: `install the control plane (helm install nodemesh-control-plane charts/nodemesh-control-plane --namespace ${ns}, docs/install.md), or pass --control-plane-namespace if it lives elsewhere`,
    };
  }
  const spec = (deployment['spec'] ?? {}) as { replicas?: unknown };
  const status = (deployment['status'] ?? {}) as { availableReplicas?: unknown };
  const desired = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const available = typeof status.availableReplicas === 'number' ? status.availableReplicas : 0;
  const counted = `${available}/${desired} replicas available`;
  if (available > 0) return { ok: true, message: `control plane: ${name} has ${counted}` };
  return {
    ok: false,
    message: `control plane: ${name} has ${counted}`,
    hint: `see why: kubectl -n ${ns} describe deployment ${name}; kubectl -n ${ns} logs deploy/${name}`,
  };
}

async function checkWebhook(
  api: KubeApi,
  kind: string,
  plural: string,
  name: string,
  signal: AbortSignal,
): Promise<CheckResult> {
  const path = `/apis/admissionregistration.k8s.io/v1/${plural}/${encodeURIComponent(name)}`;
  const found = await getObject(api, path, `get ${kind} ${name}`, `\`get ${plural}\` (cluster-wide)`, signal);
  if (found !== undefined) return { ok: true, message: `${kind} ${name} is installed` };
  return {
    ok: false,
    message: `${kind} ${name} not found`,
    hint:
      kind === 'MutatingWebhookConfiguration'
        ? 'without it new pods get no proxy; reinstall the control-plane chart (docs/install.md)'
        : 'without it invalid ServiceProfiles and routes are accepted; reinstall the control-plane chart (docs/install.md)',
  };
}

async function checkCrd(api: KubeApi, name: string, signal: AbortSignal): Promise<CheckResult> {
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${encodeURIComponent(name)}`;
  const found = await getObject(api, path, `get CRD ${name}`, '`get customresourcedefinitions` (cluster-wide)', signal);
  if (found !== undefined) return { ok: true, message: `CRD ${name} is installed` };
  return {
    ok: false,
    message: `CRD ${name} not found`,
    hint: 'install the CRDs: helm install nodemesh-crds charts/nodemesh-crds',
  };
}

async function checkProxies(api: KubeApi, namespace: string | undefined, signal: AbortSignal): Promise<CheckResult[]> {
  const source = new KubernetesProxySource({ api }, { namespace });
  const list = await source.list(signal);
  const now = Date.now();
  const results: CheckResult[] = [];
  if (list.targets.length === 0 && list.skipped.length === 0) {
    return [{ ok: true, message: `no meshed pods in ${source.where} (nothing more to check)` }];
  }
  const perTarget = await mapLimited(list.targets, PROXY_CHECK_CONCURRENCY, async (target) => {
    const checked = { name: `${target.namespace ?? ''}/${target.name}`, log: target.log };
    return [
      await checkReady(checked, target, signal, 'is the pod running and the API server able to reach it?'),
      await checkCertificate(checked, target, signal, now),
    ];
  });
  results.push(...perTarget.flat());
  for (const s of list.skipped) {
    results.push({
      ok: false,
      message: `${s.namespace ?? ''}/${s.name} is not running (${s.reason})`,
      hint: `kubectl -n ${s.namespace ?? 'default'} describe pod ${s.name}`,
    });
  }
  return results;
}
