// The help text of `nodemesh split`, kept apart so `--help` loads nothing else.

export const SPLIT_SUMMARY = "Show or set a Service's traffic split (ServiceProfile dstOverrides) in the local mesh";

export const SPLIT_HELP = `Usage: nodemesh split SERVICE.NAMESPACE [--set BACKEND=WEIGHT,...] [--state-dir DIR] [-o table|json]

Without --set, shows how the Service's requests are split across backend Services: the
dstOverrides of its ServiceProfile in the local mesh's resources folder, with each backend's share.

With --set, writes new weights for a canary step or a blue/green flip, e.g.

  nodemesh split web.shop --set web-stable=90,web-canary=10
  nodemesh split web.shop --set web-canary=1            # everything to the canary
  nodemesh split web.shop --set none                    # no split: the Service's own endpoints

BACKEND is a Service name in the same namespace (or a full authority host[:port]); WEIGHT is a
relative Kubernetes quantity (90, 10, 0.5, 500m; 0 sends that backend nothing). The profile is
edited in place (its routes and comments kept) or created; the destination service picks the
change up and the proxies apply it to their next requests. In Kubernetes edit the ServiceProfile
with kubectl (writing it from here is not built yet).

Flags:
  --set SPLIT         BACKEND=WEIGHT pairs separated by commas, or "none"
  --state-dir DIR     the state folder of the running mesh (default .nodemesh)
  -o, --output FMT    table (default) or json
`;
