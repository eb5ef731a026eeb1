// The dashboard end to end: a meshed pair with identity (test/support/identity-mesh.ts) under a
// traffic loop, `nodemesh dashboard` as a child process on a free loopback port, and the page
// driven in headless Debian Chromium (playwright-core). Checks that what the page shows is what the
// API computed for the same round, and — once traffic has stopped — that the request counters on
// the page equal the proxies' own /metrics exactly. Saves test-artifacts/dashboard.png.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { DashboardSnapshot } from '../../src/cli/dashboard/index.ts';
import { parsePrometheusText, sumSamples } from '../../src/metrics/index.ts';
import { FRONT_ID, WEB_ID, startIdentityMesh, type IdentityMesh } from '../support/identity-mesh.ts';
import { killAll, startDaemon, type Daemon } from '../support/processes.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const INTERVAL_MS = 500;

/** A traffic loop through front's proxy: one request at a time, every fifth answered 500; bounded. */
function trafficLoop(mesh: IdentityMesh): { stop: () => Promise<void>; sent: () => number } {
  let stopped = false;
  let sent = 0;
  const running = (async () => {
    for (let i = 0; i < 100_000 && !stopped; i++) {
      await mesh.call(i % 5 === 4 ? '/status?code=500' : `/items/${i}`);
      sent++;
      await sleep(5);
    }
  })();
  return {
    sent: () => sent,
    stop: async () => {
      stopped = true;
      await running;
    },
  };
}

/** Polls `check` (bounded) until it returns a value. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`, { cause: last });
}

/** The page's texts of `ids` and its round number, read in one go (one rendered state). */
async function readPage(page: Page, ids: readonly string[]): Promise<{ seq: number; values: Record<string, string> }> {
  return page.evaluate((testIds) => {
    // Runs in the page: the root tsconfig has no DOM types, so describe the little used of them.
    interface PageDocument {
      querySelector(selector: string): { readonly textContent: string | null } | null;
    }
    const doc = (globalThis as unknown as { document: PageDocument }).document;
    const text = (id: string): string => doc.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() ?? '<missing>';
    return {
      seq: Number(text('snapshot-seq')),
      values: Object.fromEntries(testIds.map((id) => [id, text(id)])),
    };
  }, ids);
}

async function counters(admin: string): Promise<{ inReq: number; outReq: number; inResp: number; outResp: number }> {
  const metrics = parsePrometheusText(await (await fetch(`${admin}/metrics`)).text());
  return {
    inReq: sumSamples(metrics, 'request_total', { direction: 'inbound' }),
    outReq: sumSamples(metrics, 'request_total', { direction: 'outbound' }),
    inResp: sumSamples(metrics, 'response_total', { direction: 'inbound' }),
    outResp: sumSamples(metrics, 'response_total', { direction: 'outbound' }),
  };
}

const percent = (v: number | null | undefined): string =>
  v === null || v === undefined ? '-' : `${(v * 100).toFixed(2)}%`;
const rate = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : v.toFixed(1));

