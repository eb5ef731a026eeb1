// `nodemesh edges` on a real pair of proxies with identity (test/support/identity-mesh.ts): front's
// proxy calls web's over mTLS; a batch of requests, a quarter failing, sent inside the window.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { runEdges } from '../../src/cli/edges/edges-command.ts';
import { UsageError } from '../../src/errors/index.ts';
import { FRONT_ID, WEB_ID, startIdentityMesh, type IdentityMesh } from '../support/identity-mesh.ts';
import { runCommand } from '../../src/testing/index.ts';

async function edges(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCommand(runEdges, argv, { cwd });
}

interface JsonEdge {
  src: string;
  dst: string;
  srcId: string | null;
  dstId: string | null;
  requestsPerSecond: number;
  successRate: number | null;
  mtlsShare: number | null;
  requests: number;
  responses: number;
}

/** Sends 40 requests in a row, every fourth answered 500 by web's app. */
async function batch(mesh: IdentityMesh): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const status = await mesh.call(i % 4 === 3 ? '/status?code=500' : `/ok/${i}`);
    assert.equal(status, i % 4 === 3 ? 500 : 200);
  }
}

describe('nodemesh edges on two proxies with identity', () => {
  let mesh: IdentityMesh | undefined;
  let emptyDir: string;

  before(async () => {
    emptyDir = await mkdtemp(path.join(tmpdir(), 'nodemesh-edges-empty-'));
    mesh = await startIdentityMesh();
    await batch(mesh); // the edge exists before the window, so both identities are known
  });
  after(async () => {
    await mesh?.close();
    await rm(emptyDir, { recursive: true, force: true });
  });

  test('-o json pairs front → web with both identities, the window’s requests, success rate and full mTLS', async () => {
    assert.ok(mesh !== undefined);
    // The batch runs well inside the 4s window: it starts 1s after the first scrape was asked for.
    const running = edges(['--state-dir', mesh.stateDir, '--window', '4s', '-o', 'json'], emptyDir);
    await sleep(1000);
    await batch(mesh);
    const { code, stdout, stderr } = await running;
    assert.equal(code, 0, stderr);
    const parsed = JSON.parse(stdout) as { window: string; edges: JsonEdge[]; unreachable: unknown[] };
    assert.equal(parsed.window, '4s');
    assert.deepEqual(parsed.unreachable, []);
    assert.equal(parsed.edges.length, 1, stdout);
    const e = parsed.edges[0];
    assert.ok(e !== undefined);
    assert.equal(e.src, 'front');
    assert.equal(e.dst, 'web');
    assert.equal(e.srcId, FRONT_ID);
    assert.equal(e.dstId, WEB_ID);
    assert.equal(e.requests, 40);
    assert.equal(e.responses, 40);
    assert.equal(e.successRate, 0.75);
    assert.equal(e.mtlsShare, 1);
    assert.ok(e.requestsPerSecond > 0);
  });

  test('the table has one row per edge with identities, rate, success and mTLS', async () => {
    assert.ok(mesh !== undefined);
    const { code, stdout } = await edges(['--state-dir', mesh.stateDir, '--window', '200ms'], emptyDir);
    assert.equal(code, 0);
    const lines = stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^SRC\s+DST\s+SRC_ID\s+DST_ID\s+RPS\s+SUCCESS\s+MTLS$/);
    // No traffic in this window: the edge stays, with no success rate or mTLS share to show.
    assert.match(
      lines[1] ?? '',
      new RegExp(
        `^front\\s+web\\s+${FRONT_ID.replace(/\./g, '\\.')}\\s+${WEB_ID.replace(/\./g, '\\.')}\\s+0\\.0\\s+-\\s+-$`,
      ),
    );
  });

  test('without a running mesh it says so; bad flags are usage errors', async () => {
    const { code, stderr } = await edges([], emptyDir);
    assert.equal(code, 1);
    assert.match(stderr, /no local mesh is running/);
    await assert.rejects(edges(['--window', 'soon'], emptyDir), UsageError);
    await assert.rejects(edges(['-o', 'yaml'], emptyDir), UsageError);
  });
});
