// The names the injector writes into pods (ADR 0011 "Names"): containers, volumes, mount paths,
// labels and annotations. `nodemesh inject`, `uninject` and the webhook all use these constants.

export const PROXY_CONTAINER_NAME = 'nodemesh-proxy';
export const INIT_CONTAINER_NAME = 'nodemesh-init';

export const VOLUME_END_ENTITY = 'nodemesh-identity-end-entity';
export const VOLUME_TOKEN = 'nodemesh-identity-token';
export const VOLUME_XTABLES_LOCK = 'nodemesh-proxy-init-xtables-lock';
export const INJECTED_VOLUMES: readonly string[] = [VOLUME_XTABLES_LOCK, VOLUME_END_ENTITY, VOLUME_TOKEN];

export const END_ENTITY_DIR = '/var/run/nodemesh/identity/end-entity';
export const TOKEN_DIR = '/var/run/secrets/tokens';
export const TOKEN_FILE_NAME = 'nodemesh-identity-token';
export const TOKEN_AUDIENCE = 'identity.nodemesh.io';
export const TOKEN_EXPIRATION_SECONDS = 86_400;
export const XTABLES_LOCK_DIR = '/run';

/** The image's entrypoint; containers set only `args` (ADR 0011). */
export const IMAGE_ENTRYPOINT: readonly string[] = ['node', '/opt/nodemesh/bin/nodemesh.js'];

export const PORT_NAME_PROXY = 'nodemesh-proxy';
export const PORT_NAME_ADMIN = 'nodemesh-admin';

export const ANNOTATION_INJECT = 'nodemesh.io/inject';
export const ANNOTATION_CREATED_BY = 'nodemesh.io/created-by';
export const ANNOTATION_PROXY_VERSION = 'nodemesh.io/proxy-version';
export const ANNOTATION_TRUST_ROOT_SHA256 = 'nodemesh.io/trust-root-sha256';
export const CONFIG_PREFIX = 'config.nodemesh.io/';
export const ANNOTATION_OPAQUE_PORTS = 'config.nodemesh.io/opaque-ports';
/** Namespace label that turns both webhooks off for the namespace. */
export const LABEL_ADMISSION_WEBHOOKS = 'config.nodemesh.io/admission-webhooks';

export const LABEL_CONTROL_PLANE_NS = 'nodemesh.io/control-plane-ns';
export const LABEL_WORKLOAD_NS = 'nodemesh.io/workload-ns';
export const LABEL_CONTROL_PLANE_COMPONENT = 'nodemesh.io/control-plane-component';
export const LABEL_PROXY_OWNER_PREFIX = 'nodemesh.io/proxy-';

/** Owner kinds that get a `nodemesh.io/proxy-<kind>` label. */
export const OWNER_KINDS = [
  'deployment',
  'replicaset',
  'statefulset',
  'daemonset',
  'job',
  'cronjob',
  'replicationcontroller',
] as const;
export type OwnerKind = (typeof OWNER_KINDS)[number];

export const INJECT_MODES = ['enabled', 'disabled', 'ingress'] as const;
export type InjectMode = (typeof INJECT_MODES)[number];

export const CREATED_BY_PREFIX = 'nodemesh/proxy-injector';

/** Service names of the control plane (ADR 0011). */
export function controlPlaneAddresses(ns: string, clusterDomain: string, trustDomain: string) {
  const identityName = (sa: string): string => `${sa}.${ns}.serviceaccount.identity.${ns}.${trustDomain}`;
  return {
    identityAddr: `nodemesh-identity-headless.${ns}.svc.${clusterDomain}.:8080`,
    identityName: identityName('nodemesh-identity'),
    destinationAddr: `nodemesh-dst-headless.${ns}.svc.${clusterDomain}.:8086`,
    destinationName: identityName('nodemesh-destination'),
    localName: `$(_pod_sa).$(_pod_ns).serviceaccount.identity.${ns}.${trustDomain}`,
  } as const;
}
