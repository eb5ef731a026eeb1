// Public surface of controller/destination: the `nodemesh destination` command, its help and
// config, and the pieces local mode and tests assemble (the controller on a ResourceSource).
export { runDestination } from './main.ts';
export { DESTINATION_HELP } from './help.ts';
export {
  DEFAULT_OPAQUE_PORTS,
  ENV_ADMIN_LISTEN_ADDR,
  ENV_CLUSTER_DOMAIN,
  ENV_CONTROL_NAMESPACE,
  ENV_DEFAULT_OPAQUE_PORTS,
  ENV_LISTEN_ADDR,
  ENV_RESOURCES_DIR,
  ENV_SOURCE,
  ENV_STREAM_QUEUE_CAPACITY,
  ENV_TLS_CERT_FILE,
  ENV_TLS_KEY_FILE,
  ENV_TRUST_DOMAIN,
  RESOURCE_SOURCES,
  parseDestinationConfig,
  type DestinationConfig,
  type DestinationTlsFiles,
  type ResourceSourceKind,
} from './config.ts';
export {
  DestinationController,
  type DestinationControllerDependencies,
  type DestinationControllerOptions,
} from './service.ts';
export { DestinationPathError, StreamOverflowError } from './errors.ts';
export { OPAQUE_PORTS_ANNOTATION, SKIP_INBOUND_PORTS_ANNOTATION } from './opaque-ports.ts';
export { CONTROL_PLANE_NS_LABEL } from './endpoint-labels.ts';
