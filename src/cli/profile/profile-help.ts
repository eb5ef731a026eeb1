// The help text of `nodemesh profile`, kept apart so `--help` loads nothing else.

export const PROFILE_SUMMARY = 'Write a ServiceProfile: a commented template, or routes from an OpenAPI spec or .proto';

export const PROFILE_HELP = `Usage: nodemesh profile --template SERVICE [-n NAMESPACE] [--cluster-domain DOMAIN] [-o yaml|json]
       nodemesh profile --from-openapi FILE SERVICE [-n NAMESPACE] [--base-path PATH] [-o yaml|json]
       nodemesh profile --proto FILE SERVICE [-n NAMESPACE] [-o yaml|json]

Prints a ServiceProfile (nodemesh.io/v1alpha2) for SERVICE.NAMESPACE.svc.DOMAIN on stdout, to
edit and then apply (kubectl apply -f, or the local mesh's resources folder). Every profile is
checked with the same parser the destination service uses before it is printed.

  --template          a valid profile with commented examples of routes, conditions,
                      responseClasses, isRetryable, timeout, retryBudget and dstOverrides
  --from-openapi FILE one route per path and method of an OpenAPI 3.0/3.1 or Swagger 2.0
                      document (YAML or JSON; - reads stdin), in file order. Each route is named
                      "METHOD /path" and matches {method, pathRegex}: the whole path, {param} as
                      one segment ([^/]*), other characters literal. The Swagger basePath, or
                      the path of the first OpenAPI server URL, prefixes every path.
                      Per operation (or path item):
                        x-nodemesh-retryable: true   isRetryable: true
                        x-nodemesh-timeout: 2s       timeout: 2s
                      (Linkerd's x-linkerd-retryable and x-linkerd-timeout are read too.)
  --proto FILE        one route per rpc of the file's services: "POST /package.Service/Method";
                      retryable when the rpc has option idempotency_level = IDEMPOTENT or
                      NO_SIDE_EFFECTS (- reads stdin)

A route that an earlier route shadows is reported on stderr. Exits 1 when FILE cannot be read or
is not a usable spec (each problem named with its place in the file), 2 on a usage error.

Flags:
  -n, --namespace NS        the Service's namespace (default default)
  --cluster-domain DOMAIN   the cluster's DNS domain (default cluster.local)
  --base-path PATH          OpenAPI: use PATH instead of basePath/servers as the prefix ("" for none)
  --open-api FILE           the same as --from-openapi (Linkerd's spelling)
  -o, --output FMT          yaml (default) or json

Examples:
  nodemesh profile --template web -n shop > web-profile.yaml
  nodemesh profile --from-openapi api.yaml books -n shop | kubectl apply -f -
  curl -s http://books/openapi.json | nodemesh profile --from-openapi - books -n shop
  nodemesh profile --proto ratings.proto ratings -n shop
`;