describe('the dashboard in a browser', () => {
  let mesh: IdentityMesh | undefined;
  let dashboard: Daemon | undefined;
  let browser: Browser | undefined;

  after(async () => {
    await browser?.close();
    await dashboard?.stop();
    await mesh?.close();
    killAll();
  });

  test('shows the live mesh: topology, workloads, edges with identities and mTLS, and exact counters', async (t) => {
    if (!existsSync(CHROMIUM)) {
      t.skip(`${CHROMIUM} is not installed (apt-get install chromium); the browser test needs it`);
      return;
    }
    mesh = await startIdentityMesh();
    const traffic = trafficLoop(mesh);

    dashboard = startDaemon(
      ['dashboard', '--address', '127.0.0.1:0', '--interval', `${INTERVAL_MS}ms`, '--state-dir', mesh.stateDir],
      { NODEMESH_LOG_FORMAT: 'json' },
    );
    const d = dashboard;
    // The first start may build the page with Vite; the URL is printed once it listens.
    const url = await eventually(
      'the dashboard URL',
      () => {
        if (d.proc.exitCode !== null) throw new Error(`dashboard exited: ${d.output()}`);
        return Promise.resolve(/nodemesh dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(d.output())?.[1]);
      },
      120_000,
    );

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(url);

    const edge = 'edge-front->web';
    // Rounds go by until the edge has traffic in its window and a few chart points exist.
    await eventually('the edge front → web with traffic', async () => {
      const { seq, values } = await readPage(page, [`${edge}-mtls`, `${edge}-rps`]);
      return seq >= 6 && values[`${edge}-mtls`] === '100.00%' && values[`${edge}-rps`] !== '0.0' ? true : undefined;
    });

    // While traffic flows, the page shows exactly what the API computed for the same round.
    const ids = [
      `${edge}-rps`,
      `${edge}-success`,
      `${edge}-mtls`,
      'workload-web-inbound-rps',
      'workload-web-inbound-success',
      'workload-web-inbound-p99',
      'workload-web-inbound-mtls',
      'workload-front-outbound-mtls',
      'workload-front-outbound-rps',
      'workload-front-outbound-requests-total',
      'workload-web-inbound-requests-total',
    ];
    const matched = await eventually('a round read on the page and from the API alike', async () => {
      const shown = await readPage(page, ids);
      const api = (await (await fetch(`${url}api/snapshot`)).json()) as DashboardSnapshot;
      return api.seq === shown.seq ? { shown, api } : undefined;
    });
    const { shown, api } = matched;
    const apiEdge = api.edges.find((e) => e.src === 'front' && e.dst === 'web');
    const web = api.workloads.find((w) => w.workload === 'web');
    const front = api.workloads.find((w) => w.workload === 'front');
    assert.ok(apiEdge !== undefined && web?.inbound && front?.outbound && web.totals && front.totals);
    assert.equal(apiEdge.srcId, FRONT_ID);
    assert.equal(apiEdge.dstId, WEB_ID);
    assert.deepEqual(shown.values, {
      [`${edge}-rps`]: rate(apiEdge.requestsPerSecond),
      [`${edge}-success`]: percent(apiEdge.successRate),
      [`${edge}-mtls`]: percent(apiEdge.mtlsShare),
      'workload-web-inbound-rps': rate(web.inbound.requestsPerSecond),
      'workload-web-inbound-success': percent(web.inbound.successRate),
      'workload-web-inbound-p99': shown.values['workload-web-inbound-p99'],
      'workload-web-inbound-mtls': percent(web.inbound.tlsShare),
      'workload-front-outbound-mtls': percent(front.outbound.tlsShare),
      'workload-front-outbound-rps': rate(front.outbound.requestsPerSecond),
      'workload-front-outbound-requests-total': String(front.totals.outboundRequests),
      'workload-web-inbound-requests-total': String(web.totals.inboundRequests),
    });
    assert.match(shown.values['workload-web-inbound-p99'] ?? '', /^\d+(\.\d)?ms$/);
    assert.equal(web.inbound.tlsShare, 1);
    assert.equal(front.outbound.tlsShare, 1, 'front reached web over mTLS (outbound labels tls="true", server_id)');
    assert.ok(web.inbound.requestsPerSecond > 0);
    // Every fifth request fails: the success rate is below 1 but most succeed.
    assert.ok((web.inbound.successRate ?? 1) < 1 && (web.inbound.successRate ?? 0) > 0.5, `${web.inbound.successRate}`);
    assert.equal(await page.locator('[data-testid="topology-node-front"]').count(), 1);
    assert.equal(await page.locator('[data-testid="topology-node-web"]').count(), 1);
    assert.equal(await page.locator(`[data-testid="topology-${edge}"]`).count(), 1);
    assert.equal(await page.locator('[data-testid="chart-web-rps"] canvas').count(), 1);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    // Traffic stops; two server rounds later the page's counters are the proxies' own, exactly.
    await traffic.stop();
    assert.ok(traffic.sent() > 0);
    // The server's round number (the page may lag it by a round): the round after it may have
    // scraped before the traffic stopped, the one after that cannot have.
    const stoppedAt = ((await (await fetch(`${url}api/snapshot`)).json()) as DashboardSnapshot).seq;
    await eventually('two rounds after the traffic stopped', async () =>
      (await readPage(page, [])).seq >= stoppedAt + 2 ? true : undefined,
    );
    const final = await readPage(page, [
      'workload-front-outbound-requests-total',
      'workload-front-outbound-responses-total',
      'workload-web-inbound-requests-total',
      'workload-web-inbound-responses-total',
      `${edge}-rps`,
    ]);
    const frontMetrics = await counters(mesh.frontAdmin);
    const webMetrics = await counters(mesh.webAdmin);
    assert.equal(final.values['workload-front-outbound-requests-total'], String(frontMetrics.outReq));
    assert.equal(final.values['workload-front-outbound-responses-total'], String(frontMetrics.outResp));
    assert.equal(final.values['workload-web-inbound-requests-total'], String(webMetrics.inReq));
    assert.equal(final.values['workload-web-inbound-responses-total'], String(webMetrics.inResp));
    assert.equal(frontMetrics.outReq, traffic.sent());
    assert.equal(final.values[`${edge}-rps`], '0.0');

    // The page loaded nothing but its own origin, and threw nothing.
    const origin = new URL(url).origin;
    assert.deepEqual(
      requested.filter((r) => !r.startsWith(origin) && !r.startsWith('data:')),
      [],
    );
    assert.deepEqual(pageErrors, []);
  });
});
