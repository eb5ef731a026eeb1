// ConfigError: every problem found while parsing a component's settings, reported at once.
//
// Contract: thrown only at start, by a parseXConfig function, after all settings were checked;
// `problems` has one entry per bad setting, naming it, its value and what is allowed.

import { MeshError } from './mesh-error.ts';

export interface ConfigProblem {
  /** The environment variable or flag, e.g. `NODEMESH_PROXY_ADMIN_LISTEN_ADDR`. */
  readonly name: string;
  /** The value as given, or undefined when a required setting was missing. */
  readonly value: string | undefined;
  /** What is allowed, in words a person can act on. */
  readonly allowed: string;
  /** Optional extra detail (the parser's complaint). */
  readonly detail?: string;
}

export class ConfigError extends MeshError {
  readonly problems: readonly ConfigProblem[];

  constructor(component: string, problems: readonly ConfigProblem[]) {
    super('MESH_ERR_CONFIG', formatProblems(component, problems), {
      fields: { component, settings: problems.map((p) => p.name) },
    });
    this.problems = Object.freeze([...problems]);
  }
}

function formatProblems(component: string, problems: readonly ConfigProblem[]): string {
  const noun = problems.length === 1 ? 'setting' : 'settings';
  const lines = problems.map((p) => {
    const given = p.value === undefined ? 'is missing' : `has value ${JSON.stringify(p.value)}`;
    const detail = p.detail === undefined ? '' : ` (${p.detail})`;
    return `  - ${p.name} ${given}${detail}; allowed: ${p.allowed}`;
  });
  return `${component}: ${problems.length} invalid ${noun}:\n${lines.join('\n')}`;
}
