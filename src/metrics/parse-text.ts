// A parser for the Prometheus text exposition format (version 0.0.4), used by the CLI to read
// proxies' /metrics and by tests to check exact counts.
//
// Contract: parsePrometheusText never throws on a line it does not understand; it collects such
// lines in `errors` with their line numbers and goes on, so one odd series does not hide the rest.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  type: string;
  help: string;
  readonly samples: Sample[];
}

export interface ParsedMetrics {
  readonly families: ReadonlyMap<string, MetricFamily>;
  readonly samples: readonly Sample[];
  readonly errors: readonly { line: number; text: string; reason: string }[];
}

const SAMPLE_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created'] as const;

export function parsePrometheusText(text: string): ParsedMetrics {
  const families = new Map<string, MetricFamily>();
  const samples: Sample[] = [];
  const errors: { line: number; text: string; reason: string }[] = [];
  const family = (name: string): MetricFamily => {
    let f = families.get(name);
    if (f === undefined) {
      f = { name, type: 'untyped', help: '', samples: [] };
      families.set(name, f);
    }
    return f;
  };

  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trimEnd();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const meta = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(.*)$/.exec(line);
      if (meta !== null) {
        const f = family(meta[2] ?? '');
        if (meta[1] === 'TYPE') f.type = meta[3] ?? 'untyped';
        else f.help = unescapeHelp(meta[3] ?? '');
      }
      continue;
    }
    const parsed = parseSampleLine(line);
    if (typeof parsed === 'string') {
      errors.push({ line: i + 1, text: line, reason: parsed });
      continue;
    }
    samples.push(parsed);
    family(familyName(parsed.name, families)).samples.push(parsed);
  }
  return { families, samples, errors };
}

/** The sum of the values of `name`'s samples whose labels include every pair in `match`. */
export function sumSamples(metrics: ParsedMetrics, name: string, match: Readonly<Record<string, string>> = {}): number {
  let total = 0;
  for (const s of metrics.samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

/** The samples of `name` whose labels include every pair in `match`. */
export function findSamples(
  metrics: ParsedMetrics,
  name: string,
  match: Readonly<Record<string, string>> = {},
): Sample[] {
  return metrics.samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

function familyName(sampleName: string, families: ReadonlyMap<string, MetricFamily>): string {
  if (families.has(sampleName)) return sampleName;
  for (const suffix of SUFFIXES) {
    if (sampleName.endsWith(suffix)) {
      const base = sampleName.slice(0, -suffix.length);
      if (families.has(base)) return base;
    }
  }
  return sampleName;
}

function parseSampleLine(line: string): Sample | string {
  const nameMatch = SAMPLE_NAME.exec(line);
  if (nameMatch === null) return 'no metric name';
  const name = nameMatch[0];
  let pos = name.length;
  const labels: Record<string, string> = {};
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      while (line[pos] === ' ') pos++;
      if (line[pos] === '}') {
        pos++;
        break;
      }
      const key = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(pos));
      if (key === null) return `bad label name at column ${pos + 1}`;
      pos += key[0].length;
      if (line[pos] !== '=' || line[pos + 1] !== '"') return `expected =" after label ${key[0]}`;
      pos += 2;
      let value = '';
      for (;;) {
        const ch = line[pos];
        if (ch === undefined) return `unterminated value of label ${key[0]}`;
        pos++;
        if (ch === '"') break;
        if (ch === '\\') {
          const next = line[pos++];
          value += next === 'n' ? '\n' : (next ?? '');
        } else value += ch;
      }
      labels[key[0]] = value;
      while (line[pos] === ' ') pos++;
      if (line[pos] === ',') pos++;
    }
  }
  const rest = line.slice(pos).trim().split(/\s+/);
  const value = parseValue(rest[0] ?? '');
  if (value === undefined) return `bad value ${JSON.stringify(rest[0] ?? '')}`;
  return { name, labels, value };
}

function parseValue(text: string): number | undefined {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  if (text === '') return undefined;
  const n = Number(text);
  return Number.isNaN(n) ? undefined : n;
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(n|\\)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}
