// `nodemesh split --kubernetes`: the split read from and written to the Kubernetes API — the
// ServiceProfile (nodemesh.io/v1alpha2) and the HTTPRoutes/GRPCRoutes of the Service's namespace.
// Writes replace the object at the resourceVersion read, so a concurrent edit makes this step fail
// (409) instead of being overwritten. Loaded only with --kubernetes (it brings the Kubernetes client).

import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { httpStatusOf, kubernetesApiError } from '../../k8s/errors.ts';
import { dstOverridesValue, splitBackends, type SplitBackend } from './split-profile.ts';
import { meshRoutesFor, type RouteObject } from './split-route.ts';
import type { SplitStore } from './split-store.ts';

const PROFILES = { group: 'nodemesh.io', version: 'v1alpha2', plural: 'serviceprofiles' } as const;
const ROUTE_PLURALS = { HTTPRoute: 'httproutes', GRPCRoute: 'grpcroutes' } as const;
const GATEWAY = { group: 'gateway.networking.k8s.io', version: 'v1' } as const;

type Profile = {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec?: { routes?: unknown[]; dstOverrides?: { authority?: unknown; weight?: unknown }[] } & Record<string, unknown>;
};

export function kubernetesStore(kubeConfig: KubeConfig, namespaceOf: (profileName: string) => string): SplitStore {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const getProfile = async (name: string): Promise<Profile | undefined> => {
    const namespace = namespaceOf(name);
    try {
      return (await api.getNamespacedCustomObject({ ...PROFILES, namespace, name })) as Profile;
    } catch (err) {
      if (httpStatusOf(err) === 404) return undefined;
      throw kubernetesApiError(`get ServiceProfile ${namespace}/${name}`, err);
    }
  };
  return {
    async profile(name) {
      const profile = await getProfile(name);
      if (profile === undefined) return { where: undefined, backends: [], covers: false };
      const backends = splitBackends(profile.spec?.dstOverrides);
      const routes = profile.spec?.routes?.length ?? 0;
      return {
        where: `ServiceProfile ${namespaceOf(name)}/${name}`,
        backends,
        covers: routes > 0 || backends.length > 0,
      };
    },
    async setProfileSplit(name, namespace, backends: readonly SplitBackend[]) {
      const value = dstOverridesValue(backends);
      const profile = await getProfile(name);
      try {
        if (profile === undefined) {
          await api.createNamespacedCustomObject({
            ...PROFILES,
            namespace,
            body: {
              apiVersion: 'nodemesh.io/v1alpha2',
              kind: 'ServiceProfile',
              metadata: { name, namespace },
              spec: value.length === 0 ? {} : { dstOverrides: value },
            },
          });
          return;
        }
        const spec = { ...profile.spec };
        if (value.length === 0) delete spec.dstOverrides;
        else spec.dstOverrides = value;
        await api.replaceNamespacedCustomObject({ ...PROFILES, namespace, name, body: { ...profile, spec } });
      } catch (err) {
        throw kubernetesApiError(`write ServiceProfile ${namespace}/${name}`, err);
      }
    },
    async routes(service, namespace) {
      const objects: unknown[] = [];
      for (const [kind, plural] of Object.entries(ROUTE_PLURALS)) {
        try {
          const list = (await api.listNamespacedCustomObject({ ...GATEWAY, namespace, plural })) as {
            items?: unknown[];
          };
          // Lists may omit apiVersion/kind on items; put them back so the route is recognised.
          for (const item of list.items ?? [])
            objects.push({ apiVersion: `${GATEWAY.group}/${GATEWAY.version}`, kind, ...(item as object) });
        } catch (err) {
          if (httpStatusOf(err) === 404) continue; // the cluster does not serve this kind
          throw kubernetesApiError(`list ${plural} in ${namespace}`, err);
        }
      }
      return meshRoutesFor(objects, service, namespace);
    },
    async writeRoute(route: RouteObject) {
      const namespace = route.metadata.namespace ?? 'default';
      const plural = ROUTE_PLURALS[route.kind as keyof typeof ROUTE_PLURALS];
      try {
        await api.replaceNamespacedCustomObject({
          ...GATEWAY,
          namespace,
          plural,
          name: route.metadata.name,
          body: route,
        });
      } catch (err) {
        throw kubernetesApiError(`replace ${route.kind} ${namespace}/${route.metadata.name}`, err);
      }
    },
  };
}
