// @recur/dashboard: the live page of a run (coordinator or local train); see README.md. The
// charts (vega) are @recur/dashboard/charts, loaded only by the rendering thread and the report.
export { LOOPBACK_HOSTS, type ServedDashboard, serveDashboard } from './listen.js';
export { duration, liveFragment, livePage } from './page.js';
export * from './schema.js';
export * from './server.js';
