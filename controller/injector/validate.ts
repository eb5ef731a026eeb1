// The validating webhook (`/validate`) as a pure function: ServiceProfiles and mesh routes are
// checked with the same code that reads them later (src/profiles, src/routes), so what the API
// server accepts is what the destination controller and the proxies can use.
//
// Answers, for CREATE and UPDATE:
//   - a ServiceProfile (nodemesh.io) that breaks the rules: allowed false, code 422 and the
//     message listing every problem with its field path and what is allowed;
//   - an HTTPRoute or GRPCRoute (gateway.networking.k8s.io) with a Service parent (a mesh route,
//     GEP-1426): the same; a valid one using fields nodemesh does not implement (URLRewrite,
//     RequestMirror, …) is allowed with a warning per field, since the API allows them and the
//     controller reports them in the route's status;
//   - routes attached only to Gateways, other kinds and other operations: allowed unchecked.
// A body that is not an AdmissionReview throws AdmissionReviewError (the server answers 400).

import { parseServiceProfile, ProfileValidationError } from '../../src/profiles/index.ts';
import { GATEWAY_API_GROUP, ROUTE_KINDS, parseRoute } from '../../src/routes/index.ts';
import { readAdmissionRequest, type AdmissionResponse, type AdmissionReviewResponse } from './admission.ts';

export interface ValidationOutcome {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly result: 'valid' | 'invalid' | 'unchecked';
  readonly message?: string;
}

const CHECKED_OPERATIONS = new Set(['CREATE', 'UPDATE']);
const INVALID = 422;

export function reviewValidation(
  body: unknown,
  onOutcome?: (outcome: ValidationOutcome) => void,
): AdmissionReviewResponse {
  const req = readAdmissionRequest(body);
  const metadata = req.object['metadata'] as { name?: unknown; namespace?: unknown } | undefined;
  const name = typeof metadata?.name === 'string' ? metadata.name : '';
  const report = (result: ValidationOutcome['result'], message?: string): void =>
    onOutcome?.({
      kind: req.kind,
      namespace: req.namespace,
      name,
      result,
      ...(message === undefined ? {} : { message }),
    });
  const answer = (response: Omit<AdmissionResponse, 'uid'>): AdmissionReviewResponse => ({
    apiVersion: req.apiVersion,
    kind: 'AdmissionReview',
    response: { uid: req.uid, ...response },
  });
  const deny = (message: string): AdmissionReviewResponse => {
    report('invalid', message);
    return answer({ allowed: false, status: { code: INVALID, message } });
  };

  if (!CHECKED_OPERATIONS.has(req.operation)) {
    report('unchecked');
    return answer({ allowed: true });
  }
  if (req.group === 'nodemesh.io' && req.kind === 'ServiceProfile') {
    try {
      parseServiceProfile(req.object);
      report('valid');
      return answer({ allowed: true });
    } catch (err) {
      if (err instanceof ProfileValidationError) return deny(`nodemesh: ${err.message}`);
      throw err;
    }
  }
  const routeKind = ROUTE_KINDS.find((k) => k === req.kind);
  if (req.group === GATEWAY_API_GROUP && routeKind !== undefined && hasServiceParent(req.object)) {
    const parsed = parseRoute(req.object, { defaultNamespace: req.namespace });
    if (!parsed.ok) return deny(`nodemesh: ${parsed.error.message}`);
    const warnings = parsed.unsupported.map((p) => `${p.path}: ${p.problem} (${p.allowed})`);
    report('valid');
    return answer({ allowed: true, ...(warnings.length > 0 ? { warnings } : {}) });
  }
  report('unchecked');
  return answer({ allowed: true });
}

/** True when some spec.parentRefs entry names a Service (group "" or "core", kind Service). */
function hasServiceParent(object: Readonly<Record<string, unknown>>): boolean {
  const spec = object['spec'] as { parentRefs?: unknown } | undefined;
  const refs = spec?.parentRefs;
  if (!Array.isArray(refs)) return false;
  return refs.some((ref: unknown) => {
    if (typeof ref !== 'object' || ref === null) return false;
    const { group, kind } = ref as { group?: unknown; kind?: unknown };
    return kind === 'Service' && (group === undefined || group === '' || group === 'core');
  });
}
