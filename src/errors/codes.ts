// Every stable error code nodemesh uses, with a one-line meaning.
//
// Contract: a code never changes meaning once released; docs/errors.md lists every code here
// (a test checks it). Add new codes here first, then use them through a MeshError subclass.

export const ERROR_CODES = {
  MESH_ERR_CONFIG: 'a setting (environment variable or flag) is missing or has a value that is not allowed',
  MESH_ERR_USAGE: 'a command line was not understood: unknown subcommand, flag or argument',
  MESH_ERR_INTERNAL: 'a bug: something that should not happen did',
  MESH_ERR_PROTOBUF_DECODE: 'bytes that should hold a protobuf message could not be decoded',
  MESH_ERR_ADDRESS: 'an IP address or port is not valid (in a setting, a protobuf message or an API call)',
  MESH_ERR_TRANSPORT_HEADER: 'a transport.l5d.io/v1 header was malformed, truncated or too large',
  MESH_ERR_DEMO_RUNNING: 'a local mesh (nodemesh demo) is already running with the same state folder',
  MESH_ERR_CHILD_PROCESS: 'a component the local mesh started exited or did not become ready',
  MESH_ERR_TOKEN_INVALID: 'a token is malformed, badly signed, for another audience, or not yet valid',
  MESH_ERR_TOKEN_EXPIRED: 'a token has expired',
  MESH_ERR_TOKEN_REVIEW: 'the Kubernetes API could not be asked to review a token (network error, 5xx, forbidden)',
  MESH_ERR_K8S_API: 'a Kubernetes API call failed',
  MESH_ERR_CERTIFY_REQUEST: 'a Certify request lacks a field or asks for a name this identity service does not issue',
  MESH_ERR_IDENTITY_MISMATCH: "the token's service account does not match the identity requested",
  MESH_ERR_ISSUER_UNAVAILABLE: 'the identity service has no valid issuer loaded (missing, refused, or expired)',
  MESH_ERR_CERT_REJECTED:
    'the identity service returned a certificate the workload must not use (wrong name, key or chain)',
  MESH_ERR_CERTIFY_CALL: 'a Certify call to the identity service failed or was refused',
  MESH_ERR_GRPC_CALL:
    'a gRPC call from the proxy to the control plane ended with a status other than OK (status, message and any TLS problem included)',
  MESH_ERR_H2_PROTOCOL:
    'an HTTP/2 peer broke the protocol (a malformed or misplaced frame, a header block that cannot be decoded, a flow-control violation, a flood); the connection is closed with GOAWAY and the HTTP/2 error code',
  MESH_ERR_H2_STREAM:
    'an HTTP/2 stream was reset for a problem of its own (a malformed message, a body that differs from its content-length, a flow-control violation); the connection goes on',
  MESH_ERR_H2_HEADER_LIST_TOO_LARGE:
    'an HTTP/2 header block decoded to more than the advertised SETTINGS_MAX_HEADER_LIST_SIZE; only that stream is refused',
  MESH_ERR_LISTEN: 'a server could not listen on its address (in use, not permitted, not a local address)',
  MESH_ERR_PROXY_FORWARD:
    'the proxy could not deliver a request or connection (refused, timed out, reset, no target, loop)',
  MESH_ERR_TLS_KEY: 'a key could not be generated or parsed, is not ECDSA P-256, or does not match its certificate',
  MESH_ERR_TLS_CSR: 'a certificate signing request is unparsable, badly signed, or breaks the CSR rules',
  MESH_ERR_TLS_CERT: 'a certificate or PEM bundle could not be parsed or built',
  MESH_ERR_TLS_CHAIN:
    'a certificate does not chain to the trust anchors, is expired or not yet valid, is not a CA where one is needed, or does not name the expected identity',
  MESH_ERR_IDENTITY_NAME: 'an identity name or one of its labels is not a valid DNS-1123 name',
  MESH_ERR_FIREWALL_BINARY_MISSING: 'an iptables binary (or nsenter) that proxy-init needs is not installed',
  MESH_ERR_FIREWALL_PERMISSION: 'writing iptables rules was not permitted (NET_ADMIN and NET_RAW are needed)',
  MESH_ERR_FIREWALL_COMMAND: 'an iptables command failed or timed out, or left the rules other than intended',
  MESH_ERR_RESOURCE_DOCUMENT:
    'a YAML document in the resource folder is unparsable, lacks apiVersion, kind or metadata.name, is of a kind nodemesh does not read, or repeats an object',
  MESH_ERR_RESOURCE_FOLDER: 'the resource folder is missing, not a folder, or cannot be read',
  MESH_ERR_RESOURCE_SYNC: 'the Kubernetes resource caches did not finish their first list in time',
  MESH_ERR_PROFILE_INVALID: 'a ServiceProfile breaks the schema or the rules (every problem is listed with its field)',
  MESH_ERR_PROFILE_YAML: 'a ServiceProfile file is not valid YAML',
  MESH_ERR_PROFILE_SOURCE:
    'an OpenAPI, Swagger or .proto file given to nodemesh profile cannot be read or turned into a ServiceProfile',
  MESH_ERR_DESTINATION_PATH:
    'a Get or GetProfile path is not host:port, or names something the destination service does not serve',
  MESH_ERR_DESTINATION_QUEUE_OVERFLOW:
    'a destination stream fell too many updates behind and was closed so the proxy reconnects',
  MESH_ERR_DISCOVERY_STREAM:
    'a Get or GetProfile stream from the proxy to the destination service failed; the last state is kept and the stream retried',
  MESH_ERR_DISCOVERY_TLS:
    'the destination service failed the proxy’s TLS check (another identity, another CA, or no TLS); nothing from it is used',
  MESH_ERR_INJECT_ANNOTATION:
    'a nodemesh.io/inject or config.nodemesh.io/* annotation on a pod or namespace has a value that is not allowed',
  MESH_ERR_ADMISSION_REVIEW: 'a webhook request body is not an AdmissionReview (v1 or v1beta1) the injector can answer',
  MESH_ERR_JSON_PATCH: 'a JSON Patch (RFC 6902) operation could not be applied to its document',
  MESH_ERR_INJECT_INPUT: 'nodemesh inject or uninject was given input that is not readable Kubernetes YAML',
  MESH_ERR_ROUTE_INVALID:
    'an HTTPRoute or GRPCRoute breaks the Gateway API rules (every problem is listed with its field, value and what is allowed)',
  MESH_ERR_ROUTE_YAML: 'an HTTPRoute or GRPCRoute file is not valid YAML',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
