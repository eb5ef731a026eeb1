// Help text of `nodemesh destination`, kept apart so `--help` loads nothing else.

export const DESTINATION_HELP = `Usage: nodemesh destination

Runs the destination service: io.linkerd.proxy.destination.Destination/Get and /GetProfile on
NODEMESH_DESTINATION_LISTEN_ADDR (0.0.0.0:8086), admin (/metrics /ready /live) on 9996. Endpoints
and profiles come from Kubernetes (informers on Services, EndpointSlices, Pods, ServiceProfiles, and
HTTPRoutes/GRPCRoutes when the cluster serves them) or, in local mode, from a watched folder of YAML.
Profiles carry the Gateway API routes that apply to the asking client (ADR 0012). In Kubernetes
mode the replica holding the Lease nodemesh-destination-route-status writes the routes' status
conditions (Accepted, ResolvedRefs); every replica serves reads.

The gRPC server is plaintext unless both TLS files are set: a certificate for
nodemesh-destination.<ns>.serviceaccount.identity.<ns>.<trust-domain> from the mesh's issuer, which
proxies verify when their NODEMESH_PROXY_DESTINATION_SVC_NAME names it. The files are read once at
start (no rotation yet). Without them, run it only where proxies reach it over a trusted network.
Memory: NODE_OPTIONS=--max-semi-space-size=2 keeps a large cluster's controller well below its
default footprint (docs/performance.md).

Environment:
  NODEMESH_DESTINATION_LISTEN_ADDR            gRPC address (default 0.0.0.0:8086)
  NODEMESH_DESTINATION_ADMIN_LISTEN_ADDR      admin address (default 0.0.0.0:9996)
  NODEMESH_DESTINATION_SOURCE                 kubernetes (default) or files
  NODEMESH_DESTINATION_RESOURCES_DIR          folder of YAML, required with files
  NODEMESH_DESTINATION_CLUSTER_DOMAIN         default cluster.local
  NODEMESH_DESTINATION_CONTROL_NAMESPACE      default nodemesh (pods labelled nodemesh.io/control-plane-ns=<it> get identities)
  NODEMESH_DESTINATION_TRUST_DOMAIN           default cluster.local
  NODEMESH_DESTINATION_DEFAULT_OPAQUE_PORTS   default 25,587,3306,4444,5432,6379,9300,11211
                                              (a Service's config.nodemesh.io/opaque-ports replaces it)
  NODEMESH_DESTINATION_STREAM_QUEUE_CAPACITY  updates a stream may fall behind before it is closed
                                              with RESOURCE_EXHAUSTED (default 100)
  NODEMESH_DESTINATION_TLS_CERT_FILE          PEM certificate chain for the gRPC server (optional)
  NODEMESH_DESTINATION_TLS_KEY_FILE           its PEM private key (set both or neither)
  NODEMESH_DESTINATION_POD_NAME               this replica's name in the route-status Lease
                                              (default: the host name; the chart sets the pod name)
  NODEMESH_DESTINATION_MEMORY_SAVING          off (default), until-synced, always: V8's memory-saving
                                              mode (less memory, more CPU; docs/performance.md)
  NODEMESH_DESTINATION_HEAP_GROWING_PERCENT   how far V8's heap may grow past its live size before a
                                              full GC (default 30; 0 lets V8 choose, up to 4×)
  NODEMESH_LOG_LEVEL, NODEMESH_LOG_FORMAT     logging
`;
