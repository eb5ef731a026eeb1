// `nodemesh check`: is every component of the local mesh ready, and does every proxy hold an mTLS
// certificate that is still valid? With --kubernetes, the same for a cluster: the control plane's
// Deployments, webhooks and CRDs, and every meshed pod's proxy (check-kubernetes.ts). One line per
// check, exit 1 if any fails.

import { UsageError } from '../../errors/index.ts';
import { parseFlags } from '../args.ts';
import { EXIT_FAILURE, type CommandContext } from '../command.ts';
import { writeLine } from '../output.ts';
import { MeshStateError, isProxy, readMeshState, type MeshComponent } from '../stat/mesh-state.ts';
import { PROXY_SOURCE_FLAGS, chooseProxySource } from '../stat/proxy-source-flags.ts';
import { localTarget } from '../stat/proxy-source-local.ts';
import { printResults } from './check-output.ts';
import { checkCertificate, checkReady } from './check-proxy.ts';

export { certificateResult, type CheckResult } from './check-proxy.ts';

export const DEFAULT_CONTROL_PLANE_NAMESPACE = 'nodemesh';

/** What to do when a local component does not answer, by component name. */
const UNREACHABLE_HINTS: Readonly<Record<string, string>> = {
  identity:
    'the identity service is down: proxies cannot get or renew mTLS certificates (each keeps its current one until it expires); restart the mesh (npm start).',
  destination:
    'the destination service is down: proxies keep routing with what they last learned but see no changes; restart the mesh (npm start).',
};
const DEFAULT_UNREACHABLE_HINT = 'is the mesh still running (npm start)?';

export async function runCheck(ctx: CommandContext): Promise<number> {
  const cmd = 'check';
  const { values } = parseFlags(cmd, ctx.argv, {
    ...PROXY_SOURCE_FLAGS,
    'control-plane-namespace': { type: 'string' },
  });
  const choice = chooseProxySource(cmd, values);
  if (choice.kind === 'kubernetes') {
    const { runCheckKubernetes } = await import('./check-kubernetes.ts');
    return runCheckKubernetes(ctx, {
      context: choice.context,
      namespace: choice.namespace,
      controlPlaneNamespace: values['control-plane-namespace'] ?? DEFAULT_CONTROL_PLANE_NAMESPACE,
    });
  }
  if (values['control-plane-namespace'] !== undefined) {
    throw new UsageError(`${cmd}: --control-plane-namespace applies only with --kubernetes (-k)`);
  }

  let components: readonly MeshComponent[];
  try {
    components = (await readMeshState(ctx.cwd, choice.stateDir)).components;
  } catch (err) {
    if (!(err instanceof MeshStateError)) throw err;
    writeLine(ctx.stderr, `✖ ${err.message}`);
    return EXIT_FAILURE;
  }
  const withAdmin = components.filter((c) => c.addresses.admin !== undefined);
  const now = Date.now();
  const results = await Promise.all(
    withAdmin.map(async (c) => {
      const target = localTarget(c);
      const hint = UNREACHABLE_HINTS[c.name] ?? DEFAULT_UNREACHABLE_HINT;
      const checks = [await checkReady(c, target, ctx.signal, hint)];
      if (isProxy(c)) checks.push(await checkCertificate(c, target, ctx.signal, now));
      return checks;
    }),
  );
  return printResults(ctx.stdout, results.flat());
}
