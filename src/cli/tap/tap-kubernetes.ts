// `nodemesh tap --kubernetes NAME`: pick the meshed pod NAME means (a pod, or a workload's first
// running pod: ../kube/pod-pick.ts), port-forward a local port to its proxy's control port (as
// `kubectl port-forward` does: the connection arrives on the pod's loopback, where the proxy lets
// tap clients in; ADR 0013, "Tap"), and stream the tap through it. Needs the RBAC rules
// `list pods` and `create pods/portforward` in the namespace.

import { EXIT_FAILURE, type CommandContext } from '../command.ts';
import { connectKube } from '../kube/kube-api.ts';
import { pickProxyPod, type PickedPod } from '../kube/pod-pick.ts';
import { startPortForward, type PortForwarder } from '../kube/port-forward.ts';
import { writeLine } from '../output.ts';
import { ProxySourceError } from '../stat/proxy-target.ts';
import { tapPath, type TapArgs } from './tap-args.ts';
import { tapUntilStopped } from './tap-command.ts';

export async function runTapKubernetes(
  ctx: CommandContext,
  args: TapArgs,
  scope: NonNullable<TapArgs['kubernetes']>,
): Promise<number> {
  const api = connectKube(ctx.env, { command: 'tap', context: scope.context });
  const namespace = scope.namespace ?? api.namespace;
  let picked: PickedPod;
  let forwarder: PortForwarder;
  try {
    picked = await pickProxyPod(api, namespace, args.workload, ctx.signal);
  } catch (err) {
    if (!(err instanceof ProxySourceError)) throw err;
    writeLine(ctx.stderr, `error: ${err.message}`);
    return EXIT_FAILURE;
  }
  const { pod } = picked;
  const podName = `pod ${pod.namespace}/${pod.name}`;
  if (picked.workload !== undefined) {
    const { name, running } = picked.workload;
    writeLine(
      ctx.stderr,
      `${name}: tapping ${podName} (the first of ${running} running pod${running === 1 ? '' : 's'})`,
    );
  }
  try {
    forwarder = await startPortForward(
      { kubeConfig: api.kubeConfig, place: api },
      { namespace: pod.namespace, pod: pod.name, port: pod.controlPort },
    );
  } catch (err) {
    writeLine(ctx.stderr, `error: cannot open a local port for the port-forward: ${String(err)}`);
    return EXIT_FAILURE;
  }
  try {
    const url = new URL(tapPath(args), `http://127.0.0.1:${forwarder.localPort}`);
    return await tapUntilStopped(ctx, args, {
      name: podName,
      url,
      tapping: `tapping ${podName} (port-forward 127.0.0.1:${forwarder.localPort} → control port ${pod.controlPort}, ${url.pathname}${url.search})`,
      unreachable: (reason) =>
        forwarder.lastError()?.message ??
        `cannot reach the proxy of ${podName} through a port-forward to its control port ${pod.controlPort} (${reason})`,
    });
  } finally {
    await forwarder.close();
  }
}
