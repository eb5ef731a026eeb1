// `node bench/module-footprint.ts [SPECIFIER ...]`: the memory a module costs a process that
// imports it alone and waits. For each specifier (a package name, or a path to a .js/.ts file;
// `nothing` for a bare process) one child Node process imports it, counts the modules it loaded
// (a module.registerHooks load hook), settles for a second, and reports RSS and private memory
// (Private_Clean + Private_Dirty of /proc/self/smaps_rollup), in MB. Children run one at a time.
//
// Compare compiled JavaScript with compiled JavaScript: a .ts path also loads Node's type stripper.
// The footprint scenario leaves the compiled tree in bench/results/tmp/dist, e.g.
//   node bench/module-footprint.ts nothing pino @grpc/grpc-js bench/results/tmp/dist/src/metrics/core/index.js

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const CHILD = `
import { registerHooks } from 'node:module';
import { readFileSync } from 'node:fs';
let modules = 0;
registerHooks({ load(url, context, next) { if (!url.startsWith('node:')) modules++; return next(url, context); } });
const spec = process.argv[1];
if (spec !== 'nothing') await import(spec);
await new Promise((resolve) => setTimeout(resolve, 1000));
const rollup = readFileSync('/proc/self/smaps_rollup', 'utf8');
const kb = (field) => Number(new RegExp('^' + field + ':\\\\s+(\\\\d+) kB', 'm').exec(rollup)?.[1] ?? NaN);
process.stdout.write(JSON.stringify({ rssMb: kb('Rss') / 1024, privateMb: (kb('Private_Clean') + kb('Private_Dirty')) / 1024, modules }));
`;

function specifier(arg: string): string {
  if (arg === 'nothing') return arg;
  if (arg.startsWith('.') || arg.startsWith('/') || (arg.includes('/') && /\.(js|ts|mjs)$/.test(arg))) {
    return pathToFileURL(path.resolve(arg)).href;
  }
  return arg;
}

const args = process.argv.slice(2);
const specs = args.length > 0 ? args : ['nothing', 'pino', '@grpc/grpc-js', '@bufbuild/protobuf'];
process.stdout.write('| imported alone | RSS MB | private MB | modules |\n| --- | --- | --- | --- |\n');
for (const arg of specs) {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', CHILD, specifier(arg)], {
    cwd: process.cwd(),
    encoding: 'utf8',
  });
  const r = JSON.parse(out) as { rssMb: number; privateMb: number; modules: number };
  process.stdout.write(`| ${arg} | ${r.rssMb.toFixed(1)} | ${r.privateMb.toFixed(1)} | ${r.modules} |\n`);
}
