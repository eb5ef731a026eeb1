// The one table of every benchmark's headline figures, built from the results files
// (bench/results/<scenario>.json) that `npm run bench` writes: a row per scenario with nodemesh's
// figure, haproxy's and direct's where the scenario has them, the ratio, the goal and where it
// stands, and when and on which build it was measured (results of different sittings sit side by
// side, so each row says its own).
//
// Contract: summaryRows() never throws on a results file of another shape (an older harness, a
// partial run): that row says what it could not read. replaceSummaryBlock() puts the table between
// the two markers of a document and throws when they are missing or out of order.

export interface SummaryRow {
  readonly scenario: string;
  readonly measures: string;
  readonly nodemesh: string;
  readonly haproxy: string;
  readonly direct: string;
  readonly ratio: string;
  readonly goal: string;
  readonly verdict: string;
  readonly measured: string;
}

/** A results file as bench/run.ts writes it. */
export interface ResultsFile {
  readonly machine?: unknown;
  readonly result?: unknown;
  /** Why the file could not be read (set by the reader instead of the two fields above). */
  readonly error?: string;
}

export const SUMMARY_BEGIN = '<!-- bench-summary:begin (npm run bench:summary writes this table) -->';
export const SUMMARY_END = '<!-- bench-summary:end -->';

/** Scenarios in the order the table lists them; others follow by name. */
const ORDER = [
  'proxy-http1',
  'proxy-h2',
  'proxy-grpc',
  'pair-http1',
  'pair-h2',
  'pair-grpc',
  'pair-latency',
  'pair-churn',
  'pair-large-http1',
  'pair-large-h2',
  'footprint',
  'identity',
  'destination',
  'balancer',
  'soak',
];

type Json = Record<string, unknown>;

function get(o: unknown, path: string): unknown {
  let v: unknown = o;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Json)[key];
  }
  return v;
}

