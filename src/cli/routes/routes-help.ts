// The help text of `nodemesh routes`, kept apart so `--help` loads nothing else.

export const ROUTES_SUMMARY = 'Live traffic per route of the local mesh: success rate, rps, retries, latency';

export const ROUTES_HELP = `Usage: nodemesh routes [--state-dir DIR] [--window 5s] [--workload NAME] [-o table|json]

Shows the golden metrics of every route the local mesh's proxies (npm start) send to. Reads
DIR/state.json, scrapes every proxy's admin /metrics twice, --window apart, and prints per workload
(the proxy's workload) and route:

  ROUTE       the ServiceProfile route (rt_route; [default] for requests matching no route),
              or the Gateway API route's name (HTTPRoute, GRPCRoute)
  SERVICE     the destination (dst), or the Gateway API route's parent (name.namespace:port)
  SUCCESS     successful responses / all responses in the window; for Gateway API routes a
              success is an HTTP status below 500, gRPC status OK (if any) and no proxy error
  RPS         requests per second
  ACTUAL_RPS  attempts per second, retries included (ServiceProfile routes; "-" otherwise)
  P50..P99    response latency, estimated from route_response_latency_ms (like
              histogram_quantile); "-" for Gateway API routes, which have no latency histogram

A proxy that does not answer is listed as unreachable. Exits 1 when the mesh is not running, no
proxy serves --workload, or a proxy is unreachable.

Flags:
  --state-dir DIR     the state folder of the running mesh (default .nodemesh)
  --window DURATION   time between the two scrapes, e.g. 5s or 500ms (default 5s)
  --workload NAME     only this workload's proxy (e.g. web)
  -o, --output FMT    table (default) or json
`;
