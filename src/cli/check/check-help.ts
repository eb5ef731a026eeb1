// The help text of `nodemesh check`, kept apart so `--help` loads nothing else.

export const CHECK_SUMMARY = 'Health of the local mesh or a cluster: control plane, proxy readiness, certificates';

export const CHECK_HELP = `Usage: nodemesh check [--state-dir DIR]
       nodemesh check --kubernetes [--context NAME] [--namespace NS] [--control-plane-namespace NS]

Prints one line per check, ✔ or ✖, with a hint under each failure. Exits 1 when any check fails.

The local mesh (npm start): reads DIR/state.json and, for every component with an admin address,
asks its /ready; for every proxy, reads identity_cert_expiration_timestamp_seconds from its /metrics
and shows how long its mTLS certificate has left. Exits 1 when the mesh is not running.

A cluster (--kubernetes), through the API server only:
  - the control plane's Deployments (nodemesh-identity, nodemesh-destination,
    nodemesh-proxy-injector) in --control-plane-namespace have available replicas;
  - the webhook configurations (nodemesh-proxy-injector-webhook-config,
    nodemesh-validator-webhook-config) and the CRD serviceprofiles.nodemesh.io are installed;
  - every meshed pod (all namespaces, or --namespace) is running, and its proxy answers /ready and
    holds a valid mTLS certificate (read through the pod proxy: RBAC \`get pods/proxy\`).

Flags:
  --state-dir DIR                the state folder of the running local mesh (default .nodemesh)
  -k, --kubernetes               check a cluster through the Kubernetes API
  --context NAME                 the kubeconfig context (default: the current one)
  -n, --namespace NS             only the meshed pods of this namespace (default: every namespace)
  --control-plane-namespace NS   where the control plane runs (default nodemesh)
`;
