// The error the metrics library throws when it is misused: a bad metric or label name, a label
// the metric did not declare, a duplicate registration, or a value a counter or histogram cannot
// take. These are bugs in the caller, so the code is MESH_ERR_INTERNAL.

import { MeshError } from '../../errors/mesh-error.ts';

export class MetricError extends MeshError {
  constructor(message: string, fields: Readonly<Record<string, unknown>> = {}) {
    super('MESH_ERR_INTERNAL', message, { fields });
  }
}
