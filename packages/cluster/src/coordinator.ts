// The coordinator (DESIGN.md, "Machines"): a WebSocket server that admits nodes, owns the
// authoritative parameters, the optimizer state, the checkpoints and the data cursor, and runs
// the training loop: for each optimizer step it hands every member a share of the global batch
// (parts in proportion to its threads), collects one gradient sum per member, sums them in rank
// order, applies the optimizer and sends the new parameters back. Membership changes are
// normal events: a node that leaves, misses heartbeats or the step deadline is evicted and the
// step is assigned again to the others (a new attempt); a node can join at any step boundary.
// A step whose sum or update is not finite is refused and ends the run with a coded error,
// nothing written. stop() ends it at a step boundary with a checkpoint.
// Status: the live page (@recur/dashboard: GET / the page, GET /status its JSON, GET /events
// the pushed updates) on the same port, behind the token.
//
// The roles live in their own files, without sockets: membership.ts (join, heartbeat,
// eviction), parts.ts (the assignment of parts, a pure function), loop.ts (sum, update,
// checkpoints) and connections.ts (a connection's frames to the roles). This file is the
// transport: the HTTP(S) server, the ws server, decoding, and the run's start and end.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Dashboard } from '@recur/dashboard';
import { decodeFrame, errorFrame, type Frame, maxFrameBytes } from '@recur/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import { CoordinatorCore } from './connections.js';
import { clusterStatus } from './dashboard-status.js';
import { ClusterError, ClusterErrorCode } from './errors.js';
import { installProtocolKernels } from './halves.js';
import type { RunSummary } from './loop.js';
import { useAtomicMarking } from './marking.js';
import { type CoordinatorOptions, type Resolved, resolveCoordinatorOptions } from './options.js';
import { wsPeer } from './peer.js';
import { type StatusJson, serveStatus } from './status.js';
import { messageBytes, wsPayloadCap } from './wire.js';

export type { RunSummary, StepTimings } from './loop.js';
export type { CoordinatorOptions } from './options.js';
export type { StatusJson } from './status.js';

export class Coordinator {
  /** ws:// or wss:// address the nodes connect to */
  url = '';
  /** resolves when the run has ended (final checkpoint written); rejects on a fatal error */
  readonly done: Promise<RunSummary>;
  private readonly o: Resolved;
  private readonly core: CoordinatorCore;
  private readonly limit: number;
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly dashboard: Dashboard;
  private sweep: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(o: Resolved) {
    this.o = o;
    this.core = new CoordinatorCore(o);
    this.limit = maxFrameBytes(o.model.layout.size);
    this.server =
      o.tls === null ? createHttpServer() : createHttpsServer({ cert: o.tls.cert, key: o.tls.key });
    const access = { token: o.token, publicStatus: o.publicStatus };
    this.dashboard = new Dashboard({
      snapshot: () => clusterStatus(this.core, o, o.dashboard),
      maxStreams: o.dashboard.maxStreams,
      refreshMs: o.dashboard.refreshMs,
    });
    this.server.on('request', (req, res) => serveStatus(req, res, this.dashboard, access));
    this.wss = new WebSocketServer({
      server: this.server,
      maxPayload: wsPayloadCap(this.limit),
      verifyClient: (_info, accept) => this.verifyClient(accept),
    });
    this.wss.on('connection', (ws, req) => this.connection(ws, req.socket));
    this.wss.on('error', () => {}); // the server's own errors: start() rejects with a coded one
    this.done = new Promise<RunSummary>((resolve, reject) => {
      this.server.once('listening', () => {
        this.core.loop.run().then(
          (summary) => {
            this.core.stats.log.add(
              'end',
              summary.stopped ? `stopped at step ${summary.steps}` : `ended at step ${summary.steps}`,
            );
            setTimeout(() => void this.close(), summary.stopped ? 0 : this.o.endGraceMs).unref();
            resolve(summary);
          },
          (error: unknown) => {
            this.shutDown(error);
            reject(error);
          },
        );
      });
    });
    this.done.catch(() => {}); // the caller awaits it; an unobserved rejection must not crash
  }

