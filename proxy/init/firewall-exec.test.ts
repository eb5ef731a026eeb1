import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { catchRejection } from '../../src/testing/index.ts';
import { FirewallBinaryMissingError, FirewallCommandError, FirewallPermissionError } from './firewall-errors.ts';
import {
  createFirewallRunner,
  formatCommandLine,
  spawnExec,
  whichInPath,
  type ExecRequest,
  type ExecResult,
} from './firewall-exec.ts';

const NODE = process.execPath;

describe('spawnExec', () => {
  test('passes arguments without a shell and feeds stdin', async () => {
    const result = await spawnExec({
      file: NODE,
      args: [
        '-e',
        'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{console.log(process.argv[1]+"|"+s)})',
        '$HOME;*',
      ],
      input: 'in put',
      timeoutMs: 10_000,
    });
    assert.deepEqual(result, { code: 0, signal: null, timedOut: false, stdout: '$HOME;*|in put\n', stderr: '' });
  });

  test('returns a failing exit code with stderr', async () => {
    const result = await spawnExec({
      file: NODE,
      args: ['-e', 'console.error("bad");process.exit(3)'],
      timeoutMs: 10_000,
    });
    assert.equal(result.code, 3);
    assert.equal(result.stderr, 'bad\n');
  });

  test('kills a process that outlives its timeout', async () => {
    const started = Date.now();
    const result = await spawnExec({ file: NODE, args: ['-e', 'setTimeout(()=>{},60000)'], timeoutMs: 200 });
    assert.equal(result.timedOut, true);
    assert.equal(result.signal, 'SIGKILL');
    assert.ok(Date.now() - started < 5_000);
  });

  test('rejects with ENOENT when the binary does not exist', async () => {
    await assert.rejects(spawnExec({ file: '/nonexistent/iptables', args: [], timeoutMs: 1_000 }), { code: 'ENOENT' });
  });
});

describe('whichInPath', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nodemesh-which-'));
    await writeFile(path.join(dir, 'iptables-nft-save'), '#!/bin/sh\n');
    await chmod(path.join(dir, 'iptables-nft-save'), 0o755);
    await writeFile(path.join(dir, 'not-executable'), '');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('finds executables on the given PATH only', async () => {
    const which = whichInPath(`/nonexistent${path.delimiter}${dir}`);
    assert.equal(await which('iptables-nft-save'), path.join(dir, 'iptables-nft-save'));
    assert.equal(await which('not-executable'), undefined);
    assert.equal(await which('iptables-legacy-save'), undefined);
    assert.equal(await whichInPath(undefined)('iptables-nft-save'), undefined);
  });
});

