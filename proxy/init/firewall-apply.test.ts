import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { catchRejection } from '../../src/testing/index.ts';
import { applyFirewallPlan } from './firewall-apply.ts';
import { FirewallCommandError, FirewallPermissionError } from './firewall-errors.ts';
import { createFirewallRunner } from './firewall-exec.ts';
import { FakeIptables } from './firewall-fake.ts';
import { buildFirewallPlan } from './firewall-rules.ts';
import { renderRuleLine } from './firewall-text.ts';
import { parseProxyInitConfig } from './proxy-init-config.ts';

const BINARIES = { save: '/usr/sbin/iptables-nft-save', restore: '/usr/sbin/iptables-nft-restore' };
const plan = buildFirewallPlan(parseProxyInitConfig({}, { 'outbound-ports-to-ignore': '443' }), 'ipv4');

function setup(): { fake: FakeIptables; run: ReturnType<typeof createFirewallRunner> } {
  const fake = new FakeIptables();
  return { fake, run: createFirewallRunner({ exec: fake.exec }) };
}

describe('applyFirewallPlan', () => {
  test('on an empty table: creates both chains, writes the rules and both jumps in one restore', async () => {
    const { fake, run } = setup();
    const report = await applyFirewallPlan(plan, BINARIES, run);
    assert.deepEqual(report.created, ['PROXY_INIT_REDIRECT', 'PROXY_INIT_OUTPUT']);
    assert.deepEqual(report.flushed, []);
    assert.equal(report.addedJumps.length, 2);
    assert.equal(report.rules, plan.rules.length);
    assert.deepEqual(
      fake.calls.map((c) => [c.file, ...c.args].join(' ')),
      [
        '/usr/sbin/iptables-nft-save -t nat',
        '/usr/sbin/iptables-nft-restore --noflush --wait=10',
        '/usr/sbin/iptables-nft-save -t nat',
      ],
    );
    const saved = fake.save('iptables-nft');
    assert.equal(report.saved, saved);
    for (const r of [...plan.rules, ...plan.jumps])
      assert.ok(saved.includes(`${renderRuleLine(r)}\n`), renderRuleLine(r));
  });

  test('twice: flushes and rewrites the chains, adds no jump twice, and leaves the same table', async () => {
    const { fake, run } = setup();
    await applyFirewallPlan(plan, BINARIES, run);
    const first = fake.save('iptables-nft');
    const second = await applyFirewallPlan(plan, BINARIES, run);
    assert.equal(fake.save('iptables-nft'), first);
    assert.deepEqual(second.created, []);
    assert.deepEqual(second.flushed, ['PROXY_INIT_REDIRECT', 'PROXY_INIT_OUTPUT']);
    assert.deepEqual(second.addedJumps, []);
    assert.equal(second.keptJumps.length, 2);
    const restore = fake.calls.filter((c) => c.file.endsWith('-restore')).at(-1);
    assert.ok(restore?.input !== undefined && !restore.input.includes('-A PREROUTING'));
  });

  test('a changed config replaces the old rules in our chains', async () => {
    const { fake, run } = setup();
    await applyFirewallPlan(plan, BINARIES, run);
    const other = buildFirewallPlan(parseProxyInitConfig({}, { 'outgoing-proxy-port': '5140' }), 'ipv4');
    await applyFirewallPlan(other, BINARIES, run);
    const saved = fake.save('iptables-nft');
    assert.ok(saved.includes('--to-ports 5140') && !saved.includes('--to-ports 4140'));
    assert.ok(!saved.includes('ignore-port-443'));
    assert.equal(saved.match(/-j PROXY_INIT_OUTPUT/g)?.length, 1);
  });

  test('keeps a jump written by Linkerd and other programs’ rules', async () => {
    const { fake, run } = setup();
    fake.seed(
      'iptables-nft',
      '-A PREROUTING -m comment --comment "proxy-init/install-proxy-init-prerouting/1700000000" -j PROXY_INIT_REDIRECT',
      'PROXY_INIT_REDIRECT',
    );
    fake.seed('iptables-nft', '-A KUBE-SERVICES -j RETURN', 'KUBE-SERVICES');
    const report = await applyFirewallPlan(plan, BINARIES, run);
    assert.deepEqual(report.flushed, ['PROXY_INIT_REDIRECT']);
    assert.deepEqual(
      report.addedJumps.map((j) => j.chain),
      ['OUTPUT'],
    );
    const saved = fake.save('iptables-nft');
    assert.ok(saved.includes('-A KUBE-SERVICES -j RETURN'));
    assert.equal(saved.match(/-j PROXY_INIT_REDIRECT/g)?.length, 1);
  });

  test('fails with the command and its stderr when restore fails', async () => {
    const { fake, run } = setup();
    fake.failNext(/-restore/, {
      code: 2,
      stderr: 'iptables-nft-restore: line 4 failed: No chain/target/match by that name.',
    });
    const err = await catchRejection(() => applyFirewallPlan(plan, BINARIES, run), FirewallCommandError);
    assert.equal(err.code, 'MESH_ERR_FIREWALL_COMMAND');
    assert.match(
      err.message,
      /^\/usr\/sbin\/iptables-nft-restore --noflush --wait=10 exited 2: iptables-nft-restore: line 4 failed/,
    );
  });

  test('refuses to report success when a jump is still missing afterwards', async () => {
    const fake = new FakeIptables();
    let saves = 0;
    const run = createFirewallRunner({
      exec: async (req) => {
        // The second save comes back empty, as if someone flushed the table in between.
        if (req.file.endsWith('-save') && ++saves === 2)
          return { code: 0, signal: null, timedOut: false, stdout: '*nat\nCOMMIT\n', stderr: '' };
        return fake.exec(req);
      },
    });
    const err = await catchRejection(() => applyFirewallPlan(plan, BINARIES, run), FirewallCommandError);
    assert.match(err.message, /does not show -A PREROUTING .* and -A OUTPUT/);
  });

  test('reports a refusal by the kernel as a permission error naming NET_ADMIN and NET_RAW', async () => {
    const { fake, run } = setup();
    fake.failNext(/-save/, {
      code: 4,
      stderr:
        'iptables-nft-save v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n',
    });
    const err = await catchRejection(() => applyFirewallPlan(plan, BINARIES, run), FirewallPermissionError);
    assert.match(
      err.message,
      /^\/usr\/sbin\/iptables-nft-save -t nat was not permitted \(exited 4\): .*you must be root/,
    );
    assert.match(err.message, /NET_ADMIN and NET_RAW/);
  });
});
