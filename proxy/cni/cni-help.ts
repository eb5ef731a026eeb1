// Help for `nodemesh cni` and `nodemesh cni install`.

export const CNI_HELP = `Usage: nodemesh cni            (run by the container runtime, not by people)
       nodemesh cni install    (the nodemesh-cni DaemonSet's container)

A chained CNI plugin (CNI 1.0: ADD, DEL, CHECK, VERSION, GC, STATUS). For a pod with the
nodemesh-proxy container and no nodemesh-init init container, ADD writes the iptables rules of
\`nodemesh proxy-init\` inside the pod's network namespace, with the pod's
config.nodemesh.io/skip-inbound-ports, skip-outbound-ports, skip-subnets, proxy-uid and proxy-gid
annotations. DEL removes them again, and only rules this plugin wrote; CHECK compares them with
what ADD wrote. The result is prevResult, passed through unchanged; errors are the
specification's JSON error objects (codes in docs/cni.md).

Network configuration (stdin), besides cniVersion, name and type "nodemesh-cni":
  kubernetes.kubeconfig   the kubeconfig the plugin reads pods with (written by install)
  state_dir               where ADD records what it wrote (default /var/run/nodemesh-cni)
  log_level               trace, debug, info, warn, error, fatal, silent (logs go to stderr)
  nodemesh                proxy-init settings under its flag names: incoming-proxy-port,
                          outgoing-proxy-port, proxy-uid, proxy-gid (-1: none),
                          ports-to-redirect, inbound-ports-to-ignore, outbound-ports-to-ignore,
                          subnets-to-ignore, iptables-mode, ipv6, simulate

Environment (runtime): CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS
(K8S_POD_NAMESPACE, K8S_POD_NAME), CNI_PATH.
`;

export const CNI_INSTALL_HELP = `Usage: nodemesh cni install

Installs the nodemesh CNI plugin on this node and keeps it installed until SIGTERM: writes the
plugin (a launcher, and in copy mode Node.js and nodemesh) into the plugin folder, writes the
plugin's kubeconfig, appends the plugin's entry to the chain of the node's network configuration
(the first .conflist, .conf or .json in name order; a .conf becomes a .conflist), and appends it
again whenever another plugin rewrites that file. On SIGTERM the entry and the kubeconfig are
removed.

Environment:
  NODEMESH_CNI_NET_DIR          the node's CNI configuration folder, as mounted (required)
  NODEMESH_CNI_BIN_DIR          the node's CNI plugin folder, as mounted (required)
  NODEMESH_CNI_CONFIG_FILE      the plugin's entry, JSON (required)
  NODEMESH_CNI_HOST_NET_DIR     the configuration folder as the node sees it (default: NET_DIR)
  NODEMESH_CNI_HOST_BIN_DIR     the plugin folder as the node sees it (default: BIN_DIR)
  NODEMESH_CNI_RUNTIME          copy (default): copy Node.js and nodemesh beside the plugin;
                                in-place: run this Node.js and nodemesh (node = this machine)
  NODEMESH_CNI_KUBECONFIG       a kubeconfig to give the plugin; default: built from the pod's
                                service account (rewritten when the token rotates)
  NODEMESH_CNI_RESYNC_INTERVAL  how often the configuration is checked besides on changes (30s)
  NODEMESH_LOG_LEVEL, NODEMESH_LOG_FORMAT
`;
