// The generated table of every scenario's headline figure (bench/lib/summary.ts, bench/summary.ts).

import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  SUMMARY_BEGIN,
  SUMMARY_END,
  replaceSummaryBlock,
  summaryMarkdown,
  summaryRows,
  type ResultsFile,
} from '../../bench/lib/summary.ts';
import { writeSummary } from '../../bench/summary.ts';

const machine = { date: '2026-11-23T06:19:30.301Z' };
const nodemesh = { commit: 'f7841b0611bc0000000000000000000000000000', dirty: false };
const r3 = (median: number, min: number, max: number): object => ({ median, min, max });

const hop: ResultsFile = {
  machine,
  result: {
    nodemesh,
    summary: [
      { config: 'direct', requestsPerSecond: r3(170000, 1, 2) },
      { config: 'haproxy', requestsPerSecond: r3(100000, 1, 2), proxyCpuUsPerRequest: r3(9.5, 1, 2) },
      { config: 'nodemesh', requestsPerSecond: r3(82000, 1, 2), proxyCpuUsPerRequest: r3(12.1, 1, 2) },
    ],
    ratios: { throughputVsHaproxy: r3(0.82, 0.79, 0.83), cpuPerRequestVsHaproxy: r3(1.26, 1.24, 1.28) },
    goals: { throughputVsHaproxy: 0.8, cpuPerRequestVsHaproxy: 1.5 },
  },
};

const latency: ResultsFile = {
  machine,
  result: {
    nodemesh,
    rate: 5000,
    leadInS: 3,
    summary: [{ config: 'direct', p99Ms: r3(0.32, 0.31, 0.34) }],
    added: {
      nodemeshPair: { p99Ms: r3(1.8, 1.2, 2.3), p999Ms: r3(7.8, 1.3, 9.8) },
      haproxyPair: { p99Ms: r3(0.5, 0.4, 0.78), p999Ms: r3(0.62, 0.12, 1.61) },
    },
    goals: { addedP99Ms: { goal: 1.5, met: false } },
  },
};

const byName = (rows: ReturnType<typeof summaryRows>, name: string): ReturnType<typeof summaryRows>[number] => {
  const row = rows.find((r) => r.scenario === name);
  assert.ok(row, `no row for ${name}`);
  return row;
};

