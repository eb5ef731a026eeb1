// The help text of `nodemesh dashboard`, kept apart so `--help` loads nothing else.

export const DASHBOARD_SUMMARY = 'A live web page of the local mesh: workloads, edges, routes, splits';

export const DASHBOARD_HELP = `Usage: nodemesh dashboard [--address 127.0.0.1:50750] [--interval 2s] [--state-dir DIR] [--allow-remote]

Serves a web page of the local mesh (npm start starts one; its URL is in DIR/state.json). Every
--interval it scrapes every proxy's admin /metrics (each scrape bounded, rounds never overlap) and
shows, from the last two rounds:

  - the topology: workloads and who calls whom, with mTLS status per edge
  - per workload: success rate, requests per second, p50/p95/p99 latency, TCP connections, mTLS
    share, the proxies' request counters, and live charts (rps, success, p99) of the last minutes
  - per route (ServiceProfile and Gateway API routes) and traffic splits (measured share per
    backend next to the configured weights)

The same data is at GET /api/snapshot as JSON. The page is built from dashboard/ with Vite when
dashboard/dist is missing or older than its sources (npm run build:dashboard does it by hand).

The dashboard has no authentication: it listens on loopback only, unless --allow-remote is given.

Flags:
  --address HOST:PORT   where to listen (default 127.0.0.1:50750; port 0 picks a free one)
  --interval DURATION   time between rounds of scrapes, at least 200ms (default 2s)
  --state-dir DIR       the state folder of the running mesh (default .nodemesh)
  --allow-remote        allow a non-loopback --address
`;
