// The help text of `nodemesh stat`, kept apart so `--help` loads nothing else.

export const STAT_SUMMARY = 'Live traffic stats of the local mesh: success rate, rps, latency, mTLS';

export const STAT_HELP = `Usage: nodemesh stat [--state-dir DIR] [--window 5s] [-o table|json]

Shows what the local mesh (npm start) is doing right now. Reads DIR/state.json, scrapes every
proxy's admin /metrics twice, --window apart, and prints per workload and direction (inbound,
outbound):

  SUCCESS   successful responses / all responses in the window
  RPS       requests per second
  P50..P99  response latency, estimated from the latency histogram (like histogram_quantile)
  TCP       open TCP connections
  MTLS      share of inbound requests that came over mTLS

A proxy that does not answer is listed as unreachable. Exits 1 when the mesh is not running or a
proxy is unreachable.

Flags:
  --state-dir DIR     the state folder of the running mesh (default .nodemesh)
  --window DURATION   time between the two scrapes, e.g. 5s or 500ms (default 5s)
  -o, --output FMT    table (default) or json
`;