describe('bench summary', () => {
  test('takes each figure from its results file, with the verdict against the goal', () => {
    const rows = summaryRows(
      new Map([
        ['pair-latency', latency],
        ['proxy-http1', hop],
      ]),
    );
    assert.deepEqual(
      rows.map((r) => r.scenario),
      ['proxy-http1', 'pair-latency'],
      'known scenarios in their fixed order',
    );
    const h = byName(rows, 'proxy-http1');
    assert.equal(h.nodemesh, '82,000 req/s, 12.1 µs/req');
    assert.equal(h.haproxy, '100,000 req/s, 9.5 µs/req');
    assert.equal(h.ratio, '0.82× (0.79–0.83); CPU 1.26× (1.24–1.28)');
    assert.equal(h.verdict, '**met**');
    assert.equal(h.measured, '2026-11-23 06:19, f7841b0');
    const l = byName(rows, 'pair-latency');
    assert.equal(l.nodemesh, '+1.80 ms (1.20–2.30); +7.80 (1.30–9.80)');
    assert.equal(l.direct, 'p99 0.32 ms');
    assert.match(l.measures, /after a 3 s lead-in/);
    assert.equal(l.verdict, '**not met**');
  });

  test('a throughput under the goal, or CPU over it, is not met', () => {
    const slow = structuredClone(hop) as { machine: object; result: { ratios: { throughputVsHaproxy: object } } };
    slow.result.ratios.throughputVsHaproxy = r3(0.79, 0.77, 0.8);
    assert.equal(byName(summaryRows(new Map([['proxy-h2', slow]])), 'proxy-h2').verdict, '**not met**');
  });

  test('a results file of another shape gives a row of dashes, never an exception', () => {
    const rows = summaryRows(
      new Map<string, ResultsFile>([
        ['proxy-grpc', { machine, result: { summary: 'not a list', ratios: { throughputVsHaproxy: 'x' } } }],
        ['footprint', { result: null }],
        ['pair-experiment', { machine, result: {} }],
        ['pair-latency', { machine, result: { added: {} } }],
      ]),
    );
    assert.equal(byName(rows, 'pair-latency').nodemesh, '–; –', 'no "+" before a missing figure');
    const grpc = byName(rows, 'proxy-grpc');
    assert.equal(grpc.nodemesh, '–, –');
    assert.equal(grpc.ratio, '–; CPU –');
    assert.equal(grpc.verdict, '–');
    assert.equal(byName(rows, 'footprint').measures, 'the results file holds no result');
    assert.equal(byName(rows, 'pair-experiment').measures, 'see bench/results/pair-experiment.md');
    assert.equal(byName(rows, 'footprint').measured, '?');
  });

  test('every committed results file gives a readable row', async () => {
    const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
    const files = new Map<string, ResultsFile>();
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.json'))) {
      files.set(name.slice(0, -5), JSON.parse(await readFile(path.join(dir, name), 'utf8')) as ResultsFile);
    }
    assert.ok(files.size >= 10, `only ${files.size} results files`);
    const rows = summaryRows(files);
    const withGoals = [
      'proxy-http1',
      'proxy-h2',
      'proxy-grpc',
      'pair-http1',
      'pair-latency',
      'footprint',
      'destination',
    ];
    for (const scenario of withGoals) {
      const row = byName(rows, scenario);
      assert.ok(!row.nodemesh.startsWith('–'), `${scenario}: ${row.nodemesh}`);
      assert.match(row.verdict, /met/, `${scenario} has a goal: its verdict is read from the file`);
    }
    for (const row of rows) assert.doesNotMatch(row.measures, /unreadable/, row.scenario);
  });

  test('the table goes between the markers, replacing what was there, and only there', () => {
    const doc = `# Doc\n\nbefore\n\n${SUMMARY_BEGIN}\nold table\n${SUMMARY_END}\n\nafter\n`;
    const table = summaryMarkdown(summaryRows(new Map([['proxy-http1', hop]])));
    const out = replaceSummaryBlock(doc, table);
    assert.ok(out.startsWith('# Doc\n\nbefore\n\n'));
    assert.ok(out.endsWith(`${SUMMARY_END}\n\nafter\n`));
    assert.ok(out.includes('| proxy-http1 |'));
    assert.ok(!out.includes('old table'));
    assert.equal(replaceSummaryBlock(out, table), out, 'idempotent');
    assert.throws(() => replaceSummaryBlock('# no markers\n', table), /has no .* block/);
    assert.throws(() => replaceSummaryBlock(`${SUMMARY_END}\n${SUMMARY_BEGIN}\n`, table), /has no .* block/);
  });

  test('writeSummary writes summary.md and a formatted block from a results directory', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-summary-'));
    try {
      await writeFile(path.join(dir, 'proxy-http1.json'), JSON.stringify(hop));
      await writeFile(path.join(dir, 'pair-latency.json'), '{ not json');
      const doc = path.join(dir, 'doc.md');
      await writeFile(doc, `# Doc\n\n${SUMMARY_BEGIN}\n${SUMMARY_END}\n`);
      assert.equal(await writeSummary(dir, doc), 2);
      const summary = await readFile(path.join(dir, 'summary.md'), 'utf8');
      assert.match(summary, /\| proxy-http1 +\|/);
      assert.match(summary, /\| pair-latency \| unreadable: .*JSON/);
      const written = await readFile(doc, 'utf8');
      assert.match(written, /\| proxy-http1 +\| one plaintext hop/);
      assert.match(written, /\| -{3,} \|/, 'prettier aligned the table');
      await writeSummary(dir, doc);
      assert.equal(await readFile(doc, 'utf8'), written, 'a second run changes nothing');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
