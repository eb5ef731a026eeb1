import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { ConfigError, UsageError } from '../errors/index.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CommandSpec } from './command.ts';
import { dispatch } from './dispatch.ts';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  return {
    stream: new Writable({
      write(chunk: Buffer, _e, cb) {
        text += chunk.toString();
        cb();
      },
    }),
    text: () => text,
  };
}

const commands: CommandSpec[] = [
  { name: 'ok', summary: 'succeeds', help: 'ok help\n', load: () => Promise.resolve(() => Promise.resolve(EXIT_OK)) },
  {
    name: 'echo',
    summary: 'prints its arguments',
    help: 'echo help\n',
    load: () =>
      Promise.resolve((ctx) => {
        ctx.stdout.write(ctx.argv.join(' '));
        return Promise.resolve(EXIT_OK);
      }),
  },
  {
    name: 'misuse',
    summary: 'throws a usage error',
    help: '',
    load: () => Promise.resolve(() => Promise.reject(new UsageError('misuse: --x needs a value'))),
  },
  {
    name: 'badconfig',
    summary: 'throws a config error',
    help: '',
    load: () => Promise.resolve(() => Promise.reject(new ConfigError('c', [{ name: 'A', value: 'b', allowed: 'c' }]))),
  },
  { name: 'crash', summary: 'throws', help: '', load: () => Promise.resolve(() => Promise.reject(new Error('boom'))) },
  {
    name: 'parent',
    summary: 'has verbs',
    help: 'parent help\n',
    load: () =>
      Promise.resolve((ctx) => {
        ctx.stdout.write(`parent ran with ${ctx.argv.join(',')}`);
        return Promise.resolve(EXIT_OK);
      }),
    verbs: [
      {
        name: 'child',
        summary: 'a verb',
        help: 'child help\n',
        load: () =>
          Promise.resolve((ctx) => {
            ctx.stdout.write(`child ran with ${ctx.argv.join(',')}`);
            return Promise.resolve(EXIT_OK);
          }),
      },
      {
        name: 'broken',
        summary: 'a verb that misuses',
        help: '',
        load: () => Promise.resolve(() => Promise.reject(new UsageError('broken: bad'))),
      },
    ],
  },
];

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const code = await dispatch({
    commands,
    argv,
    context: {
      env: {},
      stdout: out.stream,
      stderr: err.stream,
      signal: new AbortController().signal,
      program: 'nodemesh',
      cwd: '/',
      self: ['node'],
    },
  });
  return { code, out: out.text(), err: err.text() };
}

describe('dispatch', () => {
  const cases: { argv: string[]; code: number; out?: RegExp; err?: RegExp; name: string }[] = [
    { name: 'runs a command and returns its code', argv: ['ok'], code: EXIT_OK },
    { name: 'passes the remaining arguments', argv: ['echo', 'a', 'b'], code: EXIT_OK, out: /^a b$/ },
    { name: 'prints the command list for --help', argv: ['--help'], code: EXIT_OK, out: /Commands:\n\s+ok\s+succeeds/ },
    { name: 'prints usage and exits 2 with no command', argv: [], code: EXIT_USAGE, out: /Usage: nodemesh <command>/ },
    { name: "prints a command's help for --help", argv: ['echo', '--help'], code: EXIT_OK, out: /^echo help$/m },
    { name: 'prints a command\'s help for "help NAME"', argv: ['help', 'ok'], code: EXIT_OK, out: /^ok help$/m },
    { name: 'exits 2 on an unknown command', argv: ['nope'], code: EXIT_USAGE, err: /unknown command "nope"/ },
    {
      name: 'exits 2 on a usage error',
      argv: ['misuse'],
      code: EXIT_USAGE,
      err: /--x needs a value[\s\S]*misuse --help/,
    },
    {
      name: 'exits 1 with the code on a config error',
      argv: ['badconfig'],
      code: EXIT_FAILURE,
      err: /\[MESH_ERR_CONFIG\]/,
    },
    {
      name: 'exits 1 on an unexpected error',
      argv: ['crash'],
      code: EXIT_FAILURE,
      err: /unexpected failure in 'crash': Error: boom/,
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const result = await run(c.argv);
      assert.equal(result.code, c.code, result.err);
      if (c.out) assert.match(result.out, c.out);
      if (c.err) assert.match(result.err, c.err);
    });
  }
});
