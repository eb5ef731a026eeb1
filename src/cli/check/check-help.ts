// The help text of `nodemesh check`, kept apart so `--help` loads nothing else.

export const CHECK_SUMMARY = 'Health of the local mesh: readiness of every component, proxy certificates';

export const CHECK_HELP = `Usage: nodemesh check [--state-dir DIR]

Checks the local mesh (npm start). Reads DIR/state.json and, for every component with an admin
address, asks its /ready; for every proxy, reads identity_cert_expiration_timestamp_seconds from
its /metrics and shows how long its mTLS certificate has left. Prints one line per check, ✔ or ✖,
with a hint under each failure. Exits 1 when any check fails or the mesh is not running.

Flags:
  --state-dir DIR   the state folder of the running mesh (default .nodemesh)
`;
