// The errors of src/profiles: a ServiceProfile that breaks the rules, and YAML that is not YAML.
//
// Contract: each error lists every problem found in one object or document, not just the first;
// each problem names its field path (`spec.routes[2].condition.pathRegex`), what is wrong and what
// is allowed, and the line when the object came from a file.

import { MeshError } from '../errors/index.ts';

/** One thing wrong with a ServiceProfile. */
export interface ProfileProblem {
  /** The field, e.g. `spec.routes[2].condition.pathRegex`; `(document)` for the whole object. */
  readonly path: string;
  /** What is wrong, e.g. `invalid regular expression "(": Unterminated group`. */
  readonly problem: string;
  /** What is allowed, in words a person can act on. */
  readonly allowed: string;
  /** The 1-based line of the field in its file, when known. */
  readonly line?: number;
}

/** Where an object came from, for messages. */
export interface ProfileSource {
  readonly file?: string;
  /** The 1-based line where the object starts. */
  readonly line?: number;
}

/** A ServiceProfile that breaks the rules (`MESH_ERR_PROFILE_INVALID`). */
export class ProfileValidationError extends MeshError {
  readonly problems: readonly ProfileProblem[];
  /** metadata.name when it was readable. */
  readonly profileName: string | undefined;
  readonly source: ProfileSource;

  constructor(profileName: string | undefined, problems: readonly ProfileProblem[], source: ProfileSource = {}) {
    super('MESH_ERR_PROFILE_INVALID', formatValidation(profileName, problems, source), {
      fields: {
        profile: profileName,
        file: source.file,
        line: source.line,
        paths: problems.map((p) => p.path),
      },
    });
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ ...p })));
    this.profileName = profileName;
    this.source = Object.freeze({ ...source });
  }
}

/** One YAML syntax problem. */
export interface YamlProblem {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** A document that is not valid YAML (`MESH_ERR_PROFILE_YAML`). */
export class ProfileYamlError extends MeshError {
  readonly problems: readonly YamlProblem[];
  readonly file: string;

  constructor(file: string, problems: readonly YamlProblem[]) {
    const lines = problems.map((p) => `  - ${file}:${p.line}:${p.column}: ${p.message}`);
    super('MESH_ERR_PROFILE_YAML', `${file}: invalid YAML:\n${lines.join('\n')}`, {
      fields: { file, line: problems[0]?.line },
    });
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ ...p })));
    this.file = file;
  }
}

function formatValidation(
  name: string | undefined,
  problems: readonly ProfileProblem[],
  source: ProfileSource,
): string {
  const what = name === undefined ? 'ServiceProfile' : `ServiceProfile ${JSON.stringify(name)}`;
  const where =
    source.file === undefined ? '' : ` (${source.file}${source.line === undefined ? '' : `:${source.line}`})`;
  const noun = problems.length === 1 ? 'problem' : 'problems';
  const lines = problems.map((p) => {
    const at = source.file !== undefined && p.line !== undefined ? `${source.file}:${p.line}: ` : '';
    return `  - ${at}${p.path}: ${p.problem}; allowed: ${p.allowed}`;
  });
  return `invalid ${what}${where}: ${problems.length} ${noun}:\n${lines.join('\n')}`;
}
