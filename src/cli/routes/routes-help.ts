// The help text of `nodemesh routes`, kept apart so `--help` loads nothing else.

export const ROUTES_SUMMARY =
  'Live traffic per route of the local mesh or a cluster: success rate, rps, retries, latency';

export const ROUTES_HELP = `Usage: nodemesh routes [--state-dir DIR] [--window 5s] [--workload NAME] [-o table|json]
       nodemesh routes --kubernetes [--context NAME] [--namespace NS | --all-namespaces] [...]

Shows the golden metrics of every route the mesh's proxies send to. Scrapes every proxy's admin
/metrics twice, --window apart, and prints per workload (the proxy's workload) and route:

  ROUTE       the ServiceProfile route (rt_route; [default] for requests matching no route),
              or the Gateway API route's name (HTTPRoute, GRPCRoute)
  SERVICE     the destination (dst), or the Gateway API route's parent (name.namespace:port)
  SUCCESS     successful responses / all responses in the window; for Gateway API routes a
              success is an HTTP status below 500, gRPC status OK (if any) and no proxy error
  RPS         requests per second
  ACTUAL_RPS  attempts per second, retries included (ServiceProfile routes; "-" otherwise)
  P50..P99    response latency, estimated from route_response_latency_ms (like
              histogram_quantile); "-" for Gateway API routes, which have no latency histogram

The local mesh (npm start): the proxies listed in DIR/state.json. A cluster (--kubernetes): the
pods with a nodemesh-proxy container, read through the API server's pod proxy (RBAC \`list pods\`,
\`get pods/proxy\`), grouped into workloads (deployment/web, …) and added up, with a NAMESPACE column.

A proxy that does not answer is listed as unreachable. Exits 1 when there is nothing to scrape, no
proxy serves --workload, or a proxy is unreachable.

Flags:
  --state-dir DIR       the state folder of the running local mesh (default .nodemesh)
  -k, --kubernetes      read a cluster through the Kubernetes API instead of the local mesh
  --context NAME        the kubeconfig context (default: the current one)
  -n, --namespace NS    the namespace to look in (default: the context's namespace)
  -A, --all-namespaces  every namespace
  --window DURATION     time between the two scrapes, e.g. 5s or 500ms (default 5s)
  --workload NAME       only this workload's proxies (e.g. web, or deployment/web)
  -o, --output FMT      table (default) or json
`;