function num(o: unknown, path: string): number | undefined {
  const v = get(o, path);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function fmt(n: number | undefined, digits: number, suffix = ''): string {
  if (n === undefined) return '–';
  return `${n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}${suffix}`;
}

/** "median (min–max)" of a {median, min, max} object. */
function spread(o: unknown, path: string, digits: number, suffix = ''): string {
  const median = num(o, `${path}.median`);
  if (median === undefined) return '–';
  const min = num(o, `${path}.min`);
  const max = num(o, `${path}.max`);
  const tail = min === undefined || max === undefined ? '' : ` (${fmt(min, digits)}–${fmt(max, digits)})`;
  return `${fmt(median, digits, suffix)}${tail}`;
}

/** An added latency: "+0.80 ms (…)", or the dash of a missing figure as it is. */
function plus(s: string): string {
  return s === '–' ? s : `+${s}`;
}

function configOf(list: unknown, config: string): unknown {
  return Array.isArray(list) ? list.find((s) => get(s, 'config') === config) : undefined;
}

function verdict(met: boolean | undefined): string {
  if (met === undefined) return '–';
  return met ? '**met**' : '**not met**';
}

function measuredOf(file: ResultsFile): string {
  const date = get(file.machine, 'date');
  const commit = get(file.result, 'nodemesh.commit');
  const dirty = get(file.result, 'nodemesh.dirty') === true ? ' + changes' : '';
  const when = typeof date === 'string' ? date.slice(0, 16).replace('T', ' ') : '?';
  return typeof commit === 'string' ? `${when}, ${commit.slice(0, 7)}${dirty}` : when;
}

type Cells = Omit<SummaryRow, 'scenario' | 'measured'>;

/** Every cell a dash: the base of rows whose scenario has no reference, ratio or goal. */
const EMPTY: Cells = {
  measures: '–',
  nodemesh: '–',
  haproxy: '–',
  direct: '–',
  ratio: '–',
  goal: '–',
  verdict: '–',
};

/** A configuration's median requests/s from a scenario's summary, formatted. */
function rpsOf(summary: unknown, config: string): string {
  return fmt(num(configOf(summary, config), 'requestsPerSecond.median'), 0, ' req/s');
}

/** A configuration's median proxy CPU per request from a scenario's summary, formatted. */
function cpuOf(summary: unknown, config: string): string {
  return fmt(num(configOf(summary, config), 'proxyCpuUsPerRequest.median'), 1, ' µs/req');
}

function proxyHop(r: unknown): Cells {
  const s = get(r, 'summary');
  const t = num(r, 'ratios.throughputVsHaproxy.median');
  const c = num(r, 'ratios.cpuPerRequestVsHaproxy.median');
  const tGoal = num(r, 'goals.throughputVsHaproxy') ?? 0.8;
  const cGoal = num(r, 'goals.cpuPerRequestVsHaproxy') ?? 1.5;
  return {
    measures: 'one plaintext hop, requests/s and CPU per request',
    nodemesh: `${rpsOf(s, 'nodemesh')}, ${cpuOf(s, 'nodemesh')}`,
    haproxy: `${rpsOf(s, 'haproxy')}, ${cpuOf(s, 'haproxy')}`,
    direct: rpsOf(s, 'direct'),
    ratio: `${spread(r, 'ratios.throughputVsHaproxy', 2, '×')}; CPU ${spread(r, 'ratios.cpuPerRequestVsHaproxy', 2, '×')}`,
    goal: `≥ ${tGoal}×; CPU ≤ ${cGoal}×`,
    verdict: verdict(t === undefined || c === undefined ? undefined : t >= tGoal && c <= cGoal),
  };
}

function pairThroughput(r: unknown): Cells {
  const s = get(r, 'summary');
  const tMet = get(r, 'goals.throughputVsHaproxyPair.met');
  const hMet = get(r, 'goals.handshakesInSteadyState.met');
  const steady = num(r, 'goals.handshakesInSteadyState.steadyWindows');
  return {
    measures: 'mTLS pair at saturation; handshakes between the proxies in steady windows',
    nodemesh: `${rpsOf(s, 'nodemesh-pair')}, ${cpuOf(s, 'nodemesh-pair')}; ${fmt(steady, 0)} handshakes`,
    haproxy: `${rpsOf(s, 'haproxy-pair')}, ${cpuOf(s, 'haproxy-pair')}`,
    direct: rpsOf(s, 'direct'),
    ratio: spread(r, 'ratios.throughputVsHaproxyPair', 2, '×'),
    goal: `≥ ${num(r, 'goals.throughputVsHaproxyPair.goal') ?? 0.6}×; 0 handshakes`,
    verdict: verdict(typeof tMet === 'boolean' && typeof hMet === 'boolean' ? tMet && hMet : undefined),
  };
}

function pairLatency(r: unknown): Cells {
  const s = get(r, 'summary');
  const leadIn = num(r, 'leadInS');
  const met = get(r, 'goals.addedP99Ms.met');
  return {
    ...EMPTY,
    measures: `latency added at ${fmt(num(r, 'rate'), 0)} requests/s, evenly spaced (p99; p99.9)${leadIn === undefined ? '' : `, after a ${leadIn} s lead-in`}`,
    nodemesh: `${plus(spread(r, 'added.nodemeshPair.p99Ms', 2, ' ms'))}; ${plus(spread(r, 'added.nodemeshPair.p999Ms', 2))}`,
    haproxy: `${plus(spread(r, 'added.haproxyPair.p99Ms', 2, ' ms'))}; ${plus(spread(r, 'added.haproxyPair.p999Ms', 2))}`,
    direct: `p99 ${fmt(num(configOf(s, 'direct'), 'p99Ms.median'), 2, ' ms')}`,
    goal: `p99 added ≤ ${num(r, 'goals.addedP99Ms.goal') ?? 1.5} ms`,
    verdict: verdict(typeof met === 'boolean' ? met : undefined),
  };
}

function pairChurn(r: unknown): Cells {
  const s = get(r, 'edge.summary');
  return {
    ...EMPTY,
    measures: 'a new client connection per request through the pair; mTLS accepts',
    nodemesh: rpsOf(s, 'nodemesh-pair'),
    haproxy: rpsOf(s, 'haproxy-pair'),
    direct: rpsOf(s, 'direct'),
    ratio: `${spread(r, 'edge.throughputVsHaproxyPair', 2, '×')}; CPU per mTLS accept ${spread(r, 'mtlsAccept.cpuPerConnectionVsHaproxy', 2, '×')}`,
  };
}

const mibOf = (bytes: number | undefined): number | undefined => (bytes === undefined ? undefined : bytes / 1048576);

function pairLarge(r: unknown): Cells {
  const t = get(r, 'throughput');
  const mib = (c: string): string => fmt(num(configOf(t, c), 'mibPerSecond.median'), 0, ' MiB/s');
  return {
    ...EMPTY,
    measures: `${fmt(mibOf(num(r, 'bodyBytes')), 0)} MiB responses through the pair`,
    nodemesh: mib('nodemesh-pair'),
    haproxy: mib('haproxy-pair'),
    direct: mib('direct'),
    ratio: spread(r, 'ratios.throughputVsHaproxyPair', 2, '×'),
  };
}

/** The larger of a footprint subject's two sides (client, server) at one moment. */
function larger(subject: unknown, when: string, field: string): number | undefined {
  const a = num(subject, `${when}.client.${field}`);
  const b = num(subject, `${when}.server.${field}`);
  if (a === undefined || b === undefined) return a ?? b;
  return Math.max(a, b);
}

function footprint(r: unknown): Cells {
  const subjects = get(r, 'subjects');
  const subject = (name: string): unknown =>
    Array.isArray(subjects) ? (subjects as unknown[]).find((s) => get(s, 'subject') === name) : undefined;
  const haproxy = subject('haproxy');
  const nodemesh = subject('nodemesh (compiled)');
  const compiled = get(r, 'goals.nodemesh (compiled)');
  const worst = (k: string): number | undefined => num(compiled, `${k}.worst`);
  const mets = ['idleUssMb', 'idleRssMb', 'loadUssMb', 'loadRssMb'].map((k) => get(compiled, `${k}.met`));
  const all = mets.every((m) => typeof m === 'boolean') ? mets.every((m) => m === true) : undefined;
  // The proxy that holds the 10,000 idle client connections (the client side).
  const held = (s: unknown): string =>
    `10,000 idle connections ${fmt(num(s, 'connections.held.client.rssMb'), 1)} / ${fmt(num(s, 'connections.held.client.ussMb'), 1)} (${fmt(num(s, 'connections.clientUssKbPerConnection'), 2)} KB each)`;
  return {
    ...EMPTY,
    measures:
      'MB per proxy, RSS / USS: idle and under load (the worse side), and the client side holding 10,000 idle connections',
    nodemesh: `idle ${fmt(worst('idleRssMb'), 1)} / ${fmt(worst('idleUssMb'), 1)}; load ${fmt(worst('loadRssMb'), 1)} / ${fmt(worst('loadUssMb'), 1)}; ${held(nodemesh)}`,
    haproxy: `idle ${fmt(larger(haproxy, 'idle', 'rssMb'), 1)} / ${fmt(larger(haproxy, 'idle', 'ussMb'), 1)}; load ${fmt(larger(haproxy, 'underLoad', 'rssMb'), 1)} / ${fmt(larger(haproxy, 'underLoad', 'ussMb'), 1)}; ${held(haproxy)}`,
    goal: `idle ≤ ${fmt(num(compiled, 'idleRssMb.goal'), 0)} / ${fmt(num(compiled, 'idleUssMb.goal'), 0)}; load ≤ ${fmt(num(compiled, 'loadRssMb.goal'), 0)} / ${fmt(num(compiled, 'loadUssMb.goal'), 0)}`,
    verdict: verdict(all),
  };
}

function identity(r: unknown): Cells {
  return {
    ...EMPTY,
    measures: 'Certify on one core, 50 clients',
    nodemesh: `${fmt(num(r, 'certificatesPerSecond'), 0)} certificates/s, p99 ${fmt(num(r, 'latency.p99Ms'), 1, ' ms')}, ${fmt(num(r, 'serverCpuMsPerCertificate'), 2, ' ms')} CPU each`,
  };
}

function destination(r: unknown): Cells {
  const p99 = num(r, 'latency.p99Ms');
  const rss = num(r, 'controllerPeakRssMb');
  const p99Goal = num(r, 'goals.p99Ms');
  const rssGoal = num(r, 'goals.peakRssMb');
  const complete = num(r, 'changesIncomplete') === 0;
  const known = p99 !== undefined && rss !== undefined && p99Goal !== undefined && rssGoal !== undefined;
  return {
    ...EMPTY,
    measures: `endpoint changes fanned out to ${fmt(num(r, 'streams'), 0)} streams (${fmt(num(r, 'endpoints'), 0)} endpoints)`,
    nodemesh: `p99 ${fmt(p99, 1, ' ms')}, ${fmt(num(r, 'controllerCpuMsPerChange'), 2, ' ms')} CPU per change, ${fmt(rss, 1, ' MB')} peak RSS`,
    goal: p99Goal === undefined || rssGoal === undefined ? '–' : `p99 < ${p99Goal} ms; peak RSS < ${rssGoal} MB`,
    verdict: verdict(known ? complete && p99 < p99Goal && rss < rssGoal : undefined),
  };
}

function balancer(r: unknown): Cells {
  const share = (k: string): number | undefined => {
    const v = num(r, `slowEndpoint.strategies.${k}.slowShare`);
    return v === undefined ? undefined : v * 100;
  };
  return {
    ...EMPTY,
    measures: 'five endpoints, one 50× slower: p99, and the share of requests the slow one got',
    nodemesh: `P2C ${fmt(num(r, 'slowEndpoint.strategies.p2c.p99Ms'), 1, ' ms')}, ${fmt(share('p2c'), 1, ' %')}; round robin ${fmt(num(r, 'slowEndpoint.strategies.round-robin.p99Ms'), 1, ' ms')}, ${fmt(share('round-robin'), 1, ' %')}`,
  };
}

function soak(r: unknown): Cells {
  const processes = get(r, 'processes');
  const slopes = Array.isArray(processes) ? processes.map((p) => num(p, 'rssSlopeMbPerMin') ?? 0) : [];
  const durationS = num(r, 'durationS');
  return {
    ...EMPTY,
    measures: `the local mesh for ${fmt(durationS === undefined ? undefined : durationS / 60, 0)} min under traffic, renewals, rotation, churn`,
    nodemesh: `largest RSS slope ${fmt(slopes.length === 0 ? undefined : Math.max(...slopes), 2, ' MB/min')}`,
  };
}

const EXTRACT: Readonly<Record<string, (r: unknown) => Cells>> = {
  'proxy-http1': proxyHop,
  'proxy-h2': proxyHop,
  'proxy-grpc': proxyHop,
  'pair-http1': pairThroughput,
  'pair-h2': pairThroughput,
  'pair-grpc': pairThroughput,
  'pair-latency': pairLatency,
  'pair-churn': pairChurn,
  'pair-large-http1': pairLarge,
  'pair-large-h2': pairLarge,
  footprint,
  identity,
  destination,
  balancer,
  soak,
};

/** One row per results file, known scenarios first in ORDER. */
export function summaryRows(files: ReadonlyMap<string, ResultsFile>): SummaryRow[] {
  const rank = (n: string): number => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);
  const names = [...files.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return names.map((scenario) => {
    const file = files.get(scenario) ?? {};
    const extract = EXTRACT[scenario];
    let cells: Cells;
    if (file.error !== undefined) cells = { ...EMPTY, measures: `unreadable: ${file.error}` };
    else if (extract === undefined) cells = { ...EMPTY, measures: `see bench/results/${scenario}.md` };
    else if (file.result === null || typeof file.result !== 'object') {
      cells = { ...EMPTY, measures: 'the results file holds no result' };
    } else {
      try {
        cells = extract(file.result);
      } catch (err) {
        cells = { ...EMPTY, measures: `unreadable: ${(err as Error).message}` };
      }
    }
    return { scenario, ...cells, measured: measuredOf(file) };
  });
}

const cell = (s: string): string => s.replaceAll('|', '\\|');

export function summaryMarkdown(rows: readonly SummaryRow[]): string {
  const lines = [
    '| scenario | what it measures | nodemesh | haproxy | direct | nodemesh ÷ haproxy | goal | verdict | measured (UTC, build) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${[r.scenario, r.measures, r.nodemesh, r.haproxy, r.direct, r.ratio, r.goal, r.verdict, r.measured].map(cell).join(' | ')} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** `doc` with the text between SUMMARY_BEGIN and SUMMARY_END replaced by `table`. */
export function replaceSummaryBlock(doc: string, table: string): string {
  const begin = doc.indexOf(SUMMARY_BEGIN);
  const end = doc.indexOf(SUMMARY_END);
  if (begin < 0 || end < 0 || end < begin) {
    throw new Error(`the document has no "${SUMMARY_BEGIN}" … "${SUMMARY_END}" block to write the table into`);
  }
  return `${doc.slice(0, begin + SUMMARY_BEGIN.length)}\n\n${table}\n${doc.slice(end)}`;
}
