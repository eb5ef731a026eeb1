import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import type { CommandContext } from '../../src/cli/command.ts';
import { UsageError } from '../../src/errors/index.ts';
import { catchRejection } from '../../src/testing/index.ts';
import { FakeIptables, fakeWhich } from './firewall-fake.ts';
import type { ProxyInitDeps } from './proxy-init-command.ts';
import { runProxyInit } from './proxy-init-command.ts';
import { ENV_DRY_RUN, ENV_PROXY_UID } from './proxy-init-config.ts';

const NFT = ['iptables-nft-save', 'iptables-nft-restore', 'ip6tables-nft-save', 'ip6tables-nft-restore', 'nsenter'];

async function run(
  argv: string[],
  env: Record<string, string> = {},
  deps: Partial<ProxyInitDeps> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const ctx: CommandContext = {
    argv,
    env,
    stdout,
    stderr,
    signal: new AbortController().signal,
    program: 'nodemesh',
    cwd: '/',
    self: ['node'],
  };
  const code = await runProxyInit(ctx, deps);
  return { code, stdout: out, stderr: err };
}

/** Dependencies that fail the test if anything is executed. */
const NO_EXEC: Partial<ProxyInitDeps> = {
  exec: () => Promise.reject(new Error('dry run must not execute anything')),
  which: () => Promise.reject(new Error('dry run must not look for binaries')),
};

describe('runProxyInit', () => {
  test('--dry-run prints iptables-restore input for each family and runs nothing', async () => {
    const result = await run(['--dry-run', '--ipv6', '--subnets-to-ignore', '10.0.0.0/8,fd00::/8'], {}, NO_EXEC);
    assert.equal(result.code, 0);
    assert.equal(result.stderr, '');
    const out = result.stdout;
    assert.match(out, /^# nodemesh proxy-init --dry-run: nothing was changed\./);
    assert.match(
      out,
      /# ipv4 \(iptables-restore\)\n\*nat\n:PROXY_INIT_REDIRECT - \[0:0\]\n:PROXY_INIT_OUTPUT - \[0:0\]\n/,
    );
    assert.match(out, /# ipv6 \(ip6tables-restore\)\n\*nat\n/);
    assert.equal(out.match(/^COMMIT$/gm)?.length, 2);
    assert.equal(out.match(/ignore-subnet-10\.0\.0\.0\/8"/g)?.length, 1);
    assert.equal(out.match(/ignore-subnet-fd00::\/8"/g)?.length, 1);
    assert.equal(out.match(/-j REDIRECT --to-ports 4140$/gm)?.length, 2);
  });

  test('dry run can be asked for through the environment', async () => {
    const result = await run([], { [ENV_DRY_RUN]: 'true', [ENV_PROXY_UID]: '1234' }, NO_EXEC);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /--uid-owner 1234 /);
  });

  test('an unknown flag is a usage error', async () => {
    const err = await catchRejection(() => run(['--redirect-everything'], {}, NO_EXEC), UsageError);
    assert.match(err.message, /^proxy-init: Unknown option '--redirect-everything'/);
    await catchRejection(() => run(['extra'], {}, NO_EXEC), UsageError);
  });

  test('bad values print one error naming each and return 1', async () => {
    const result = await run(
      ['--incoming-proxy-port', 'x', '--proxy-uid=-5', '--iptables-mode', 'ebpf', '--dry-run'],
      {},
      NO_EXEC,
    );
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^error \[MESH_ERR_CONFIG\]: nodemesh proxy-init: 3 invalid settings:\n/);
    for (const flag of ['--incoming-proxy-port', '--proxy-uid', '--iptables-mode'])
      assert.ok(result.stderr.includes(flag));
  });

  test('applies the rules inside the namespace for both families and reports what it did', async () => {
    const fake = new FakeIptables();
    const deps = { exec: fake.exec, which: fakeWhich(NFT) };
    const first = await run(['--ipv6', '--netns', '/run/netns/pod'], {}, deps);
    assert.equal(first.stderr, '');
    assert.equal(first.code, 0);
    assert.match(first.stdout, /proxy-init: iptables backend nft \(mode auto\)\n/);
    assert.match(
      first.stdout,
      /proxy-init: running \/usr\/sbin\/nsenter --net=\/run\/netns\/pod -- \/usr\/sbin\/iptables-nft-restore --noflush --wait=10\n/,
    );
    assert.match(
      first.stdout,
      /proxy-init: ipv4: created PROXY_INIT_REDIRECT, PROXY_INIT_OUTPUT; 5 rules; added jumps PREROUTING -> PROXY_INIT_REDIRECT, OUTPUT -> PROXY_INIT_OUTPUT\n/,
    );
    assert.match(first.stdout, /proxy-init: ipv6: created/);
    const v4 = fake.save('iptables-nft');
    const v6 = fake.save('ip6tables-nft');

    const second = await run(['--ipv6', '--netns', '/run/netns/pod'], {}, deps);
    assert.equal(second.code, 0);
    assert.match(
      second.stdout,
      /ipv4: flushed and rewrote PROXY_INIT_REDIRECT, PROXY_INIT_OUTPUT; 5 rules; jumps already present/,
    );
    assert.equal(fake.save('iptables-nft'), v4);
    assert.equal(fake.save('ip6tables-nft'), v6);
  });

  test('a failing command prints its code, command line and stderr, and returns 1', async () => {
    const fake = new FakeIptables();
    fake.failNext(/iptables-nft-restore/, {
      code: 4,
      stderr:
        'iptables-nft-restore v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)',
    });
    const result = await run([], {}, { exec: fake.exec, which: fakeWhich(NFT) });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^error \[MESH_ERR_FIREWALL_PERMISSION\]: \/usr\/sbin\/iptables-nft-restore --noflush --wait=10 was not permitted \(exited 4\): .*\nproxy-init needs the NET_ADMIN and NET_RAW capabilities/,
    );
  });

  test('no iptables on PATH fails with the binaries it looked for', async () => {
    const result = await run([], { PATH: '/nonexistent' });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^error \[MESH_ERR_FIREWALL_BINARY_MISSING\]: no iptables found on PATH \(looked for iptables-nft-save/,
    );
  });
});
