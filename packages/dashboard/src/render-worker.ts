// The worker thread that turns a DashboardStatus into the live page's <main> fragment (charts
// rendered to SVG by vega, tables): the rendering costs tens of ms, so it never runs on the
// event loop that trains (the coordinator's, or `recur train`'s).
import { parentPort } from 'node:worker_threads';
import { LiveChartRenderer } from './charts.js';
import { liveFragment } from './page.js';
import type { DashboardStatus } from './schema.js';

export interface RenderRequest {
  id: number;
  status: DashboardStatus;
}

export interface RenderReply {
  id: number;
  html: string;
}

const charts = new LiveChartRenderer();

async function render({ id, status }: RenderRequest): Promise<RenderReply> {
  try {
    return { id, html: liveFragment(status, await charts.render(status)) };
  } catch (error) {
    // the tables still show; the charts say why they are missing
    const why = (error as Error).message.replace(/[<>&]/g, ' ');
    return { id, html: `${liveFragment(status, [])}<p>charts failed: ${why}</p>` };
  }
}

parentPort?.on('message', (request: RenderRequest) => {
  void render(request).then((reply) => parentPort?.postMessage(reply));
});
