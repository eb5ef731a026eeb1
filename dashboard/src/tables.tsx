// The page's tables. Every number carries a data-testid built from stable names (workload,
// direction, edge, route, split backend) so a test can read it.

import {
  edgeKey,
  type DirectionView,
  type EdgeView,
  type RouteView,
  type SplitView,
  type WorkloadView,
} from './api.ts';
import { count, millis, mtlsClass, percent, rate, shortId } from './format.ts';

const DIRECTIONS = ['inbound', 'outbound'] as const;

export function WorkloadsTable({ workloads }: { workloads: readonly WorkloadView[] }) {
  if (workloads.length === 0) return <p class="muted">no proxies in the mesh</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>workload</th>
          <th>direction</th>
          <th class="num">success</th>
          <th class="num">rps</th>
          <th class="num">p50</th>
          <th class="num">p95</th>
          <th class="num">p99</th>
          <th class="num">tcp</th>
          <th class="num">mTLS</th>
          <th class="num">requests</th>
          <th class="num">responses</th>
        </tr>
      </thead>
      <tbody>
        {workloads.flatMap((w) =>
          DIRECTIONS.map((d, i) => <WorkloadRow key={`${w.workload}-${d}`} w={w} direction={d} first={i === 0} />),
        )}
      </tbody>
    </table>
  );
}

function WorkloadRow({ w, direction, first }: { w: WorkloadView; direction: 'inbound' | 'outbound'; first: boolean }) {
  const s: DirectionView | null = w[direction];
  const id = `workload-${w.workload}-${direction}`;
  const totals = w.totals;
  const requests = totals === null ? null : direction === 'inbound' ? totals.inboundRequests : totals.outboundRequests;
  const responses =
    totals === null ? null : direction === 'inbound' ? totals.inboundResponses : totals.outboundResponses;
  return (
    <tr data-testid={`${id}-row`} class={first ? 'first' : ''}>
      <td>
        {first && (
          <>
            <b>{w.workload}</b>{' '}
            {w.status !== 'ok' && (
              <span class={`badge ${w.status}`} data-testid={`workload-${w.workload}-status`} title={w.error ?? ''}>
                {w.status}
              </span>
            )}
            <div class="muted small">{shortId(w.identity)}</div>
          </>
        )}
      </td>
      <td class="muted">{direction}</td>
      <td class="num" data-testid={`${id}-success`}>
        {percent(s?.successRate)}
      </td>
      <td class="num" data-testid={`${id}-rps`}>
        {rate(s?.requestsPerSecond)}
      </td>
      <td class="num" data-testid={`${id}-p50`}>
        {millis(s?.latencyMsP50)}
      </td>
      <td class="num" data-testid={`${id}-p95`}>
        {millis(s?.latencyMsP95)}
      </td>
      <td class="num" data-testid={`${id}-p99`}>
        {millis(s?.latencyMsP99)}
      </td>
      <td class="num" data-testid={`${id}-tcp`}>
        {count(s?.tcpOpenConnections)}
      </td>
      <td class="num" data-testid={`${id}-mtls`}>
        {percent(s?.tlsShare)}
      </td>
      <td class="num" data-testid={`${id}-requests-total`}>
        {count(requests)}
      </td>
      <td class="num" data-testid={`${id}-responses-total`}>
        {count(responses)}
      </td>
    </tr>
  );
}

export function EdgesTable({ edges }: { edges: readonly EdgeView[] }) {
  if (edges.length === 0) return <p class="muted">no edges yet: no proxy has counted a request</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>src</th>
          <th>dst</th>
          <th>src id</th>
          <th>dst id</th>
          <th class="num">rps</th>
          <th class="num">success</th>
          <th class="num">mTLS</th>
        </tr>
      </thead>
      <tbody>
        {edges.map((e) => {
          const id = `edge-${edgeKey(e)}`;
          return (
            <tr key={id} data-testid={`${id}-row`}>
              <td>{e.src}</td>
              <td>{e.dst}</td>
              <td class="small" title={e.srcId ?? 'not seen by the destination'} data-testid={`${id}-src-id`}>
                {shortId(e.srcId)}
              </td>
              <td class="small" title={e.dstId ?? 'unknown'} data-testid={`${id}-dst-id`}>
                {shortId(e.dstId)}
              </td>
              <td class="num" data-testid={`${id}-rps`}>
                {rate(e.requestsPerSecond)}
              </td>
              <td class="num" data-testid={`${id}-success`}>
                {percent(e.successRate)}
              </td>
              <td class="num">
                <span class={`mtls ${mtlsClass(e.mtlsShare)}`} data-testid={`${id}-mtls`}>
                  {percent(e.mtlsShare)}
                </span>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function RoutesTable({ routes }: { routes: readonly RouteView[] }) {
  if (routes.length === 0) return <p class="muted">no route metrics yet</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>workload</th>
          <th>service</th>
          <th>route</th>
          <th class="num">success</th>
          <th class="num">rps</th>
          <th class="num">actual rps</th>
          <th class="num">p50</th>
          <th class="num">p95</th>
          <th class="num">p99</th>
        </tr>
      </thead>
      <tbody>
        {routes.map((r) => {
          const id = `route-${r.workload}-${r.service}-${r.route}`;
          return (
            <tr key={id} data-testid={`${id}-row`}>
              <td>{r.workload}</td>
              <td class="small">{r.service}</td>
              <td>{r.route}</td>
              <td class="num" data-testid={`${id}-success`}>
                {percent(r.successRate)}
              </td>
              <td class="num" data-testid={`${id}-rps`}>
                {rate(r.requestsPerSecond)}
              </td>
              <td class="num" data-testid={`${id}-actual-rps`}>
                {rate(r.actualRequestsPerSecond)}
              </td>
              <td class="num" data-testid={`${id}-p50`}>
                {millis(r.latencyMsP50)}
              </td>
              <td class="num" data-testid={`${id}-p95`}>
                {millis(r.latencyMsP95)}
              </td>
              <td class="num" data-testid={`${id}-p99`}>
                {millis(r.latencyMsP99)}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function SplitsTable({ splits }: { splits: readonly SplitView[] }) {
  if (splits.length === 0) return <p class="muted">no traffic split: every caller reaches one backend per service</p>;
  return (
    <div>
      {splits.map((s) => (
        <div key={`${s.source}-${s.apex}`} class="split" data-testid={`split-${s.apex}`}>
          <div class="small">
            <b>{s.apex}</b>{' '}
            <span class="muted">({s.source === 'gateway' ? 'Gateway API route' : 'ServiceProfile'})</span>
          </div>
          {s.backends.map((b) => {
            const id = `split-${s.apex}-${b.backend}`;
            return (
              <div key={b.backend} class="split-row">
                <span class="split-name">{b.backend}</span>
                <span class="bar" title="measured share in the window">
                  <span class="fill" style={{ width: `${((b.share ?? 0) * 100).toFixed(1)}%` }} />
                  {b.configuredShare !== null && (
                    <span class="target" style={{ left: `${(b.configuredShare * 100).toFixed(1)}%` }} />
                  )}
                </span>
                <span class="num" data-testid={`${id}-share`}>
                  {percent(b.share)}
                </span>
                <span class="num muted" data-testid={`${id}-configured`}>
                  {b.configuredShare === null ? 'no weight' : `weight ${percent(b.configuredShare)}`}
                </span>
                <span class="num muted" data-testid={`${id}-total`}>
                  {count(b.total)}
                </span>
              </div>
            );
          })}
        </div>
      ))}
    </div>
  );
}
