// The live page's HTTP side, for any node:http server: GET / (the page), GET /status (the JSON)
// and GET /events (server-sent events, one rendered <main> per update). Built off the hot
// path: the snapshot is taken at most once per refreshMs, rendered in a worker thread
// (render-worker.ts; a render that took r ms waits 2r before the next), and written to every stream without waiting; a stream with more than
// maxQueuedBytes unsent skips updates, and past maxStreams a new stream gets HTTP 503. Who may
// ask is the caller's business (the coordinator checks its token first; `recur train --serve`
// listens on loopback only).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Worker } from 'node:worker_threads';
import { liveFragment, livePage } from './page.js';
import type { RenderReply } from './render-worker.js';
import { DASHBOARD_LIMITS, DashboardErrorCode, type DashboardStatus } from './schema.js';

export interface DashboardOptions {
  /** the numbers now (called at most once per refreshMs) */
  snapshot: () => DashboardStatus;
  /** open event streams at once; default DASHBOARD_LIMITS.maxStreams (16) */
  maxStreams?: number;
  /** the page and JSON are rebuilt at most this often (ms); default 1000 */
  refreshMs?: number;
  /** unsent bytes past which a slow stream skips updates; default 1 MiB */
  maxQueuedBytes?: number;
}

export class DashboardError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DashboardError';
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1)
    throw new DashboardError(DashboardErrorCode.BAD_OPTION, `dashboard: ${name} must be a positive integer`);
  return value;
}

export class Dashboard {
  /** updates a slow stream skipped (its queue was past maxQueuedBytes) */
  skipped = 0;
  private readonly maxStreams: number;
  private readonly refreshMs: number;
  private readonly maxQueuedBytes: number;
  private readonly streams = new Set<ServerResponse>();
  private snapshotCache: { at: number; status: DashboardStatus } | null = null;
  private fragmentCache: { at: number; html: string } | null = null;
  private rendering: Promise<string> | null = null;
  /** no render starts before this (performance.now()): the renderer's duty stays ≤ 1/3 */
  private renderNotBefore = 0;
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, (html: string) => void>();
  private nextId = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly o: DashboardOptions) {
    this.maxStreams = positive('maxStreams', o.maxStreams, DASHBOARD_LIMITS.maxStreams);
    this.refreshMs = positive('refreshMs', o.refreshMs, DASHBOARD_LIMITS.refreshMs);
    this.maxQueuedBytes = positive('maxQueuedBytes', o.maxQueuedBytes, DASHBOARD_LIMITS.maxQueuedBytes);
    this.timer = setInterval(() => this.push(), this.refreshMs).unref();
  }

  /** Open event streams. */
  get openStreams(): number {
    return this.streams.size;
  }

  /** The numbers, at most refreshMs old. */
  status(): DashboardStatus {
    const now = performance.now();
    if (this.snapshotCache === null || now - this.snapshotCache.at >= this.refreshMs)
      this.snapshotCache = { at: now, status: this.o.snapshot() };
    return this.snapshotCache.status;
  }

  /** Answers GET /, /status and /events; false for any other request (the caller's). */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'GET') return false;
    const path = new URL(req.url ?? '/', 'http://host').pathname;
    if (path === '/status') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(this.status()));
    } else if (path === '/') {
      void this.fragment().then((html) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(livePage(this.status(), html));
      });
    } else if (path === '/events') this.openStream(res);
    else return false;
    return true;
  }

  /** Ends every stream and the rendering thread. */
  close(): void {
    clearInterval(this.timer);
    for (const res of this.streams) res.end();
    this.streams.clear();
    void this.worker?.terminate();
    this.worker = null;
    for (const resolve of this.waiting.values()) resolve('<p>the page is closed</p>');
    this.waiting.clear();
  }

  private openStream(res: ServerResponse): void {
    if (this.streams.size >= this.maxStreams) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '10' });
      res.end(
        JSON.stringify({
          code: DashboardErrorCode.TOO_MANY_STREAMS,
          message: `${this.streams.size} event streams are open (maxStreams ${this.maxStreams})`,
        }),
      );
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write('retry: 2000\n\n');
    this.streams.add(res);
    res.on('close', () => this.streams.delete(res));
    res.on('error', () => this.streams.delete(res));
    this.push();
  }

  /** Renders (unless a render is under way) and writes the update to every stream that keeps up. */
  private push(): void {
    if (this.streams.size === 0 || this.rendering !== null) return;
    void this.fragment().then((html) => {
      const message = `data: ${JSON.stringify({ html })}\n\n`;
      for (const res of this.streams) {
        if (res.writableLength > this.maxQueuedBytes) this.skipped += 1;
        else res.write(message);
      }
    });
  }

  /** The <main> fragment, at most refreshMs old; one render at a time, in the worker. */
  private fragment(): Promise<string> {
    const now = performance.now();
    if (this.fragmentCache !== null && now - this.fragmentCache.at < this.refreshMs)
      return Promise.resolve(this.fragmentCache.html);
    if (this.rendering !== null) return this.rendering;
    if (this.fragmentCache !== null && now < this.renderNotBefore)
      return Promise.resolve(this.fragmentCache.html);
    const id = this.nextId++;
    this.rendering = new Promise<string>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(
          this.withoutCharts(`the renderer did not answer within ${DASHBOARD_LIMITS.renderTimeoutMs} ms`),
        );
      }, DASHBOARD_LIMITS.renderTimeoutMs).unref();
      this.waiting.set(id, (html) => {
        clearTimeout(timer);
        resolve(html);
      });
      this.renderer().postMessage({ id, status: this.status() });
    }).then((html) => {
      const done = performance.now();
      this.fragmentCache = { at: done, html };
      this.renderNotBefore = done + 2 * (done - now);
      this.rendering = null;
      return html;
    });
    return this.rendering;
  }

  /** The tables without the charts, saying why (built here: no vega on this thread). */
  private withoutCharts(why: string): string {
    return `${liveFragment(this.status(), [])}<p>charts unavailable: ${why.replace(/[&<>"']/g, ' ')}</p>`;
  }

  private renderer(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = new Worker(new URL('./render-worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (reply: RenderReply) => {
      this.waiting.get(reply.id)?.(reply.html);
      this.waiting.delete(reply.id);
    });
    worker.on('error', (error) => {
      // a broken renderer: the waiting pages get the error, the next render starts a new one
      for (const resolve of this.waiting.values()) resolve(this.withoutCharts(error.message));
      this.waiting.clear();
      this.worker = null;
    });
    this.worker = worker;
    return worker;
  }
}
