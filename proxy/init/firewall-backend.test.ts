import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { catchRejection } from '../../src/testing/index.ts';
import { binaryNames, resolveBackend } from './firewall-backend.ts';
import { FirewallBinaryMissingError } from './firewall-errors.ts';
import { createFirewallRunner } from './firewall-exec.ts';
import { FakeIptables, fakeWhich } from './firewall-fake.ts';
import type { IptablesMode } from './proxy-init-config.ts';

const NFT = ['iptables-nft-save', 'iptables-nft-restore', 'ip6tables-nft-save', 'ip6tables-nft-restore'];
const LEGACY = ['iptables-legacy-save', 'iptables-legacy-restore', 'ip6tables-legacy-save', 'ip6tables-legacy-restore'];
const PLAIN = ['iptables-save', 'iptables-restore'];

describe('resolveBackend', () => {
  test('names the binaries of each backend and family', () => {
    assert.deepEqual(binaryNames('nft', 'ipv6'), { save: 'ip6tables-nft-save', restore: 'ip6tables-nft-restore' });
    assert.deepEqual(binaryNames('legacy', 'ipv4'), {
      save: 'iptables-legacy-save',
      restore: 'iptables-legacy-restore',
    });
    assert.deepEqual(binaryNames('default', 'ipv4'), { save: 'iptables-save', restore: 'iptables-restore' });
  });

  const cases: { name: string; mode: IptablesMode; installed: string[]; legacyRules?: number; want: string }[] = [
    { name: 'nft when asked for', mode: 'nft', installed: [...NFT, ...LEGACY], want: 'nft' },
    { name: 'legacy when asked for', mode: 'legacy', installed: [...NFT, ...LEGACY], want: 'legacy' },
    { name: 'auto: the only one installed (nft)', mode: 'auto', installed: NFT, want: 'nft' },
    { name: 'auto: the only one installed (legacy)', mode: 'auto', installed: LEGACY, want: 'legacy' },
    {
      name: 'auto: nft when both are installed and neither has rules',
      mode: 'auto',
      installed: [...NFT, ...LEGACY],
      want: 'nft',
    },
    {
      name: 'auto: legacy when both are installed and legacy holds more rules',
      mode: 'auto',
      installed: [...NFT, ...LEGACY],
      legacyRules: 3,
      want: 'legacy',
    },
    { name: 'auto: the plain binaries when no suffixed ones exist', mode: 'auto', installed: PLAIN, want: 'default' },
  ];
  for (const { name, mode, installed, legacyRules = 0, want } of cases) {
    test(name, async () => {
      const fake = new FakeIptables();
      for (let i = 0; i < legacyRules; i++) fake.seed('iptables-legacy', `-A OUTPUT -j RETURN`);
      const backend = await resolveBackend(mode, ['ipv4'], {
        which: fakeWhich(installed),
        run: createFirewallRunner({ exec: fake.exec }),
      });
      assert.equal(backend.name, want);
      assert.deepEqual(backend.binaries.ipv4, {
        save: `/usr/sbin/${binaryNames(backend.name, 'ipv4').save}`,
        restore: `/usr/sbin/${binaryNames(backend.name, 'ipv4').restore}`,
      });
    });
  }

  test('gives both families the same backend', async () => {
    const backend = await resolveBackend('nft', ['ipv4', 'ipv6'], {
      which: fakeWhich(NFT),
      run: createFirewallRunner({ exec: new FakeIptables().exec }),
    });
    assert.equal(backend.binaries.ipv6?.restore, '/usr/sbin/ip6tables-nft-restore');
  });

  const missing: { name: string; mode: IptablesMode; installed: string[]; ipv6?: boolean; message: RegExp }[] = [
    {
      name: 'nft asked for but only legacy installed',
      mode: 'nft',
      installed: LEGACY,
      message:
        /^iptables mode nft: iptables-nft-save, iptables-nft-restore not found on PATH; install iptables or --iptables-mode legacy$/,
    },
    {
      name: 'ip6tables missing with --ipv6',
      mode: 'legacy',
      installed: LEGACY.slice(0, 2),
      ipv6: true,
      message: /ip6tables-legacy-save, ip6tables-legacy-restore not found/,
    },
    {
      name: 'no iptables at all',
      mode: 'auto',
      installed: [],
      message:
        /^no iptables found on PATH \(looked for iptables-nft-save, iptables-nft-restore, iptables-legacy-save, .*iptables-restore\)/,
    },
  ];
  for (const { name, mode, installed, ipv6 = false, message } of missing) {
    test(`fails clearly: ${name}`, async () => {
      const err = await catchRejection(
        () =>
          resolveBackend(mode, ipv6 ? ['ipv4', 'ipv6'] : ['ipv4'], {
            which: fakeWhich(installed),
            run: createFirewallRunner({ exec: new FakeIptables().exec }),
          }),
        FirewallBinaryMissingError,
      );
      assert.equal(err.code, 'MESH_ERR_FIREWALL_BINARY_MISSING');
      assert.match(err.message, message);
    });
  }
});
