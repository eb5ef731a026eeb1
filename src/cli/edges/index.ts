// Public surface of src/cli/edges: the edge computation shared by `nodemesh edges` and the dashboard.
export { computeEdges, UNKNOWN, type Edge, type EdgeProxy } from './edges-math.ts';
export { edgeNameOf, edgeProxiesOf, edgeTargetsOf, proxyHost } from './edges-input.ts';
export { formatEdgesTable } from './edges-command.ts';
