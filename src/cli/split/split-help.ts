// The help text of `nodemesh split`, kept apart so `--help` loads nothing else.

export const SPLIT_SUMMARY =
  "Show or set a Service's traffic split (ServiceProfile dstOverrides or Gateway API route backends)";

export const SPLIT_HELP = `Usage: nodemesh split SERVICE.NAMESPACE [--set BACKEND=WEIGHT,...] [--route NAME] [--rule N]
                      [--kubernetes | --state-dir DIR] [-o table|json]

Without --set, shows how the Service's requests are split across backend Services, from the
resource the destination service uses (ADR 0012): its ServiceProfile when that has routes or
dstOverrides (each backend with its share), else the HTTPRoutes and GRPCRoutes attached to the
Service (every rule with its matches and weighted backendRefs).

With --set, writes new weights for a canary step or a blue/green flip, e.g.

  nodemesh split web.shop --set web-stable=90,web-canary=10
  nodemesh split web.shop --set web-canary=1            # everything to the canary
  nodemesh split web.shop --set none                    # ServiceProfile: no split at all
  nodemesh split catalog.shop --rule 1 --set catalog-v1=50,catalog-v2=50   # a route's rule

For a ServiceProfile, BACKEND is a Service name in the same namespace (or a full authority
host[:port]) and WEIGHT a relative Kubernetes quantity (90, 10, 0.5, 500m; 0 sends it nothing); the
profile is edited in place (routes and comments kept) or created. For a route, BACKEND is a Service
name and WEIGHT an integer from 0 to 1000000; the rule's other backends are kept with weight 0;
--route picks the route when several attach, --rule the rule (its index) when the route has several
with backends. The destination service picks the change up and the proxies apply it to their next
requests; requests in flight are untouched.

Where: the local mesh's resources folder (files written atomically), or with --kubernetes the
cluster of KUBECONFIG (in-cluster credentials otherwise): the object is replaced at the version
read, so a concurrent edit fails this step instead of being overwritten.

Flags:
  --set SPLIT         BACKEND=WEIGHT pairs separated by commas, or "none" (ServiceProfile)
  --route NAME        the HTTPRoute or GRPCRoute to change when more than one attaches
  --rule N            the rule of that route to change when it has several with backends
  --kubernetes        read and write through the Kubernetes API instead of the local mesh
  --state-dir DIR     the state folder of the running local mesh (default .nodemesh)
  -o, --output FMT    table (default) or json
`;
