// The error `nodemesh profile` raises for an input file it cannot turn into a ServiceProfile: an
// OpenAPI or Swagger document, or a .proto file.
//
// Contract: one error per file, listing every problem found, each with its place in the file (a
// dotted field path such as `paths./users/{id}.get.x-nodemesh-timeout`, and the line when known),
// what is wrong, and what is allowed.

import { MeshError, type MeshErrorOptions } from '../../errors/index.ts';

/** One thing wrong with an input file. */
export interface SourceProblem {
  /** Where: a field path (`paths./users.get`), or `(document)` for the whole file. */
  readonly path: string;
  /** What is wrong, e.g. `"fast" is not a duration`. */
  readonly problem: string;
  /** What is allowed, in words a person can act on. */
  readonly allowed: string;
  /** The 1-based line, when known. */
  readonly line?: number;
}

/** An input file `nodemesh profile` cannot use (`MESH_ERR_PROFILE_SOURCE`). */
export class ProfileSourceError extends MeshError {
  readonly file: string;
  readonly problems: readonly SourceProblem[];

  constructor(file: string, problems: readonly SourceProblem[], options: MeshErrorOptions = {}) {
    super('MESH_ERR_PROFILE_SOURCE', formatProblems(file, problems), {
      ...options,
      fields: { ...options.fields, file, paths: problems.map((p) => p.path) },
    });
    this.file = file;
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ ...p })));
  }
}

function formatProblems(file: string, problems: readonly SourceProblem[]): string {
  const lines = problems.map((p) => {
    const at = p.line === undefined ? '' : `${file}:${p.line}: `;
    const where = p.path === '(document)' ? '' : `${p.path}: `;
    return `  - ${at}${where}${p.problem}; allowed: ${p.allowed}`;
  });
  const noun = problems.length === 1 ? 'problem' : 'problems';
  return `${file}: cannot generate a ServiceProfile: ${problems.length} ${noun}:\n${lines.join('\n')}`;
}
