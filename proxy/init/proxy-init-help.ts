// The `nodemesh proxy-init --help` text, kept apart so help loads nothing else.

export const PROXY_INIT_HELP = `Usage: nodemesh proxy-init [flags]

Writes the iptables rules that send a pod's TCP traffic through its proxy (the init container's
job; Linkerd's proxy-init rules): in table nat, chain PROXY_INIT_REDIRECT (from PREROUTING)
redirects inbound connections to the proxy's inbound port, and chain PROXY_INIT_OUTPUT (from
OUTPUT) redirects outbound connections to its outbound port, except connections made by the
proxy's own user, connections over loopback, and the ports and subnets listed to ignore. Each rule
has a comment proxy-init/<name>. Running it again rewrites the two chains and adds nothing twice.
Needs the NET_ADMIN and NET_RAW capabilities.

Flags (each also read from the environment variable shown; a flag wins):
  --incoming-proxy-port PORT        inbound redirect target (default 4143)
                                    NODEMESH_PROXY_INIT_INCOMING_PROXY_PORT
  --outgoing-proxy-port PORT        outbound redirect target (default 4140)
                                    NODEMESH_PROXY_INIT_OUTGOING_PROXY_PORT
  --proxy-uid UID                   the proxy's user, never redirected (default 2102)
                                    NODEMESH_PROXY_INIT_PROXY_UID
  --proxy-gid GID                   the proxy's group, never redirected (default: not used)
                                    NODEMESH_PROXY_INIT_PROXY_GID
  --inbound-ports-to-ignore PORTS   inbound ports not redirected, e.g. 25,8000-8010; 4190 and
                                    4191 (the proxy's control and admin ports) always are
                                    NODEMESH_PROXY_INIT_INBOUND_PORTS_TO_IGNORE
  --outbound-ports-to-ignore PORTS  outbound destination ports not redirected
                                    NODEMESH_PROXY_INIT_OUTBOUND_PORTS_TO_IGNORE
  --ports-to-redirect PORTS         redirect only these inbound ports (default: all)
                                    NODEMESH_PROXY_INIT_PORTS_TO_REDIRECT
  --subnets-to-ignore CIDRS         source subnets whose inbound connections are not redirected,
                                    IPv4 and IPv6, e.g. 10.0.0.0/8,fd00::/8 (each family gets its own)
                                    NODEMESH_PROXY_INIT_SUBNETS_TO_IGNORE
  --ipv6                            also write the rules with ip6tables (default false)
                                    NODEMESH_PROXY_INIT_IPV6
  --iptables-mode auto|nft|legacy   the iptables backend (default auto: the one installed, or
                                    when both are, the one already holding rules)
                                    NODEMESH_PROXY_INIT_IPTABLES_MODE
  --dry-run                         print the rules as iptables-restore input; change nothing
                                    NODEMESH_PROXY_INIT_DRY_RUN
  --netns PATH                      write the rules inside the network namespace at PATH
                                    (nsenter --net=PATH; also needs SYS_ADMIN)
                                    NODEMESH_PROXY_INIT_NETNS

Exit status: 0 when the rules are in place (or printed), 1 on failure, 2 on a command-line error.
`;
