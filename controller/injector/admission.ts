// The proxy injector's mutating webhook as a pure function: an AdmissionReview request (v1 or
// v1beta1, parsed JSON) in, the AdmissionReview response out (reference §7.4). The HTTPS server
// (webhook-server.ts) calls reviewAdmission for each body and sends back what it returns.
//
// Answers:
//   - a Pod to inject: allowed, patchType JSONPatch, the patch base64-encoded;
//   - a Service without opaque-ports whose ports are in the default opaque list: that annotation;
//   - anything else (not injected, not CREATE, other kinds): allowed without a patch;
//   - a bad nodemesh annotation: allowed false, status code 400 and a message naming it.
// A body that is not an AdmissionReview throws AdmissionReviewError (the server answers 400); a
// failed namespace lookup throws what the lookup threw (the server answers 500 and the API server
// applies the webhook's failurePolicy).

import type { JsonPatchOperation } from '../../src/json-patch/index.ts';
import type { NamespaceMetadata } from './decision.ts';
import { AdmissionReviewError, AnnotationError } from './errors.ts';
import type { InjectorConfig } from './injector-config.ts';
import { injectPod } from './inject-pod.ts';
import { ownerFromPod } from './owner.ts';
import { buildServicePatch } from './patch.ts';
import { displayName, isObject, objectAt, type JsonObject } from './pod-shape.ts';

export const ADMISSION_API_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
export type AdmissionApiVersion = (typeof ADMISSION_API_VERSIONS)[number];

/** A namespace's labels and annotations by name; a missing namespace reads as empty maps. */
export type NamespaceLookup = (namespace: string) => Promise<NamespaceMetadata>;

export interface AdmissionOutcome {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly result: 'injected' | 'annotated' | 'skipped' | 'denied' | 'ignored';
  /** Why a pod was skipped or denied (a SkipReason, or the error code). */
  readonly reason?: string;
  /** The object's controller (or first) ownerReference, for Events about the workload. */
  readonly ownerRef?: {
    readonly apiVersion: string;
    readonly kind: string;
    readonly name: string;
    readonly uid: string;
  };
  readonly message?: string;
  readonly warnings: readonly string[];
}

export interface AdmissionDeps {
  readonly config: InjectorConfig;
  readonly namespaces: NamespaceLookup;
  /** Told about every answered review (for logs, metrics and InjectionSkipped events). */
  readonly onOutcome?: (outcome: AdmissionOutcome) => void;
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly patchType?: 'JSONPatch';
  /** Base64 of the JSON Patch array. */
  readonly patch?: string;
  readonly status?: { readonly code: number; readonly message: string };
  readonly warnings?: readonly string[];
}

export interface AdmissionReviewResponse {
  readonly apiVersion: AdmissionApiVersion;
  readonly kind: 'AdmissionReview';
  readonly response: AdmissionResponse;
}

/** The parts of an AdmissionReview request the webhooks use (validate.ts reads them too). */
export interface AdmissionRequest {
  readonly apiVersion: AdmissionApiVersion;
  readonly uid: string;
  readonly kind: string;
  readonly group: string;
  readonly operation: string;
  readonly namespace: string;
  readonly object: JsonObject;
}

