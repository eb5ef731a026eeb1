// Printing a generated ServiceProfile, after checking it with the same parser the destination
// service and the proxy use, so `nodemesh profile` never prints a profile they would refuse.
//
// Contract: pure. The YAML is what is validated (read back as kubectl reads it, YAML 1.1), and is
// written the YAML 1.1 way so strings such as `on` or `yes` stay strings; JSON output is the same
// object. A profile that fails validation becomes a ProfileSourceError naming the input file.

import { stringify } from 'yaml';
import { UsageError } from '../../errors/index.ts';
import { parseServiceProfilesYaml, type ServiceProfile } from '../../profiles/index.ts';
import { ProfileSourceError } from './profile-source-error.ts';

export const PROFILE_FORMATS = ['yaml', 'json'] as const;
export type ProfileFormat = (typeof PROFILE_FORMATS)[number];

export function parseProfileFormat(command: string, value: string | undefined): ProfileFormat {
  if (value === undefined) return 'yaml';
  const found = PROFILE_FORMATS.find((f) => f === value);
  if (found === undefined) {
    throw new UsageError(
      `${command}: -o ${JSON.stringify(value)} is not an output format; allowed: ${PROFILE_FORMATS.join(', ')}`,
    );
  }
  return found;
}

export interface RenderOptions {
  readonly format: ProfileFormat;
  /** The input file, for messages (`-` for stdin). */
  readonly file: string;
  /** Comment lines (without `# `) put above the YAML. */
  readonly header?: readonly string[];
}

/** The profile as YAML or JSON text (ending in a newline), once it passes validation. */
export function renderProfile(profile: ServiceProfile, opts: RenderOptions): string {
  const body = stringify(profile, { version: '1.1', lineWidth: 0 });
  const yaml = [...(opts.header ?? []).map((line) => `# ${line}`.trimEnd()), body.trimEnd()].join('\n') + '\n';
  checkProfileText(yaml, opts.file);
  return opts.format === 'json' ? `${JSON.stringify(profile, null, 2)}\n` : yaml;
}

/** Throws ProfileSourceError unless `text` holds exactly one valid ServiceProfile. */
export function checkProfileText(text: string, file: string): ServiceProfile {
  const results = parseServiceProfilesYaml(text, '(generated profile)');
  const [first] = results;
  if (results.length === 1 && first?.ok === true) return first.profile;
  const cause = first?.ok === false ? first.error : undefined;
  const problems =
    cause !== undefined && 'problems' in cause && cause.problems.length > 0
      ? cause.problems.map((p) => ({
          path: `the generated ${'path' in p ? p.path : 'profile'}`,
          problem: 'problem' in p ? p.problem : p.message,
          allowed: 'allowed' in p ? p.allowed : 'valid YAML',
        }))
      : [{ path: '(document)', problem: 'the generated profile did not read back as one profile', allowed: 'a bug' }];
  throw new ProfileSourceError(file, problems, { cause });
}
