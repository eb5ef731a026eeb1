// The help text of `nodemesh demo`, kept apart so `--help` loads nothing else.

export const DEMO_HELP = `Usage: nodemesh demo [--state-dir DIR] [--duration DURATION] [--proxy-env NAME=VALUE ...]

Runs the local mesh: every component this build has, each as its own process on loopback, until
Ctrl-C (or SIGTERM, or the end of --duration). Writes DIR/state.json describing what runs where,
and each component's log to DIR/logs/. 'npm start' runs this command.

Flags:
  --state-dir DIR       the state folder (default .nodemesh)
  --duration DURATION   stop by itself after this long, e.g. 60s or 5m (default: run until stopped)
  --proxy-env NAME=VALUE
                        an extra NODEMESH_PROXY_* setting for every proxy (repeatable), e.g.
                        NODEMESH_PROXY_IDENTITY_MAX_REFRESH=15s; not one the demo sets itself
`;
