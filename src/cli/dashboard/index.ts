// Public surface of src/cli/dashboard: the server pieces the demo and tests start in process.
export { runDashboard } from './dashboard-command.ts';
export { DashboardCollector, type DashboardCollectorDeps, type MeshView } from './dashboard-collector.ts';
export { DashboardServer } from './dashboard-server.ts';
export { ensureDashboardBuilt, DASHBOARD_ROOT, DashboardBuildError } from './dashboard-build.ts';
export { parseDashboardFlags, isLoopbackHost, DEFAULT_DASHBOARD_ADDRESS } from './dashboard-config.ts';
export type * from './dashboard-api.ts';
