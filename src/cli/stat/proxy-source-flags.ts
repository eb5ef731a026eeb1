// The flags that choose where `stat`, `routes` and `check` find proxies — the local mesh
// (`--state-dir`) or a cluster (`--kubernetes`, `--context`, `--namespace`, `--all-namespaces`) —
// and the ProxySource they make. The Kubernetes source (and @kubernetes/client-node) is loaded only
// with --kubernetes.

import { UsageError } from '../../errors/index.ts';
import type { CommandContext } from '../command.ts';
import { LocalProxySource } from './proxy-source-local.ts';
import type { ProxySource } from './proxy-target.ts';

export const PROXY_SOURCE_FLAGS = {
  'state-dir': { type: 'string' },
  kubernetes: { type: 'boolean', short: 'k' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
} as const;

export interface ProxySourceFlags {
  readonly 'state-dir'?: string | undefined;
  readonly kubernetes?: boolean | undefined;
  readonly context?: string | undefined;
  readonly namespace?: string | undefined;
  readonly 'all-namespaces'?: boolean | undefined;
}

/** Where to look, checked: the local mesh's state folder, or a cluster scope. */
export type ProxySourceChoice =
  | { readonly kind: 'local'; readonly stateDir: string | undefined }
  | {
      readonly kind: 'kubernetes';
      readonly context: string | undefined;
      /** undefined: the kubeconfig context's namespace (or every namespace, see allNamespaces). */
      readonly namespace: string | undefined;
      readonly allNamespaces: boolean;
    };

/** Checks the combination of flags; a UsageError names the flag that does not fit. */
export function chooseProxySource(command: string, values: ProxySourceFlags): ProxySourceChoice {
  if (values.kubernetes !== true) {
    for (const flag of ['context', 'namespace', 'all-namespaces'] as const) {
      if (values[flag] !== undefined) {
        throw new UsageError(`${command}: --${flag} applies only with --kubernetes (-k)`);
      }
    }
    return { kind: 'local', stateDir: values['state-dir'] };
  }
  if (values['state-dir'] !== undefined) {
    throw new UsageError(`${command}: --state-dir is for the local mesh; it does not go with --kubernetes`);
  }
  if (values.namespace !== undefined && values['all-namespaces'] === true) {
    throw new UsageError(`${command}: --namespace and --all-namespaces exclude each other; give one`);
  }
  if (values.namespace === '') throw new UsageError(`${command}: --namespace needs a namespace name`);
  return {
    kind: 'kubernetes',
    context: values.context,
    namespace: values.namespace,
    allNamespaces: values['all-namespaces'] === true,
  };
}

/** The ProxySource the flags choose (loads the Kubernetes client only for --kubernetes). */
export async function openProxySource(
  ctx: CommandContext,
  command: string,
  choice: ProxySourceChoice,
): Promise<ProxySource> {
  if (choice.kind === 'local') return new LocalProxySource({ cwd: ctx.cwd, stateDir: choice.stateDir });
  const { connectKube } = await import('../kube/kube-api.ts');
  const { KubernetesProxySource } = await import('../kube/proxy-source-kubernetes.ts');
  const api = connectKube(ctx.env, { command, context: choice.context });
  return new KubernetesProxySource(
    { api },
    { namespace: choice.allNamespaces ? undefined : (choice.namespace ?? api.namespace) },
  );
}
