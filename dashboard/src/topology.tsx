// The topology: workloads as boxes in columns by call depth (callers left, callees right), edges as
// arrows coloured by their mTLS share. Laid out deterministically: the same workloads and edges
// always give the same picture (columns by longest call chain, names sorted within a column).

import { edgeKey, type EdgeView, type WorkloadView } from './api.ts';
import { mtlsClass, percent, rate } from './format.ts';

const NODE_W = 132;
const NODE_H = 34;
const COL_GAP = 190;
const ROW_GAP = 22;
const PAD = 16;

interface Node {
  readonly name: string;
  readonly known: boolean;
  readonly col: number;
  readonly row: number;
}

/** Columns by the longest chain of callers leading to each node (cycles cut at the first revisit). */
export function layout(names: readonly string[], edges: readonly EdgeView[]): Node[] {
  const all = new Set(names);
  for (const e of edges) all.add(nodeName(e, 'src')).add(nodeName(e, 'dst'));
  const callers = new Map<string, Set<string>>();
  for (const e of edges) {
    const src = nodeName(e, 'src');
    const dst = nodeName(e, 'dst');
    if (src === dst) continue;
    callers.set(dst, (callers.get(dst) ?? new Set()).add(src));
  }
  const depth = new Map<string, number>();
  const depthOf = (n: string, path: Set<string>): number => {
    const known = depth.get(n);
    if (known !== undefined) return known;
    let d = 0;
    for (const c of callers.get(n) ?? []) if (!path.has(c)) d = Math.max(d, depthOf(c, new Set([...path, n])) + 1);
    depth.set(n, d);
    return d;
  };
  const sorted = [...all].sort();
  const rows = new Map<number, number>();
  return sorted.map((name) => {
    const col = depthOf(name, new Set([name]));
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    return { name, known: names.includes(name), col, row };
  });
}

function nodeName(e: EdgeView, end: 'src' | 'dst'): string {
  if (end === 'dst') return e.dst;
  return !e.srcKnown && e.srcId !== null ? `${e.src} (${e.srcId.split('.')[0] ?? ''})` : e.src;
}

export function Topology({ workloads, edges }: { workloads: readonly WorkloadView[]; edges: readonly EdgeView[] }) {
  const nodes = layout(
    workloads.map((w) => w.workload),
    edges,
  );
  if (nodes.length === 0) return <p class="muted">no workloads</p>;
  const cols = Math.max(...nodes.map((n) => n.col)) + 1;
  const rows = Math.max(...nodes.map((n) => n.row)) + 1;
  const width = PAD * 2 + cols * NODE_W + (cols - 1) * COL_GAP;
  const height = PAD * 2 + rows * NODE_H + (rows - 1) * ROW_GAP + 14;
  const at = new Map(
    nodes.map((n) => [n.name, { x: PAD + n.col * (NODE_W + COL_GAP), y: PAD + 14 + n.row * (NODE_H + ROW_GAP) }]),
  );
  const status = new Map(workloads.map((w) => [w.workload, w.status]));
  return (
    <svg class="topology" viewBox={`0 0 ${width} ${height}`} width={width} height={height} data-testid="topology">
      <defs>
        {(['full', 'partial', 'none', 'unknown'] as const).map((c) => (
          <marker
            key={c}
            id={`arrow-${c}`}
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" class={`arrowhead ${c}`} />
          </marker>
        ))}
      </defs>
      {edges.map((e) => {
        const a = at.get(nodeName(e, 'src'));
        const b = at.get(nodeName(e, 'dst'));
        if (a === undefined || b === undefined || a === b) return null;
        const x1 = a.x + NODE_W;
        const y1 = a.y + NODE_H / 2;
        const x2 = b.x;
        const y2 = b.y + NODE_H / 2;
        const back = x2 <= x1;
        const mid = (x1 + x2) / 2;
        const d = back
          ? `M${a.x + NODE_W / 2},${a.y + NODE_H} C${a.x + NODE_W / 2},${a.y + NODE_H + 40} ${b.x + NODE_W / 2},${b.y + NODE_H + 40} ${b.x + NODE_W / 2},${b.y + NODE_H}`
          : `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`;
        const cls = mtlsClass(e.mtlsShare);
        const key = edgeKey(e);
        return (
          <g key={key} data-testid={`topology-edge-${key}`}>
            <path d={d} class={`edge ${cls}`} marker-end={`url(#arrow-${cls})`}>
              <title>{`${e.src} → ${e.dst}: ${rate(e.requestsPerSecond)} rps, mTLS ${percent(e.mtlsShare)}`}</title>
            </path>
            {!back && (
              <text x={x2 - 10} y={y2 - 7} class="edge-label" text-anchor="end">
                {`${rate(e.requestsPerSecond)} rps · mTLS ${percent(e.mtlsShare)}`}
              </text>
            )}
          </g>
        );
      })}
      {nodes.map((n) => {
        const p = at.get(n.name);
        if (p === undefined) return null;
        const st = status.get(n.name);
        return (
          <g key={n.name} data-testid={`topology-node-${n.name}`}>
            <rect
              x={p.x}
              y={p.y}
              width={NODE_W}
              height={NODE_H}
              rx="6"
              class={`node ${n.known ? 'meshed' : 'outside'} ${st ?? ''}`}
            />
            <text x={p.x + NODE_W / 2} y={p.y + NODE_H / 2 + 4} text-anchor="middle" class="node-label">
              {n.name.length > 18 ? `${n.name.slice(0, 17)}…` : n.name}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
