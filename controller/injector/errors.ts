// The injector's own failure kinds. Only the webhook server turns them into HTTP statuses; the
// admission handler turns AnnotationError into an AdmissionReview denial (code 400).

import { MeshError, type MeshErrorOptions } from '../../src/errors/index.ts';

export interface AnnotationProblem {
  /** The annotation key, e.g. `config.nodemesh.io/proxy-cpu-limit`. */
  readonly annotation: string;
  readonly value: string;
  /** What is allowed, in words a person can act on. */
  readonly allowed: string;
  /** Where it was found: `pod` or `namespace <name>`. */
  readonly on: string;
}

/** One or more annotations on a pod (template) or its namespace have values not allowed. */
export class AnnotationError extends MeshError {
  readonly problems: readonly AnnotationProblem[];

  constructor(problems: readonly AnnotationProblem[], options?: MeshErrorOptions) {
    super('MESH_ERR_INJECT_ANNOTATION', formatProblems(problems), {
      ...options,
      fields: { annotations: problems.map((p) => p.annotation), ...options?.fields },
    });
    this.problems = Object.freeze([...problems]);
  }
}

function formatProblems(problems: readonly AnnotationProblem[]): string {
  const lines = problems.map(
    (p) => `annotation ${p.annotation} on the ${p.on} has value ${JSON.stringify(p.value)}; allowed: ${p.allowed}`,
  );
  return lines.length === 1 ? (lines[0] ?? '') : `${lines.length} invalid annotations: ${lines.join('; ')}`;
}

/** A webhook request body that is not an AdmissionReview the injector can answer (HTTP 400). */
export class AdmissionReviewError extends MeshError {
  constructor(message: string, options?: MeshErrorOptions) {
    super('MESH_ERR_ADMISSION_REVIEW', message, options);
  }
}
