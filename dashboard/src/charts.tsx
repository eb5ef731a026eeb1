// Live charts per workload (uPlot): requests per second, success rate and p99 latency over the
// history the server keeps, inbound and outbound as two series.

import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { HistoryPoint } from './api.ts';

type Metric = 'rps' | 'success' | 'p99';
const METRICS: readonly { key: Metric; title: string; unit: string }[] = [
  { key: 'rps', title: 'requests / s', unit: '' },
  { key: 'success', title: 'success %', unit: '%' },
  { key: 'p99', title: 'p99 latency ms', unit: 'ms' },
];

function series(history: readonly HistoryPoint[], workload: string, metric: Metric): uPlot.AlignedData {
  const t = history.map((h) => h.t);
  const pick = (dir: 'In' | 'Out') =>
    history.map((h) => {
      const w = h.workloads[workload];
      if (w === undefined) return null;
      const v = metric === 'rps' ? w[`rps${dir}`] : metric === 'success' ? w[`success${dir}`] : w[`p99${dir}`];
      return v === null ? null : metric === 'success' ? v * 100 : v;
    });
  return [t, pick('In'), pick('Out')];
}

function Chart({
  history,
  workload,
  metric,
}: {
  history: readonly HistoryPoint[];
  workload: string;
  metric: (typeof METRICS)[number];
}) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = series(history, workload, metric.key);

  useEffect(() => {
    if (el.current === null) return;
    const opts: uPlot.Options = {
      width: 300,
      height: 130,
      title: metric.title,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: true }, ...(metric.key === 'success' ? { y: { range: [0, 100] } } : {}) },
      axes: [
        { stroke: '#8a93a6', grid: { stroke: '#eef0f4' }, size: 28, font: '10px system-ui, sans-serif' },
        { stroke: '#8a93a6', grid: { stroke: '#eef0f4' }, size: 40, font: '10px system-ui, sans-serif' },
      ],
      series: [
        {},
        { label: 'inbound', stroke: '#2563eb', width: 1.5, spanGaps: false },
        { label: 'outbound', stroke: '#d97706', width: 1.5, spanGaps: false },
      ],
    };
    plot.current = new uPlot(opts, data, el.current);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
    // The chart is made once per workload and metric; data updates go through setData below.
  }, [workload, metric.key]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return <div ref={el} class="chart" data-testid={`chart-${workload}-${metric.key}`} />;
}

export function WorkloadCharts({
  history,
  workloads,
}: {
  history: readonly HistoryPoint[];
  workloads: readonly string[];
}) {
  if (history.length === 0) return <p class="muted">no history yet</p>;
  return (
    <div>
      <div class="legend small">
        <span class="swatch in" /> inbound <span class="swatch out" /> outbound
      </div>
      {workloads.map((w) => (
        <div key={w} class="chart-row">
          <div class="chart-name">
            <b>{w}</b>
          </div>
          {METRICS.map((m) => (
            <Chart key={m.key} history={history} workload={w} metric={m} />
          ))}
        </div>
      ))}
    </div>
  );
}
