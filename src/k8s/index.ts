// Public surface of src/k8s for product code: errors of Kubernetes API calls.
//
// The fake API server for tests is imported from `./testing.ts`, so that product code (and the
// sidecar, which must never load @kubernetes/client-node) does not pull it in.

export { KubernetesApiError, httpStatusOf, kubernetesApiError } from './errors.ts';

// ResourceSource (ADR 0005): typed caches of the kinds the destination controller watches, from
// informers or a folder of YAML. Nothing here loads client-node until createKubernetesResourceSource runs.
export {
  DEFAULT_NAMESPACE,
  RESOURCE_KINDS,
  RESOURCE_KIND_NAMES,
  resourceKindOf,
  type Cached,
  type CachedMetadata,
  type CachedObject,
  type CustomObject,
  type EndpointSliceObject,
  type GrpcRouteObject,
  type HttpRouteObject,
  type ObjectOf,
  type PodObject,
  type ResourceCache,
  type ResourceEventType,
  type ResourceHandler,
  type ResourceKind,
  type ResourceKindInfo,
  type ResourceObjects,
  type ResourceSource,
  type ServiceObject,
  type ServiceProfileObject,
  type WireForm,
} from './resource-source.ts';
export {
  ResourceDocumentError,
  ResourceFolderError,
  ResourceSyncError,
  type DocumentLocation,
} from './resource-errors.ts';
export { parseResourceDocuments, type DocumentObject, type ParsedDocuments } from './resource-documents.ts';
export {
  FileResourceSource,
  type FileResourceSourceDependencies,
  type FileResourceSourceOptions,
} from './resource-source-files.ts';
export { createKubernetesResourceSource } from './resource-source-load.ts';
export type {
  KubernetesResourceSource,
  KubernetesResourceSourceDependencies,
  KubernetesResourceSourceOptions,
} from './resource-source-kubernetes.ts';
