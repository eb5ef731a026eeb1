// The DestinationProfile of one (Service, port) for one client namespace, computed from the
// caches the way Linkerd's GetProfile builds it (reference §1.4).
//
// Contract: pure apart from `onInvalid`, and synchronous. The ServiceProfile named
// `<svc>.<ns>.svc.<cluster-domain>` is looked up first in the client's namespace (primary), then
// in the Service's (backup). A profile that fails validation (src/profiles) is reported through
// `onInvalid` and treated as absent. Without one: the default profile (no routes, the default
// retry budget). In both cases `fully_qualified_name` is set, `parent_ref` names the Service when
// it exists, and `opaque_protocol` comes from the Service's `config.nodemesh.io/opaque-ports`
// annotation (or the default list) for the requested port, overriding the profile's own list.
// `gateway_routes` (ADR 0012) carries the Gateway API routes that apply (gateway-routes.ts),
// unless the ServiceProfile chosen has `routes` or `dstOverrides`: then it wins and the list is
// empty. A profile with neither (a retry budget, opaque ports) does not hide routes.

import type { DestinationProfile } from '../../src/api/index.ts';
import type { ResourceSource, ServiceProfileObject } from '../../src/k8s/index.ts';
import { defaultDestinationProfile, parseServiceProfile, toDestinationProfile } from '../../src/profiles/index.ts';
import type { ServicePortTarget } from './endpoints-watcher.ts';
import { gatewayRoutesFor, type RouteLookup } from './gateway-routes.ts';
import { isOpaquePort } from './opaque-ports.ts';

export interface ProfileOptions {
  readonly clusterDomain: string;
  readonly defaultOpaquePorts: readonly number[];
}

export interface ProfileTargetRequest extends ServicePortTarget {
  /** The client's namespace from the context token, if it gave one. */
  readonly clientNamespace: string | undefined;
}

export type InvalidProfileHandler = (profile: ServiceProfileObject, err: unknown) => void;

/** What profileFor reads besides the source, and where it reports. */
export interface ProfileInputs {
  /** The Gateway API routes (a RouteIndex). */
  readonly routes: RouteLookup;
  /** Called with each ServiceProfile that fails validation. */
  readonly onInvalid: InvalidProfileHandler;
}

/** `<svc>.<ns>.svc.<cluster-domain>`: the FQN and the ServiceProfile name of a Service. */
export function serviceFqn(
  target: { readonly namespace: string; readonly name: string },
  clusterDomain: string,
): string {
  return `${target.name}.${target.namespace}.svc.${clusterDomain}`;
}

export function profileFor(
  source: ResourceSource,
  target: ProfileTargetRequest,
  options: ProfileOptions,
  inputs: ProfileInputs,
): DestinationProfile {
  const fqn = serviceFqn(target, options.clusterDomain);
  const profiles = source.kind('ServiceProfile');
  const namespaces = [target.clientNamespace, target.namespace].filter(
    (ns, i, all): ns is string => ns !== undefined && all.indexOf(ns) === i,
  );
  let profile: DestinationProfile | undefined;
  for (const namespace of namespaces) {
    const object = profiles.get(namespace, fqn);
    if (object === undefined) continue;
    try {
      profile = toDestinationProfile(parseServiceProfile(object), {
        fqn,
        port: target.port,
        clusterDomain: options.clusterDomain,
      });
      break;
    } catch (err) {
      inputs.onInvalid(object, err);
    }
  }
  const service = source.kind('Service').get(target.namespace, target.name);
  const result = profile ?? defaultDestinationProfile(fqn);
  if (service !== undefined && result.parentRef === undefined) {
    result.parentRef = {
      kind: {
        $case: 'resource',
        resource: {
          group: 'core',
          kind: 'Service',
          name: target.name,
          namespace: target.namespace,
          section: '',
          port: target.port,
        },
      },
    };
  }
  result.opaqueProtocol = isOpaquePort(service, target.port, options.defaultOpaquePorts);
  const profileWins = result.routes.length > 0 || result.dstOverrides.length > 0;
  result.gatewayRoutes = profileWins ? [] : gatewayRoutesFor(inputs.routes, target, service);
  return result;
}