  /** Starts listening; training begins once minNodes have joined. */
  static async start(options: CoordinatorOptions): Promise<Coordinator> {
    installProtocolKernels();
    const resolved = resolveCoordinatorOptions(options);
    if (!resolved.incrementalMarking) useAtomicMarking();
    const c = new Coordinator(resolved);
    await c.listen();
    const { port } = c.server.address() as AddressInfo;
    c.url = `${c.o.tls === null ? 'ws' : 'wss'}://${c.o.host.includes(':') ? `[${c.o.host}]` : c.o.host}:${port}`;
    c.sweep = setInterval(() => c.core.membership.evictSilent(), Math.max(10, c.o.heartbeatTimeoutMs / 4));
    c.o.log(`coordinator listening on ${c.url}`);
    return c;
  }

  status(): StatusJson {
    return this.core.status();
  }

  /**
   * Ends the run at a step boundary: the step in flight is dropped (a resumed run computes it
   * again), the checkpoint is written, members are disconnected (they retry for
   * reconnectTimeoutMs, so a resumed coordinator finds them); `done` resolves with stopped: true
   * and `steps` the checkpoint's step.
   */
  async stop(): Promise<RunSummary> {
    this.core.loop.stop();
    const summary = await this.done;
    await this.close();
    return summary;
  }

  /** Stops serving: every socket is closed, the run (if still going) rejects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweep !== null) clearInterval(this.sweep);
    this.core.loop.close();
    this.dashboard.close();
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private listen(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.server.once('error', (error: NodeJS.ErrnoException) => {
        const why = error.code === 'EADDRINUSE' ? 'the port is in use' : error.message;
        const where = `${this.o.host}:${this.o.port}`;
        reject(
          new ClusterError(
            ClusterErrorCode.LISTEN_FAILED,
            `coordinator: cannot listen on ${where}: ${why} (${error.code ?? 'error'})`,
            { cause: error },
          ),
        );
      });
      this.server.listen(this.o.port, this.o.host, () => resolve());
    });
  }

  /** After a fatal error: members get its code, then everything closes (after endGraceMs). */
  private shutDown(error: unknown): void {
    if (this.closed) return;
    this.core.loop.state = 'ended';
    this.core.membership.closeAll(errorFrame(error), 1011);
    setTimeout(() => void this.close(), this.o.endGraceMs).unref();
  }

  /** Admits a WebSocket upgrade unless maxPendingConnections have not joined yet (HTTP 503). */
  private verifyClient(accept: (ok: boolean, code?: number, message?: string) => void): void {
    if (this.core.acceptsConnection()) accept(true);
    else {
      const why = `${this.core.pending} connections have not joined yet (maxPendingConnections)`;
      accept(false, 503, `${ClusterErrorCode.TOO_MANY_PENDING}: ${why}`);
    }
  }

  private connection(ws: WebSocket, socket: Socket): void {
    const connection = this.core.connect(wsPeer(ws, socket));
    const limits = { maxFrameBytes: this.limit, parameterCount: this.o.model.layout.size };
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      let frame: Frame;
      try {
        if (!isBinary)
          throw new ClusterError(ClusterErrorCode.UNEXPECTED, 'text frames are not part of the protocol');
        const decoding = performance.now();
        frame = decodeFrame(messageBytes(data), limits);
        if (frame.kind === 'gradient') this.core.loop.decodeMs += performance.now() - decoding;
      } catch (error) {
        connection.refuse(error);
        return;
      }
      connection.receive(frame);
    });
    ws.on('close', () => connection.closed());
    ws.on('error', () => {}); // 'close' follows
  }
}

/** Starts a coordinator (see Coordinator). */
export const startCoordinator = (options: CoordinatorOptions): Promise<Coordinator> =>
  Coordinator.start(options);
