// The help text of `nodemesh stat`, kept apart so `--help` loads nothing else.

export const STAT_SUMMARY = 'Live traffic stats of the local mesh or a cluster: success rate, rps, latency, mTLS';

export const STAT_HELP = `Usage: nodemesh stat [--state-dir DIR] [--window 5s] [-o table|json]
       nodemesh stat --kubernetes [--context NAME] [--namespace NS | --all-namespaces] [--window 5s] [-o table|json]

Shows what the mesh is doing right now. Scrapes every proxy's admin /metrics twice, --window apart,
and prints per workload and direction (inbound, outbound):

  SUCCESS   successful responses / all responses in the window
  RPS       requests per second
  P50..P99  response latency, estimated from the latency histogram (like histogram_quantile)
  TCP       open TCP connections
  MTLS      share of requests over mTLS: inbound, that arrived with a client identity;
            outbound, that were sent to an endpoint over mTLS (its server_id verified)

The local mesh (npm start): the proxies listed in DIR/state.json, each its own workload.

A cluster (--kubernetes): the pods with a nodemesh-proxy container, read through the API server's
pod proxy (GET /api/v1/namespaces/NS/pods/POD:4191/proxy/metrics), so only the RBAC rules
\`list pods\` and \`get pods/proxy\` are needed: no port-forward, no Prometheus. Pods are grouped into
their workload (deployment/web, statefulset/db, …) and added up; the table gains NAMESPACE and PODS
(pods answered / pods running). Pods not running are noted, not scraped.

A proxy that does not answer is listed as unreachable. Exits 1 when there is nothing to scrape (no
mesh running, no meshed pods, the API server refuses) or a proxy is unreachable.

Flags:
  --state-dir DIR       the state folder of the running local mesh (default .nodemesh)
  -k, --kubernetes      read a cluster through the Kubernetes API instead of the local mesh
  --context NAME        the kubeconfig context (default: the current one); KUBECONFIG, else
                        ~/.kube/config, else the in-cluster service account
  -n, --namespace NS    the namespace to look in (default: the context's namespace)
  -A, --all-namespaces  every namespace (needs \`list pods\` cluster-wide)
  --window DURATION     time between the two scrapes, e.g. 5s or 500ms (default 5s)
  -o, --output FMT      table (default) or json
`;
