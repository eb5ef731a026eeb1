// The help text of `nodemesh proxy-await`, kept apart so `--help` loads nothing else.

export const PROXY_AWAIT_SUMMARY = "wait until the pod's proxy is ready (the legacy sidecar's postStart hook)";

export const PROXY_AWAIT_HELP = `Usage: nodemesh proxy-await [--port 4191] [--timeout 2m]

Polls the proxy's admin endpoint http://127.0.0.1:PORT/ready until it answers 200, then exits 0.
The proxy injector runs it as the postStart hook of the proxy container when the proxy is not a
native sidecar (proxy.nativeSidecar: false): the kubelet starts the app containers only after the
hook returns, so the app never starts before its proxy can carry traffic.

Flags:
  --port PORT       the proxy's admin port (default 4191)
  --timeout DUR     give up after this long, e.g. 30s, 2m (default 2m)

Exit status: 0 when the proxy answered 200, 1 when it did not within the timeout (the message gives
the last answer or error), 2 on a command-line error.
`;
