// Command line of the open-loop generator, so the harness can run it as its own process pinned to
// a CPU like wrk and h2load: `node main.ts --host H --port P --authority A --rate R --connections C
// --duration-ms D [--warmup-ms W] [--path /x]`; prints the OpenLoopResult as one line of JSON on
// stdout, or the error on stderr with exit code 1 (2 for bad arguments).

import { parseArgs } from 'node:util';
import { runOpenLoop } from './generator.ts';

function number(name: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || value === '' || !Number.isFinite(n)) {
    process.stderr.write(`open-loop: --${name} needs a number (got ${JSON.stringify(value)})\n`);
    process.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    authority: { type: 'string' },
    path: { type: 'string' },
    rate: { type: 'string' },
    connections: { type: 'string' },
    'duration-ms': { type: 'string' },
    'warmup-ms': { type: 'string' },
  },
});
const host = values.host ?? '127.0.0.1';
const port = number('port', values.port);
try {
  const result = await runOpenLoop({
    host,
    port,
    authority: values.authority ?? `${host}:${port}`,
    path: values.path ?? '/',
    rate: number('rate', values.rate),
    connections: number('connections', values.connections),
    durationMs: number('duration-ms', values['duration-ms']),
    ...(values['warmup-ms'] === undefined ? {} : { warmupMs: number('warmup-ms', values['warmup-ms']) }),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (err) {
  process.stderr.write(`open-loop: ${(err as Error).message}\n`);
  process.exit(1);
}
