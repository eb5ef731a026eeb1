// The help text of `nodemesh proxy`, kept apart so `--help` loads nothing else.

export const PROXY_HELP = `Usage: nodemesh proxy

Runs the sidecar proxy. Connections redirected by iptables (proxy-init or the CNI plugin) arrive
on the outbound and inbound listeners; the proxy reads their original destination, detects
HTTP/1.1, HTTP/2 (and gRPC) or opaque TCP, and forwards them, recording Linkerd's metrics.
Apps may also send HTTP to the outbound listener directly: the request's authority picks the
target. All settings come from NODEMESH_PROXY_* environment variables (see the README), checked at
start: a bad value stops the proxy with a message naming every bad variable.

Listeners (defaults):
  outbound  127.0.0.1:4140   NODEMESH_PROXY_OUTBOUND_LISTEN_ADDRS
  inbound   0.0.0.0:4143     NODEMESH_PROXY_INBOUND_LISTEN_ADDR
  admin     127.0.0.1:4191   NODEMESH_PROXY_ADMIN_LISTEN_ADDR   (/metrics /ready /live /shutdown)
  control   0.0.0.0:4190     NODEMESH_PROXY_CONTROL_LISTEN_ADDR (GET /tap: live requests as JSON lines)

Tap: loopback clients may tap in plaintext; others only over mTLS with an identity listed in
NODEMESH_PROXY_TAP_AUTHORIZED_IDENTITIES (default none). NODEMESH_PROXY_TAP_MAX_SESSIONS (default
10; 0 turns tap off) and NODEMESH_PROXY_TAP_MAX_RATE (default 1000 requests/s per session) bound it.

Identity: NODEMESH_PROXY_IDENTITY_* (or NODEMESH_PROXY_IDENTITY_DISABLED=true for a plaintext proxy).
Shutdown: SIGTERM, or POST /shutdown from localhost when NODEMESH_PROXY_SHUTDOWN_ENDPOINT_ENABLED=true;
in-flight requests get NODEMESH_PROXY_SHUTDOWN_GRACE_PERIOD (default 2m) to finish.
Memory: NODEMESH_PROXY_V8_MEMORY_MODE=bounded-growth (default; or optimize-for-size, node-defaults)
bounds V8's old generation; cap the young generation with NODE_OPTIONS=--max-semi-space-size=N (the
chart's proxy.nodeOptions).
`;
