// Public surface of src/k8s for product code: errors of Kubernetes API calls.
//
// The fake API server for tests is imported from `./testing.ts`, so that product code (and the
// sidecar, which must never load @kubernetes/client-node) does not pull it in.

export { KubernetesApiError, httpStatusOf, kubernetesApiError } from './errors.ts';
