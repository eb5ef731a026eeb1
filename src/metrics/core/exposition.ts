// Formatting for the Prometheus text exposition format, version 0.0.4: escaping of help text and
// label values, sample values, and the label pairs of one series.
//
// Contract: pure functions, no state. Help text escapes `\` and newline; label values escape `\`,
// newline and `"`; values print as JavaScript numbers, `NaN`, `+Inf` or `-Inf`.

/** The content type of the text format this module writes. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const HELP_SPECIAL = /[\\\n]/;
const LABEL_SPECIAL = /[\\\n"]/;

export function escapeHelp(text: string): string {
  if (!HELP_SPECIAL.test(text)) return text;
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function escapeLabelValue(value: string): string {
  if (!LABEL_SPECIAL.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function formatValue(value: number): string {
  if (Number.isFinite(value)) return String(value);
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}

/**
 * `name="value",…` for the labels of one series, in `names` order, leaving out unset ones; the
 * empty string when none is set.
 */
export function formatLabelPairs(names: readonly string[], values: readonly (string | undefined)[]): string {
  let text = '';
  for (let i = 0; i < names.length; i++) {
    const value = values[i];
    if (value === undefined) continue;
    if (text !== '') text += ',';
    text += `${names[i]}="${escapeLabelValue(value)}"`;
  }
  return text;
}

/** The `# HELP` and `# TYPE` lines of a family. */
export function familyHeader(name: string, help: string, type: string): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}`;
}
