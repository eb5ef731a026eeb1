// Public surface of controller/injector (the logic; the HTTPS server lives in webhook-server.ts).
export {
  reviewAdmission,
  decodePatch,
  readAdmissionRequest,
  ADMISSION_API_VERSIONS,
  type AdmissionDeps,
  type AdmissionOutcome,
  type AdmissionRequest,
  type AdmissionResponse,
  type AdmissionReviewResponse,
  type NamespaceLookup,
} from './admission.ts';
export { parseInjectorConfig, loadChartValues, CHART_VALUES_URL, type InjectorConfig } from './injector-config.ts';
export { mergeValues } from './values-merge.ts';
export { injectPod, type InjectPodInput, type InjectPodResult } from './inject-pod.ts';
export { uninjectPod } from './uninject.ts';
export { decideInjection, type NamespaceMetadata, type InjectionDecision, type SkipReason } from './decision.ts';
export { CONFIG_ANNOTATIONS, parseConfigAnnotations } from './annotations.ts';
export { AnnotationError, AdmissionReviewError } from './errors.ts';
export { createInjectBackend } from './cli-backend.ts';
