// The failure kind of `nodemesh inject` / `uninject` input.

import { MeshError, type MeshErrorOptions } from '../../errors/index.ts';

/** A file that cannot be read, YAML that does not parse, or a document that is not an object. */
export class InjectInputError extends MeshError {
  constructor(message: string, options?: MeshErrorOptions) {
    super('MESH_ERR_INJECT_INPUT', message, options);
  }
}
