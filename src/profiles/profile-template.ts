// profileTemplate: the commented example ServiceProfile that `nodemesh profile --template` prints,
// for one service, ready to edit and apply.
//
// Contract: pure. The output is a valid profile as written (a test parses it back), with the
// default retry budget spelled out and a traffic split shown in comments. Interpolated names are
// quoted the YAML 1.1 way when needed, so a namespace called `yes` or `on` stays a string for
// kubectl. Throws ProfileValidationError when the names do not make a valid profile name.

import { stringify } from 'yaml';
import { ProfileValidationError } from './profile-errors.ts';
import { PROFILE_NAME_ALLOWED, type ServiceName, parseServiceName, serviceProfileName } from './profile-name.ts';
import { SERVICE_PROFILE_API_VERSIONS } from './profile-types.ts';

/** A commented example ServiceProfile for `name.service` in `name.namespace`. */
export function profileTemplate(name: ServiceName): string {
  const fqn = serviceProfileName(name);
  const parsed = parseServiceName(fqn);
  if (!parsed.ok) {
    throw new ProfileValidationError(fqn, [
      { path: 'metadata.name', problem: `${JSON.stringify(fqn)} ${parsed.reason}`, allowed: PROFILE_NAME_ALLOWED },
    ]);
  }
  const q = (text: string): string => stringify(text, { version: '1.1' }).trimEnd();
  const { service, namespace } = name;
  return `# ServiceProfile for ${service}.${namespace}: per-route metrics, retries, timeouts and traffic
# splits for requests to ${fqn}.
# Apply it with kubectl apply -f (or put it in the local mode folder). The same file works with
# Linkerd after changing apiVersion to linkerd.io/v1alpha2.
apiVersion: ${SERVICE_PROFILE_API_VERSIONS[0]}
kind: ServiceProfile
metadata:
  # Always <service>.<namespace>.svc.<cluster-domain>.
  name: ${q(fqn)}
  # In the service's namespace the profile applies to every client; a copy in a client's
  # namespace applies to that namespace's clients only, and wins for them.
  namespace: ${q(namespace)}
spec:
  # A request belongs to the first route whose condition matches; requests that match no route
  # count for the service only. The route name becomes the "route" label of the route_* metrics.
  routes:
    - name: 'GET /books/{id}'
      condition:
        # Matched against the whole path (as if written ^...$), without the query string.
        pathRegex: '/books/\\d+'
        # Case-sensitive: GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS or an extension method.
        # Fields set together must all match.
        method: GET
        # Conditions combine with all, any and not, e.g. everything under /books but DELETE:
        # all:
        #   - pathRegex: '/books(/.*)?'
        #   - not:
        #       method: DELETE
      # How responses count for the success rate and for retries: the first class that
      # matches decides. Without a match, 5xx (or a failing gRPC status) is a failure.
      responseClasses:
        - condition:
            status:
              min: 500
              max: 599
          isFailure: true
        # A single bound matches exactly that code:
        # - condition:
        #     status:
        #       min: 404
        #   isFailure: true
      # Failed requests on this route may be retried, within the retry budget below.
      isRetryable: true
      # Time for the whole request, retries included (a Go duration). Omit it for no timeout.
      timeout: 300ms
    - name: 'POST /books'
      condition:
        pathRegex: '/books'
        method: POST
      # Not retryable: retry only requests that are safe to repeat.
      timeout: 1s
  # How much extra load retries may add. These values are the defaults.
  retryBudget:
    # Retries per original request: 0.2 allows one retry for every five requests.
    retryRatio: 0.2
    # Retries allowed every second whatever the ratio says.
    minRetriesPerSecond: 10
    # The window the ratio is measured over, from 1s to 60s.
    ttl: 10s
  # A traffic split (canary, blue/green): requests go to these services in proportion to the
  # weights (Kubernetes quantities: 900m is 0.9). Weight 0 sends a backend no traffic.
  # dstOverrides:
  #   - authority: ${fqn}
  #     weight: 900m
  #   - authority: ${service}-canary.${namespace}.svc.${name.clusterDomain}
  #     weight: 100m
`;
}
