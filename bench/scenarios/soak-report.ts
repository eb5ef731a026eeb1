// The soak's result as Markdown: memory per process (warm-up end, end, slope, verdict), an RSS
// timeline per minute, the traffic and its errors by kind, renewals, the rotation and the churn.

import type { SoakProcessResult, SoakResult } from './soak.ts';

/** A process whose RSS grows faster than this after the warm-up is called growing, not flat. */
export const GROWING_MB_PER_MIN = 0.5;

export function soakVerdict(p: SoakProcessResult): string {
  if (!Number.isFinite(p.rssSlopeMbPerMin)) return 'not measured';
  return p.rssSlopeMbPerMin > GROWING_MB_PER_MIN ? '**grows**' : 'flat';
}

export function soakMarkdown(r: SoakResult): string {
  const f = (n: number, d = 1): string => (Number.isFinite(n) ? n.toFixed(d) : '–');
  const t = r.traffic;
  const minutes = r.durationS / 60;
  const rows = r.processes.map(
    (p) =>
      `| ${p.name} | ${f(p.rssAtWarmupMb)} | ${f(p.rssEndMb)} | ${f(p.rssMaxMb)} | ${f(p.rssSlopeMbPerMin, 2)} | ${f(p.heapAtWarmupMb)} → ${f(p.heapEndMb)} | ${f(p.heapSlopeMbPerMin, 2)} | ${f(p.cpuSeconds)} (${f(p.cpuSeconds / r.durationS, 3)}) | ${soakVerdict(p)} |`,
  );
  const timelineAt = [...new Set(r.processes.flatMap((p) => p.series.map((s) => Math.floor(s.t / 60))))].sort(
    (a, b) => a - b,
  );
  const atMinute = (p: SoakProcessResult, m: number): string => f(p.series.find((s) => s.t >= m * 60)?.rssMb ?? NaN, 0);
  const timeline = r.processes
    .filter((p) => !p.name.endsWith('-app') && !p.name.startsWith('demo'))
    .map((p) => `| ${p.name} | ${timelineAt.map((m) => atMinute(p, m)).join(' | ')} |`);
  const errors = Object.entries(t.errorsByKind).sort((a, b) => b[1] - a[1]);
  const renewals = Object.entries(r.renewals);
  const nodemesh = `nodemesh commit ${r.nodemesh.commit.slice(0, 12)}${r.nodemesh.dirty === true ? ' with uncommitted changes' : ''}`;
  return [
    `${f(minutes, 1)} minutes (warm-up ${r.warmupS} s, RSS sampled every ${r.sampleIntervalS} s from /proc/<pid>/status VmRSS; heap = nodejs_heap_size_used_bytes from /metrics); ${nodemesh}.${r.stoppedEarly === undefined ? '' : ` **Stopped early: ${r.stoppedEarly}**`}`,
    '',
    `| process | RSS at warm-up end MB | RSS at end MB | max after warm-up MB | RSS slope MB/min | heap MB | heap slope MB/min | CPU s (cores) | RSS after warm-up (slope > ${GROWING_MB_PER_MIN} MB/min = grows) |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'RSS (MB) at each minute:',
    '',
    `| process | ${timelineAt.map((m) => `${m} min`).join(' | ')} |`,
    `| --- | ${timelineAt.map(() => '---').join(' | ')} |`,
    ...timeline,
    '',
    `Traffic into front-0's outbound listener (besides the demo's own traffic app), ${t.totalRequests} requests, ${t.totalErrors} errors, ${t.h2Sessions} HTTP/2 sessions:`,
    '',
    '| mix | rate/s | sent | ok | intended 503 (POST /orders) | errors | skipped (too many in flight) | p50 ms | p99 ms | max ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...t.mixes.map(
      (m) =>
        `| ${m.mix} | ${m.ratePerSecond} | ${m.sent} | ${m.ok} | ${m.intendedFailures} | ${m.errors} | ${m.skipped} | ${f(m.latency.p50Ms, 1)} | ${f(m.latency.p99Ms, 1)} | ${f(m.latency.maxMs, 1)} |`,
    ),
    '',
    errors.length === 0
      ? 'Errors by kind: none.'
      : `Errors by kind: ${errors.map(([k, n]) => `${k} × ${n}`).join('; ')}. First at: ${t.firstErrors
          .slice(0, 10)
          .map((e) => `${e.atS} s (${e.mix}: ${e.kind})`)
          .join(', ')}.`,
    '',
    `Certificate renewals (identity_cert_refresh_count, NODEMESH_PROXY_IDENTITY_MAX_REFRESH=${r.options.maxRefresh}): ${renewals.map(([p, n]) => `${p} ${n.refreshes} (${n.failures} failed)`).join(', ')}. Identity issued ${r.identity.issued} certificates, refused ${r.identity.refused}.`,
    r.rotation.atS === undefined
      ? 'Issuer rotation: not reached.'
      : `Issuer rotation (\`nodemesh identity issuer --force\` into the issuer folder) at ${r.rotation.atS} s: ${r.rotation.error === undefined ? `loaded by identity after ${r.rotation.loadedAfterS ?? '(not seen within 20 s)'} s (issuer reloads: ${r.identity.issuerReloads}); ${r.rotation.renewalsAfter} proxy renewals after it` : `failed: ${r.rotation.error}`}.`,
    `Endpoint churn every ${r.churn.intervalS} s: ${r.churn.steps} changes of the web and grpc EndpointSlices (${r.churn.endpointsRemoved} endpoints removed, ${r.churn.endpointsAdded} added). Answers by web replica: ${Object.entries(
      r.churn.servedBy,
    )
      .map(([k, n]) => `${k} ${n}`)
      .join(
        ', ',
      )}; answered by a replica more than 3 s after it left the EndpointSlice: ${r.churn.servedByRemovedAfter3s}.`,
  ].join('\n');
}
