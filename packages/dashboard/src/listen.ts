// A server of its own for the live page (`recur train --serve`): loopback only, so no token is
// needed (anyone who can reach it is on this machine; to watch from elsewhere, forward the port
// over ssh). Anything but GET /, /status, /events is a 404.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DashboardErrorCode } from './schema.js';
import { Dashboard, DashboardError, type DashboardOptions } from './server.js';

/** Hosts a dashboard may listen on by itself. */
export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'] as const;

export interface ServedDashboard {
  dashboard: Dashboard;
  /** http://host:port/ */
  url: string;
  close(): Promise<void>;
}

/** Listens on host:port (loopback only; port 0: any free one) and serves the dashboard. */
export async function serveDashboard(
  host: string,
  port: number,
  options: DashboardOptions,
): Promise<ServedDashboard> {
  if (!(LOOPBACK_HOSTS as readonly string[]).includes(host))
    throw new DashboardError(
      DashboardErrorCode.NOT_LOOPBACK,
      `the live page listens on loopback only (${LOOPBACK_HOSTS.join(', ')}), not '${host}'`,
    );
  const dashboard = new Dashboard(options);
  const server: Server = createServer((req, res) => {
    if (!dashboard.handle(req, res)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: GET /, /status or /events\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new DashboardError(
          DashboardErrorCode.LISTEN_FAILED,
          `the live page cannot listen on ${host}:${port}: ${error.code ?? error.message}`,
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    dashboard,
    url: `http://${shown}:${address.port}/`,
    close: async () => {
      dashboard.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