describe('createFirewallRunner', () => {
  const answer =
    (result: Partial<ExecResult>, seen: ExecRequest[] = []) =>
    (req: ExecRequest): Promise<ExecResult> => {
      seen.push(req);
      return Promise.resolve({ code: 0, signal: null, timedOut: false, stdout: '', stderr: '', ...result });
    };

  test('returns stdout and runs inside the namespace through nsenter', async () => {
    const seen: ExecRequest[] = [];
    const shown: string[] = [];
    const run = createFirewallRunner({
      exec: answer({ stdout: '*nat\n' }, seen),
      nsenter: '/usr/bin/nsenter',
      netns: '/run/netns/pod',
      onCommand: (argv) => shown.push(formatCommandLine(argv)),
    });
    assert.equal(await run('/usr/sbin/iptables-save', ['-t', 'nat'], 'x'), '*nat\n');
    assert.deepEqual(
      seen.map((r) => [r.file, r.args, r.input]),
      [['/usr/bin/nsenter', ['--net=/run/netns/pod', '--', '/usr/sbin/iptables-save', '-t', 'nat'], 'x']],
    );
    assert.deepEqual(shown, ['/usr/bin/nsenter --net=/run/netns/pod -- /usr/sbin/iptables-save -t nat']);
  });

  const failures: {
    name: string;
    result?: Partial<ExecResult>;
    reject?: Error;
    netns?: boolean;
    kind: typeof FirewallCommandError | typeof FirewallPermissionError | typeof FirewallBinaryMissingError;
    message: RegExp;
  }[] = [
    {
      name: 'a missing binary',
      reject: Object.assign(new Error('spawn /usr/sbin/iptables-nft-save ENOENT'), { code: 'ENOENT' }),
      kind: FirewallBinaryMissingError,
      message: /^\/usr\/sbin\/iptables-nft-save is not installed \(running \/usr\/sbin\/iptables-nft-save -t nat\)/,
    },
    {
      name: 'nf_tables refusing a user without NET_ADMIN',
      result: {
        code: 4,
        stderr:
          'iptables-nft-save v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)',
      },
      kind: FirewallPermissionError,
      message:
        /was not permitted \(exited 4\): .*Permission denied \(you must be root\)\nproxy-init needs the NET_ADMIN and NET_RAW capabilities/,
    },
    {
      name: 'legacy iptables refusing',
      result: {
        code: 3,
        stderr: 'iptables-save v1.8.9 (legacy): Cannot initialize: Permission denied (you must be root)',
      },
      kind: FirewallPermissionError,
      message: /NET_ADMIN and NET_RAW/,
    },
    {
      name: 'the xtables lock file not writable',
      result: { code: 4, stderr: "Fatal: can't open lock file /run/xtables.lock: Permission denied" },
      kind: FirewallPermissionError,
      message: /writable \/run \(mount an emptyDir there\)/,
    },
    {
      name: 'nsenter not allowed to enter the namespace',
      result: { code: 1, stderr: "nsenter: reassociate to namespace 'ns/net' failed: Operation not permitted" },
      netns: true,
      kind: FirewallPermissionError,
      message: /NET_ADMIN and NET_RAW capabilities and SYS_ADMIN to enter the network namespace/,
    },
    {
      name: 'a binary missing inside nsenter',
      result: {
        code: 127,
        stderr: 'nsenter: failed to execute /usr/sbin/iptables-nft-save: No such file or directory',
      },
      netns: true,
      kind: FirewallBinaryMissingError,
      message: /failed to execute/,
    },
    {
      name: 'a rule the kernel does not accept',
      result: { code: 2, stderr: "iptables-nft-restore: line 3 failed: Couldn't load match `multiport'" },
      kind: FirewallCommandError,
      message: /^\/usr\/sbin\/iptables-nft-save -t nat exited 2: iptables-nft-restore: line 3 failed/,
    },
    {
      name: 'a timeout',
      result: { code: null, signal: 'SIGKILL', timedOut: true },
      kind: FirewallCommandError,
      message: /did not finish within 30000 ms and was killed/,
    },
    {
      name: 'a signal',
      result: { code: null, signal: 'SIGSEGV' },
      kind: FirewallCommandError,
      message: /was killed by SIGSEGV: \(no stderr\)/,
    },
  ];
  for (const { name, result = {}, reject, netns = false, kind, message } of failures) {
    test(`turns ${name} into ${kind.name}`, async () => {
      const run = createFirewallRunner({
        exec: reject === undefined ? answer(result) : () => Promise.reject(reject),
        ...(netns ? { nsenter: '/usr/bin/nsenter', netns: '/run/netns/pod' } : {}),
      });
      const err = await catchRejection(() => run('/usr/sbin/iptables-nft-save', ['-t', 'nat']), kind);
      assert.match(err.message, message);
      assert.ok(Array.isArray(err.fields.argv));
    });
  }

  test('needs nsenter to enter a namespace', async () => {
    const run = createFirewallRunner({ exec: answer({}), netns: '/run/netns/pod' });
    const err = await catchRejection(() => run('iptables-save', []), FirewallBinaryMissingError);
    assert.match(err.message, /nsenter is not installed; it is needed to enter \/run\/netns\/pod/);
  });

  test('quotes words a shell would split when showing a command line', () => {
    assert.equal(
      formatCommandLine(['iptables', '-A', 'X', '--comment', "it's here"]),
      `iptables -A X --comment 'it'\\''s here'`,
    );
  });
});
