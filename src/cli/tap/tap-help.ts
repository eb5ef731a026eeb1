// The help text of `nodemesh tap`, kept apart so `--help` loads nothing else.

export const TAP_SUMMARY = 'Watch live requests through a proxy of the local mesh or (--kubernetes) a pod';

export const TAP_HELP = `Usage: nodemesh tap WORKLOAD [--direction inbound|outbound] [--authority HOST:PORT]
                    [--path PREFIX] [--method METHOD] [--limit N] [--rate N] [--duration D]
                    [--state-dir DIR] [-o wide|json]
       nodemesh tap --kubernetes [--context CTX] [-n NAMESPACE] POD|KIND/NAME|NAME [filters...]

Streams the requests going through WORKLOAD's proxy (a pod of the local mesh, e.g. web-0 or
front-0), one line per finished request, until Ctrl-C, --limit or --duration. Reads DIR/state.json
to find the proxy's control address and GETs /tap there (the proxy serves it on port 4190 to
loopback clients; see the README, "Tap").

With --kubernetes, WORKLOAD is a meshed pod (web-7d4b9c-x2x9k or pod/web-7d4b9c-x2x9k) or a
workload (deployment/web, or just web: its first running pod by name, said on stderr) in the
namespace (-n, default: the context's). The CLI port-forwards a local port to the pod's proxy
control port (from NODEMESH_PROXY_CONTROL_LISTEN_ADDR in the pod spec, else 4190) as kubectl
port-forward does, so the tap arrives on the pod's loopback; it needs the RBAC rules
\`list pods\` and \`create pods/portforward\` in the namespace.

Each line (the default format):

  req id=7 proxy=out src=127.0.11.1:50312 dst=127.0.10.2:8080 tls=true :method=GET
      :authority=web.shop.svc.cluster.local:80 :path=/ :status=200 latency=1.42ms duration=1.61ms

(on one line). proxy is in (inbound: a client calling this workload) or out (outbound: this
workload calling another); dst is the endpoint the proxy chose; tls says whether that hop was
mTLS; latency is the time to the response head, duration to its end. grpc-status=N follows
:status for gRPC; proxy-error="..." when the proxy answered itself (l5d-proxy-error), error="..."
when a response was cut short. -o wide adds the time, the client and server identities, the route
and the destination's labels; -o json prints the proxy's JSON lines as they come.

When more requests match than --rate allows, the proxy drops the rest and says how many: a note on
stderr (a {"type":"dropped"} line with -o json).

Exits 0 on Ctrl-C, at the end of --duration, or after --limit requests; 1 when the mesh is not
running, WORKLOAD is unknown (the known ones are listed) or its pod is not running, the API server
refuses (the RBAC rule is named), its proxy cannot be reached or refuses, or the proxy shuts down.

Flags:
  --direction DIR     inbound or outbound only
  --authority A       only requests for this authority (host:port, exactly)
  --path PREFIX       only requests whose path starts with PREFIX (e.g. /api)
  --method METHOD     only requests with this method (e.g. GET)
  --limit N           stop after N requests
  --rate N            at most N requests a second (default 100; the proxy caps it, 1000 by default)
  --duration D        stop after D, e.g. 30s or 2m
  --state-dir DIR     the state folder of the running mesh (default .nodemesh)
  -k, --kubernetes    tap a pod of the cluster of the kubeconfig (KUBECONFIG, else ~/.kube/config)
  --context CTX       the kubeconfig context (default: the current one)
  -n, --namespace NS  the pod's namespace (default: the context's)
  -o, --output FMT    wide or json (default: one line per request as above)
`;
