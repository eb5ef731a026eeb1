// Public surface of src/admin.
export { AdminServer, type AdminServerOptions, type AdminRoute, type Readiness } from './admin-server.ts';