export async function reviewAdmission(body: unknown, deps: AdmissionDeps): Promise<AdmissionReviewResponse> {
  const req = readAdmissionRequest(body);
  const answer = (response: Omit<AdmissionResponse, 'uid'>): AdmissionReviewResponse => ({
    apiVersion: req.apiVersion,
    kind: 'AdmissionReview',
    response: { uid: req.uid, ...response },
  });
  const ownerRef = controllerRef(req.object);
  const report = (outcome: Omit<AdmissionOutcome, 'kind' | 'namespace' | 'name'>): void =>
    deps.onOutcome?.({
      kind: req.kind,
      namespace: req.namespace,
      name: displayName(req.object),
      ...(ownerRef === undefined ? {} : { ownerRef }),
      ...outcome,
    });
  const withWarnings = (warnings: readonly string[]) => (warnings.length > 0 ? { warnings } : {});

  if (req.operation !== 'CREATE' || req.group !== '' || (req.kind !== 'Pod' && req.kind !== 'Service')) {
    report({ result: 'ignored', warnings: [] });
    return answer({ allowed: true });
  }
  if (req.kind === 'Service') {
    const patch = buildServicePatch(req.object, deps.config.proxy.opaquePorts);
    report({ result: patch.length > 0 ? 'annotated' : 'ignored', warnings: [] });
    return answer(patch.length > 0 ? { allowed: true, ...encodePatch(patch) } : { allowed: true });
  }

  const namespaceMetadata = await deps.namespaces(req.namespace);
  try {
    const result = injectPod({
      pod: req.object,
      config: deps.config,
      namespace: req.namespace,
      namespaceMetadata,
      owner: ownerFromPod(req.object),
    });
    if (!result.injected) {
      report({ result: 'skipped', reason: result.reason, message: result.message, warnings: result.warnings });
      return answer({ allowed: true, ...withWarnings(result.warnings) });
    }
    report({ result: 'injected', warnings: result.warnings });
    return answer({ allowed: true, ...encodePatch(result.patch), ...withWarnings(result.warnings) });
  } catch (err) {
    if (!(err instanceof AnnotationError)) throw err;
    report({ result: 'denied', reason: err.code, message: err.message, warnings: [] });
    return answer({ allowed: false, status: { code: 400, message: `nodemesh proxy injector: ${err.message}` } });
  }
}

function encodePatch(patch: readonly JsonPatchOperation[]): { patchType: 'JSONPatch'; patch: string } {
  return { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') };
}

/** The JSON Patch of a response, decoded; undefined when it has none. */
export function decodePatch(response: AdmissionResponse): JsonPatchOperation[] | undefined {
  if (response.patch === undefined) return undefined;
  return JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as JsonPatchOperation[];
}

/** The request of an AdmissionReview body; throws AdmissionReviewError when it is not one. */
export function readAdmissionRequest(body: unknown): AdmissionRequest {
  const fail = (what: string): never => {
    throw new AdmissionReviewError(`the body is not an AdmissionReview: ${what}`);
  };
  if (!isObject(body)) return fail('not a JSON object');
  const apiVersion = ADMISSION_API_VERSIONS.find((v) => v === body['apiVersion']);
  if (apiVersion === undefined) {
    return fail(`apiVersion ${JSON.stringify(body['apiVersion'])} is not one of ${ADMISSION_API_VERSIONS.join(', ')}`);
  }
  if (body['kind'] !== 'AdmissionReview') return fail(`kind ${JSON.stringify(body['kind'])} is not AdmissionReview`);
  const request = objectAt(body, 'request') ?? fail('it has no request');
  const uid = request['uid'];
  if (typeof uid !== 'string' || uid === '') return fail('request.uid is missing');
  const kind = objectAt(request, 'kind') ?? fail('request.kind is missing');
  if (typeof kind['kind'] !== 'string') return fail('request.kind.kind is missing');
  const operation =
    typeof request['operation'] === 'string' ? request['operation'] : fail('request.operation is missing');
  const object = objectAt(request, 'object');
  if (object === undefined) {
    if (operation === 'CREATE') return fail('request.object is missing');
  }
  const namespace =
    typeof request['namespace'] === 'string' && request['namespace'] !== ''
      ? request['namespace']
      : objectAt(object, 'metadata')?.['namespace'];
  if (operation === 'CREATE' && kind['kind'] === 'Pod' && (typeof namespace !== 'string' || namespace === '')) {
    return fail('request.namespace is missing');
  }
  return {
    apiVersion,
    uid,
    kind: kind['kind'],
    group: typeof kind['group'] === 'string' ? kind['group'] : '',
    operation,
    namespace: typeof namespace === 'string' ? namespace : '',
    object: object ?? {},
  };
}

/** The controller ownerReference of `object` (or its first), when it names apiVersion, kind, name and uid. */
function controllerRef(object: JsonObject): AdmissionOutcome['ownerRef'] {
  const refs = objectAt(object, 'metadata')?.['ownerReferences'];
  if (!Array.isArray(refs)) return undefined;
  const all = refs.filter(isObject);
  const ref = all.find((r) => r['controller'] === true) ?? all[0];
  if (ref === undefined) return undefined;
  const { apiVersion, kind, name, uid } = ref;
  return typeof apiVersion === 'string' &&
    typeof kind === 'string' &&
    typeof name === 'string' &&
    typeof uid === 'string'
    ? { apiVersion, kind, name, uid }
    : undefined;
}
