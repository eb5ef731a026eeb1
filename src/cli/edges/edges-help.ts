// The help text of `nodemesh edges`, kept apart so `--help` loads nothing else.

export const EDGES_SUMMARY =
  'Who calls whom (local mesh or --kubernetes): both identities, rps, success rate, mTLS share';

export const EDGES_HELP = `Usage: nodemesh edges [--state-dir DIR] [--window 5s] [-o table|json]
       nodemesh edges --kubernetes [--context CTX] [-n NAMESPACE | -A] [--window 5s] [-o table|json]

Shows the calls between the workloads of the local mesh (npm start), or with --kubernetes between
the meshed pods of a cluster. Reads DIR/state.json (or lists the pods with a nodemesh-proxy
container and reads each proxy through the API server's pods/proxy subresource), scrapes every
proxy's admin /metrics twice, --window apart, and pairs what the caller's outbound proxy
counted (per destination: its dst_* labels or target_ip) with what the destination's inbound proxy
counted (per caller identity: client_id over mTLS). One row per edge:

  SRC      calling workload (namespace/pod with --kubernetes); "unknown" for callers no proxy of
           the mesh accounts for
  DST      called workload (namespace/pod); a peer outside the mesh is named from its labels
           (dst_service, ...)
  SRC_ID   the caller's identity as the destination's inbound proxy saw it ("-": not seen)
  DST_ID   the destination's identity (server_id, or the destination proxy's own identity once it
           has seen the caller over mTLS; "-": unknown)
  RPS      requests per second in the window
  SUCCESS  successful responses / all responses in the window
  MTLS     share of the window's requests that arrived over mTLS ("-": cannot be seen, e.g. the
           destination is not a proxy of the mesh, or no requests in the window)

A proxy that does not answer is listed below the table, and with --kubernetes the meshed pods not
running. Exits 1 when the mesh is not running (no meshed pods), the API server refuses, or a
proxy is unreachable. With --kubernetes the CLI needs the RBAC rules \`list pods\` and
\`get pods/proxy\`; a pod's identity is read from its proxy container's environment.

Flags:
  --state-dir DIR     the state folder of the running mesh (default .nodemesh)
  -k, --kubernetes    look at the cluster of the kubeconfig (KUBECONFIG, else ~/.kube/config)
  --context CTX       the kubeconfig context (default: the current one)
  -n, --namespace NS  the namespace (default: the context's)
  -A, --all-namespaces  every namespace
  --window DURATION   time between the two scrapes, e.g. 5s or 500ms (default 5s)
  -o, --output FMT    table (default) or json
`;
