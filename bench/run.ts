// `npm run bench [-- SCENARIO ...] [--duration 10s] [--concurrency N]`: runs benchmark scenarios
// and writes each result as JSON and Markdown into bench/results/, with the machine and versions.
// Scenarios start every process themselves on loopback and stop them at the end.

import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseDurationMs } from '../src/config/index.ts';
import { machineInfo } from './lib/machine.ts';
import { balancerMarkdown, runBalancerBench } from './scenarios/balancer.ts';
import { destinationScenario } from './scenarios/destination.ts';
import { identityMarkdown, runIdentityBench } from './scenarios/identity.ts';
import { PAIR_SCENARIOS } from './scenarios/pair-scenarios.ts';
import { proxyHopScenario } from './scenarios/proxy-hop.ts';
import { soakScenario } from './scenarios/soak.ts';
import { writeSummary } from './summary.ts';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

interface Scenario {
  readonly describe: string;
  readonly run: (o: {
    durationMs: number;
    concurrency: number | undefined;
  }) => Promise<{ json: object; markdown: string }>;
}

const SCENARIOS: Readonly<Record<string, Scenario>> = {
  identity: {
    describe: 'Certify throughput and latency, one identity process on one core, 50 clients',
    run: async ({ durationMs, concurrency }) => {
      const result = await runIdentityBench({ concurrency: concurrency ?? 50, durationMs, warmupMs: 3000, pin: true });
      return { json: result, markdown: identityMarkdown(result) };
    },
  },
  'proxy-http1': proxyHopScenario('http1'),
  'proxy-h2': proxyHopScenario('h2'),
  'proxy-grpc': proxyHopScenario('grpc'),
  balancer: {
    describe: 'P2C peak-EWMA against round robin with one endpoint 50x slower, and the CPU cost of the policy layers',
    run: async ({ durationMs, concurrency }) => {
      const result = await runBalancerBench({ durationMs, ...(concurrency === undefined ? {} : { concurrency }) });
      return { json: result, markdown: balancerMarkdown(result) };
    },
  },
  ...PAIR_SCENARIOS,
  destination: destinationScenario(),
  soak: soakScenario(),
};

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: { duration: { type: 'string', default: '10s' }, concurrency: { type: 'string' } },
    allowPositionals: true,
  });
  const durationMs = parseDurationMs(values.duration);
  if (durationMs === undefined) {
    process.stderr.write(`bench: --duration ${values.duration} is not a duration (e.g. 10s)\n`);
    return 2;
  }
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  // The 10-minute soak runs only when named (`npm run bench -- soak`).
  const names = positionals.length > 0 ? positionals : Object.keys(SCENARIOS).filter((n) => n !== 'soak');
  const unknown = names.filter((n) => !(n in SCENARIOS));
  if (unknown.length > 0) {
    process.stderr.write(
      `bench: unknown scenario ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}\n`,
    );
    return 2;
  }
  await mkdir(RESULTS, { recursive: true });
  const machine = machineInfo();
  for (const name of names) {
    const scenario = SCENARIOS[name];
    if (scenario === undefined) continue;
    process.stdout.write(`bench ${name}: ${scenario.describe} (${values.duration})\n`);
    const { json, markdown } = await scenario.run({ durationMs, concurrency });
    await writeFile(`${RESULTS}${name}.json`, `${JSON.stringify({ machine, result: json }, null, 2)}\n`);
    const md = `# Benchmark: ${name}\n\n${scenario.describe}.\n\nMachine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GiB; ${machine.kernel}; Node ${machine.node}, OpenSSL ${machine.openssl}; nodemesh ${machine.nodemesh}; ${machine.date}.\n\n${markdown}\n`;
    await writeFile(`${RESULTS}${name}.md`, md);
    process.stdout.write(`${markdown}\n`);
  }
  const rows = await writeSummary();
  process.stdout.write(`bench: summary of ${rows} scenarios in bench/results/summary.md and docs/performance.md\n`);
  return 0;
}

process.exitCode = await main();
