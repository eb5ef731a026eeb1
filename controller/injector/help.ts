// Help text of `nodemesh injector`, kept apart so `--help` loads nothing else.

export const INJECTOR_HELP = `Usage: nodemesh injector

Runs the proxy injector: the mutating admission webhook that adds the nodemesh proxy (and
proxy-init, unless the CNI plugin is used) to pods of meshed namespaces and the opaque-ports
annotation to Services (POST /), and the validating webhook that refuses invalid ServiceProfiles
and mesh HTTPRoutes/GRPCRoutes (POST /validate), both AdmissionReview v1 over HTTPS. Admin
(/metrics /ready /live) on 9995. What it injects comes from the chart values in
NODEMESH_INJECTOR_CONFIG (the nodemesh-config ConfigMap), read once at start; namespaces'
labels and annotations are read from the Kubernetes API (KUBECONFIG, else in-cluster). The TLS
certificate files are checked for a change every reload interval and swapped without a restart.

Environment:
  NODEMESH_INJECTOR_LISTEN_ADDR            HTTPS address (default 0.0.0.0:8443)
  NODEMESH_INJECTOR_ADMIN_LISTEN_ADDR      admin address (default 0.0.0.0:9995)
  NODEMESH_INJECTOR_TLS_CERT_FILE          PEM certificate (default /var/run/nodemesh/tls/tls.crt)
  NODEMESH_INJECTOR_TLS_KEY_FILE           PEM key (default /var/run/nodemesh/tls/tls.key)
  NODEMESH_INJECTOR_CONFIG                 chart values to inject with
                                           (default /var/run/nodemesh/config/values)
  NODEMESH_INJECTOR_CERT_RELOAD_INTERVAL   how often the TLS files are checked (default 10s)
  NODEMESH_INJECTOR_NAMESPACE_CACHE_TTL    how long a namespace's metadata is reused (default 5s)
  KUBECONFIG                               kubeconfig file (default: in-cluster credentials)
  NODEMESH_LOG_LEVEL, NODEMESH_LOG_FORMAT  logging
`;
