// The help texts of `nodemesh inject` and `nodemesh uninject`, kept apart so `--help` loads nothing else.

export const INJECT_SUMMARY =
  'add the nodemesh proxy to Kubernetes YAML (annotation, or the full sidecar with --manual)';

export const INJECT_HELP = `Usage: nodemesh inject FILE|DIR|- ... [--manual] [--values FILE]... [--trust-anchors FILE] [--namespace NS]

Reads Kubernetes YAML (or JSON) from files, folders (every .yaml, .yml and .json file in them) or
standard input (-), and writes it to standard output with each workload's pod template marked for
injection: the annotation nodemesh.io/inject: enabled, so the proxy injector adds the proxy when the
pods are created. Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers,
Jobs and CronJobs are changed, also inside List objects and multi-document files; every other object
is written unchanged. A summary line per object goes to standard error.

  kubectl get deploy web -n shop -o yaml | nodemesh inject - | kubectl apply -f -

With --manual the proxy is added to the YAML itself, by the same code the proxy injector runs (its
containers, volumes, labels and annotations), from the chart's values.yaml with each --values file
merged over it as Helm merges them. The webhook then leaves those pods alone. --manual needs the
mesh's trust anchors: --trust-anchors, or identityTrustAnchorsPEM in a --values file.

Flags:
  --manual                 add the proxy to the YAML instead of only the annotation
  --values FILE            a values file merged over the chart's values.yaml (repeatable; --manual)
  --trust-anchors FILE     PEM trust anchor certificate(s) (--manual)
  --namespace NS           the control plane's namespace (default: the values' controlPlaneNamespace,
                           else nodemesh) (--manual)

Exit status: 0 when every object was read (skipped ones included), 1 when a file could not be read
or an annotation has a value not allowed (that object is written unchanged), 2 on a command-line error.
`;

export const UNINJECT_SUMMARY = 'remove the nodemesh proxy from Kubernetes YAML';

export const UNINJECT_HELP = `Usage: nodemesh uninject FILE|DIR|- ... [--values FILE]...

Reads Kubernetes YAML like nodemesh inject and writes it with everything the injector added
removed from each pod template: the nodemesh-proxy and nodemesh-init containers, their volumes,
the nodemesh.io/* labels and annotations (nodemesh.io/inject: disabled is kept), and a
config.nodemesh.io/opaque-ports annotation equal to the one the injector computes. So
nodemesh inject --manual ... | nodemesh uninject - gives back the input.

Flags:
  --values FILE            a values file merged over the chart's values.yaml (for proxy.opaquePorts)

Exit status: 0 on success, 1 when a file could not be read, 2 on a command-line error.
`;
