// The coordinator (DESIGN.md, "Machines"): a WebSocket server that admits nodes, owns the
// authoritative parameters, the optimizer state, the checkpoints and the data cursor, and runs
// the training loop: for each optimizer step it hands every member a share of the global batch
// (parts in proportion to its threads), collects one gradient sum per member, sums them in rank
// order, applies the optimizer and sends the new parameters back. Membership changes are
// normal events: a node that leaves, misses heartbeats or the step deadline is evicted and the
// step is assigned again to the others (a new attempt); a node can join at any step boundary.
// A step whose sum or update is not finite is refused and ends the run with a coded error,
// nothing written. stop() ends it at a step boundary with a checkpoint.
// Status: GET /status (JSON) and GET / (a page) on the same port, behind the token.
import type { IncomingMessage } from 'node:http';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Compiled, Model, ModelMemory } from '@recur/nn';
import {
  type Assignment,
  decodeFrame,
  errorFrame,
  type Frame,
  type Gradient,
  maxFrameBytes,
} from '@recur/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import { admissionRefusal } from './admission.js';
import { ClusterError, ClusterErrorCode } from './errors.js';
import { gradientRefusal, maxTermsPerSample, UpdateGuard } from './gradients.js';
import { type CoordinatorOptions, type Resolved, resolveCoordinatorOptions } from './options.js';
import { assignParts } from './parts.js';
import { type StatusJson, serveStatus } from './status.js';

export type { StatusJson } from './status.js';

import { messageBytes, send, tokensEqual, wsPayloadCap } from './wire.js';

export type { CoordinatorOptions } from './options.js';

interface Member {
  ws: WebSocket;
  nodeId: string;
  rank: number;
  threads: number;
  lastSeen: number;
  steps: number;
}

/** One attempt at one optimizer step. */
interface Round {
  step: number;
  attempt: number;
  parts: Map<Member, Assignment>;
  received: Map<Member, Gradient>;
  finish: (outcome: 'done' | 'retry') => void;
}

export interface RunSummary {
  steps: number;
  epochs: number;
  loss: number;
  /** true when stop() ended the run early (the checkpoint holds `steps`) */
  stopped: boolean;
}

const LOSS_HISTORY = 1000;

export class Coordinator {
  /** ws:// or wss:// address the nodes connect to */
  url = '';
  /** resolves when the run has ended (final checkpoint written); rejects on a fatal error */
  readonly done: Promise<RunSummary>;
  private readonly o: Resolved;
  private readonly model: Model;
  private readonly compiled: Compiled;
  private readonly limit: number;
  private readonly termsPerSample: number;
  private readonly guard: UpdateGuard;
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly members = new Map<WebSocket, Member>();
  private nextRank = 0;
  private round: Round | null = null;
  private state: StatusJson['state'] = 'waiting';
  private readonly lossHistory: { step: number; loss: number; at: number; samples: number }[] = [];
  private lastCheckpoint: { path: string; step: number } | null = null;
  private memberJoined: () => void = () => {};
  private sweep: NodeJS.Timeout | null = null;
  private closed = false;
  private stopping = false;
  /** connections open and not yet joined (maxPendingConnections) */
  private pending = 0;

  private constructor(o: Resolved) {
    this.o = o;
    this.model = o.model;
    this.compiled = o.model.compiled as Compiled;
    const memory = this.model.ensureMemory(1, this.compiled.optimizer.stateCount()) as ModelMemory;
    this.guard = new UpdateGuard(memory);
    this.limit = maxFrameBytes(this.model.layout.size);
    this.termsPerSample = maxTermsPerSample(this.model);
    this.server =
      o.tls === null ? createHttpServer() : createHttpsServer({ cert: o.tls.cert, key: o.tls.key });
    const access = { token: o.token, publicStatus: o.publicStatus };
    this.server.on('request', (req, res) => serveStatus(req, res, () => this.status(), access));
    this.wss = new WebSocketServer({
      server: this.server,
      maxPayload: wsPayloadCap(this.limit),
      verifyClient: (_info: { req: IncomingMessage }, accept) => this.verifyClient(accept),
    });
    this.wss.on('connection', (ws) => this.connection(ws));
    this.wss.on('error', () => {}); // the server's own errors: start() rejects with a coded one
    this.done = new Promise<RunSummary>((resolve, reject) => {
      this.server.once('listening', () => {
        this.train().then(resolve, (error: unknown) => {
          this.shutDown(error);
          reject(error);
        });
      });
    });
    this.done.catch(() => {}); // the caller awaits it; an unobserved rejection must not crash
  }

  /** Starts listening; training begins once minNodes have joined. */
  static async start(options: CoordinatorOptions): Promise<Coordinator> {
    const c = new Coordinator(resolveCoordinatorOptions(options));
    await new Promise<void>((resolve, reject) => {
      c.server.once('error', (error: NodeJS.ErrnoException) => {
        const why = error.code === 'EADDRINUSE' ? 'the port is in use' : error.message;
        reject(
          new ClusterError(
            ClusterErrorCode.LISTEN_FAILED,
            `coordinator: cannot listen on ${c.o.host}:${c.o.port}: ${why} (${error.code ?? 'error'})`,
            { cause: error },
          ),
        );
      });
      c.server.listen(c.o.port, c.o.host, () => resolve());
    });
    const { port } = c.server.address() as AddressInfo;
    c.url = `${c.o.tls === null ? 'ws' : 'wss'}://${c.o.host.includes(':') ? `[${c.o.host}]` : c.o.host}:${port}`;
    c.sweep = setInterval(() => c.evictSilent(), Math.max(10, c.o.heartbeatTimeoutMs / 4));
    c.o.log(`coordinator listening on ${c.url}`);
    return c;
  }

  status(): StatusJson {
    const now = performance.now();
    const recent = this.lossHistory.slice(-11);
    const span = recent.length > 1 ? (recent[recent.length - 1].at - recent[0].at) / 1000 : 0;
    const samples = recent.slice(1).reduce((a, r) => a + r.samples, 0);
    return {
      state: this.state,
      step: this.compiled.step,
      epoch: this.model.trainingPosition.epoch,
      position: this.model.trainingPosition.position,
      members: this.sortedMembers().map((m) => ({
        nodeId: m.nodeId,
        rank: m.rank,
        threads: m.threads,
        steps: m.steps,
        lastSeenMsAgo: Math.round(now - m.lastSeen),
      })),
      loss: this.lossHistory.map(({ step, loss }) => ({ step, loss })),
      samplesPerSecond: span > 0 ? samples / span : 0,
      checkpoint: this.lastCheckpoint,
    };
  }

  /**
   * Ends the run at a step boundary: the step in flight is dropped (a resumed run computes it
   * again), the checkpoint is written, members are disconnected (they retry for
   * reconnectTimeoutMs, so a resumed coordinator finds them); `done` resolves with stopped: true
   * and `steps` the checkpoint's step.
   */
  stop(): Promise<RunSummary> {
    this.stopping = true;
    this.round?.finish('retry');
    this.memberJoined();
    return this.done;
  }

  /** Stops serving: every socket is closed, the run (if still going) rejects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweep !== null) clearInterval(this.sweep);
    this.round?.finish('retry');
    this.memberJoined();
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- the training loop ------------------------------------------------------------------

  private async train(): Promise<RunSummary> {
    const { batchSize, epochs, data } = this.o;
    const batches = data.batchesPerEpoch ?? Math.ceil(data.size / batchSize);
    if (!this.o.resume) this.model.trainingPosition = { epoch: 0, position: 0 };
    let attempt = 0;
    let loss = 0;
    while (this.model.trainingPosition.epoch < epochs) {
      await this.waitForMembers();
      if (this.stopping) return this.stopped(loss);
      const { epoch, position } = this.model.trainingPosition;
      const round = await this.runRound(epoch, position, attempt);
      if (this.stopping) return this.stopped(loss);
      if (round === null) {
        attempt += 1;
        continue;
      }
      attempt = 0;
      loss = this.update(round);
      this.model.trainingPosition =
        position + 1 < batches ? { epoch, position: position + 1 } : { epoch: epoch + 1, position: 0 };
      this.broadcast({ kind: 'parameters', step: this.compiled.step, parameters: this.model.params, loss });
      const every = this.o.checkpoint?.everySteps ?? 0;
      if (every > 0 && this.compiled.step % every === 0) await this.saveCheckpoint();
    }
    this.state = 'ended';
    await this.saveCheckpoint();
    this.broadcast({ kind: 'end', step: this.compiled.step, reason: 'the run is complete' });
    this.o.log(`run ended at step ${this.compiled.step}`);
    setTimeout(() => void this.close(), this.o.endGraceMs).unref();
    return { steps: this.compiled.step, epochs, loss, stopped: false };
  }

  private async stopped(loss: number): Promise<RunSummary> {
    await this.saveCheckpoint();
    this.o.log(`stopped at step ${this.compiled.step}`);
    await this.close();
    return { steps: this.compiled.step, epochs: this.o.epochs, loss, stopped: true };
  }

  /** After a fatal error: members get its code, then everything closes (after endGraceMs). */
  private shutDown(error: unknown): void {
    if (this.closed) return;
    this.state = 'ended';
    const frame = errorFrame(error);
    for (const m of this.members.values()) {
      send(m.ws, frame);
      m.ws.close(1011);
    }
    setTimeout(() => void this.close(), this.o.endGraceMs).unref();
  }

  private async waitForMembers(): Promise<void> {
    const deadline = performance.now() + this.o.startTimeoutMs;
    while (this.members.size < this.o.minNodes && !this.stopping) {
      if (this.closed)
        throw new ClusterError(ClusterErrorCode.NO_NODES, 'coordinator: closed before the run ended');
      this.state = 'waiting';
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new ClusterError(
          ClusterErrorCode.NO_NODES,
          `coordinator: ${this.members.size} of minNodes ${this.o.minNodes} nodes joined within ${this.o.startTimeoutMs} ms`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.memberJoined = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.state = 'training';
  }

  /** Assigns one step to the current members and waits for every gradient; null: try again. */
  private async runRound(epoch: number, batchIndex: number, attempt: number): Promise<Round | null> {
    if (this.closed)
      throw new ClusterError(ClusterErrorCode.NO_NODES, 'coordinator: closed before the run ended');
    const members = this.sortedMembers();
    const step = this.compiled.step + 1;
    const { batchSize, data } = this.o;
    const at = { step, attempt, epoch, batchIndex, batchSize, dataSize: data.size };
    const assignments = assignParts(members, at);
    const parts = new Map<Member, Assignment>(members.map((m, i) => [m, assignments[i]]));
    const outcome = await new Promise<'done' | 'retry'>((finish) => {
      const timer = setTimeout(() => this.missedDeadline(), this.o.stepDeadlineMs);
      this.round = {
        step,
        attempt,
        parts,
        received: new Map(),
        finish: (o) => {
          clearTimeout(timer);
          finish(o);
        },
      };
      for (const [m, a] of parts) send(m.ws, { kind: 'assignment', ...a });
    });
    const round = this.round as Round;
    this.round = null;
    return outcome === 'done' ? round : null;
  }

  /**
   * Sums the members' gradients in rank order, divides by the count, clips, updates; a sum or
   * an update that is not finite is refused (ERR_CLUSTER_NON_FINITE): the run fails, the
   * parameters stay those of the step before and no checkpoint is written.
   */
  private update(round: Round): number {
    const ordered = [...round.received.entries()].sort(([a], [b]) => a.rank - b.rank).map(([, g]) => g);
    const count = ordered.reduce((a, g) => a + g.count, 0);
    const lossSum = ordered.reduce((a, g) => a + g.lossSum, 0);
    const why = this.guard.apply(
      this.compiled,
      ordered.map((g) => g.gradient),
      count,
    );
    if (why !== null || !Number.isFinite(lossSum)) {
      throw new ClusterError(
        ClusterErrorCode.NON_FINITE,
        `coordinator: step ${round.step} refused: ${why ?? 'the loss sum is not finite'}; the parameters stay those of step ${this.compiled.step}${this.lastCheckpoint === null ? '' : ` (last checkpoint: step ${this.lastCheckpoint.step})`}`,
      );
    }
    for (const m of round.received.keys()) m.steps += 1;
    const loss = count > 0 ? lossSum / count : 0;
    const samples = ordered.reduce((a, g) => a + g.samples, 0);
    this.lossHistory.push({ step: this.compiled.step, loss, at: performance.now(), samples });
    if (this.lossHistory.length > LOSS_HISTORY) this.lossHistory.shift();
    this.o.onStep?.({ step: this.compiled.step, loss, members: round.received.size });
    return loss;
  }

  private async saveCheckpoint(): Promise<void> {
    const c = this.o.checkpoint;
    if (c === null) return;
    await this.model.save(c.path, { preprocessing: c.preprocessing });
    this.lastCheckpoint = { path: c.path, step: this.compiled.step };
  }

  // ---- connections ------------------------------------------------------------------------

  /** Admits a WebSocket upgrade unless maxPendingConnections have not joined yet (HTTP 503). */
  private verifyClient(accept: (ok: boolean, code?: number, message?: string) => void): void {
    if (this.pending < this.o.maxPendingConnections) accept(true);
    else {
      const why = `${this.pending} connections have not joined yet (maxPendingConnections)`;
      accept(false, 503, `${ClusterErrorCode.TOO_MANY_PENDING}: ${why}`);
    }
  }

  private connection(ws: WebSocket): void {
    let member: Member | null = null;
    this.pending += 1;
    let counted = true;
    const settled = () => {
      if (counted) this.pending -= 1;
      counted = false;
    };
    const joinTimer = setTimeout(
      () => this.refuse(ws, ClusterErrorCode.JOIN_TIMEOUT, 'no join within joinTimeoutMs'),
      this.o.joinTimeoutMs,
    );
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      let frame: Frame;
      try {
        if (!isBinary)
          throw new ClusterError(ClusterErrorCode.UNEXPECTED, 'text frames are not part of the protocol');
        frame = decodeFrame(messageBytes(data), {
          maxFrameBytes: this.limit,
          parameterCount: this.model.layout.size,
        });
      } catch (error) {
        if (member === null) this.refuse(ws, null, '', error);
        else send(ws, errorFrame(error));
        return;
      }
      if (member === null) {
        member = this.join(ws, frame);
        settled();
        if (member !== null) clearTimeout(joinTimer);
        return;
      }
      member.lastSeen = performance.now();
      this.memberFrame(member, frame);
    });
    ws.on('close', () => {
      settled();
      clearTimeout(joinTimer);
      if (member !== null) this.remove(member, 'its connection closed');
    });
    ws.on('error', () => {}); // 'close' follows
  }

  /** Checks a connection's first frame; admits the node or refuses and closes. */
  private join(ws: WebSocket, frame: Frame): Member | null {
    if (this.state === 'ended' && frame.kind === 'join' && tokensEqual(frame.token, this.o.token)) {
      send(ws, { kind: 'end', step: this.compiled.step, reason: 'the run is complete' });
      ws.close(1000);
      return null;
    }
    const refusal = admissionRefusal(frame, {
      token: this.o.token,
      layoutHash: this.model.layout.hash(),
      dataHash: this.o.data.hash,
      runHash: this.o.runHash,
      full: this.members.size >= this.o.maxNodes,
      maxNodes: this.o.maxNodes,
    });
    if (refusal !== null || frame.kind !== 'join') {
      this.refuse(ws, refusal?.[0] ?? ClusterErrorCode.UNAUTHORIZED, refusal?.[1] ?? '');
      return null;
    }
    const member: Member = {
      ws,
      nodeId: frame.nodeId,
      rank: this.nextRank++,
      threads: frame.threads,
      lastSeen: performance.now(),
      steps: 0,
    };
    this.members.set(ws, member);
    send(ws, {
      kind: 'welcome',
      rank: member.rank,
      world: this.members.size,
      modelConfig: JSON.stringify(this.model.config()),
      compile: JSON.stringify(this.model.compileSpec),
      step: this.compiled.step,
      parameters: this.model.params,
      batchSize: this.o.batchSize,
      seed: this.model.trainingSeed,
    });
    this.o.log(`node ${member.nodeId} joined as rank ${member.rank} with ${member.threads} thread(s)`);
    this.memberJoined();
    return member;
  }

  private memberFrame(member: Member, frame: Frame): void {
    if (frame.kind === 'gradient') this.gradient(member, frame);
    else if (frame.kind === 'leave') {
      this.remove(member, `it left: ${frame.reason}`);
      member.ws.close(1000);
    } else if (frame.kind !== 'heartbeat') {
      send(member.ws, {
        kind: 'error',
        code: ClusterErrorCode.UNEXPECTED,
        message: `a node does not send ${frame.kind} frames`,
      });
    }
  }

  private gradient(member: Member, g: Gradient): void {
    const refusal = gradientRefusal(this.round, member, g, this.termsPerSample);
    if (refusal !== null) {
      send(member.ws, { kind: 'error', code: refusal[0], message: refusal[1] });
      return;
    }
    const r = this.round as Round;
    r.received.set(member, g);
    if (r.received.size === r.parts.size) r.finish('done');
  }

  /** A member is gone: if the current step waits for it, the step is assigned again. */
  private remove(member: Member, why: string): void {
    if (this.members.get(member.ws) !== member) return;
    this.members.delete(member.ws);
    this.o.log(`node ${member.nodeId} (rank ${member.rank}) removed: ${why}`);
    const r = this.round;
    if (r?.parts.has(member) && !r.received.has(member)) r.finish('retry');
  }

  private evict(member: Member, why: string): void {
    send(member.ws, { kind: 'error', code: ClusterErrorCode.EVICTED, message: why });
    this.remove(member, why);
    member.ws.terminate();
  }

  private evictSilent(): void {
    const cutoff = performance.now() - this.o.heartbeatTimeoutMs;
    for (const m of [...this.members.values()]) {
      if (m.lastSeen < cutoff)
        this.evict(m, `no frame for ${this.o.heartbeatTimeoutMs} ms (heartbeatTimeoutMs)`);
    }
  }

  private missedDeadline(): void {
    const r = this.round;
    if (r === null) return;
    for (const m of r.parts.keys()) {
      if (!r.received.has(m))
        this.evict(m, `no gradient for step ${r.step} within ${this.o.stepDeadlineMs} ms (stepDeadlineMs)`);
    }
  }

  private refuse(ws: WebSocket, code: string | null, message: string, error?: unknown): void {
    send(ws, code === null ? errorFrame(error) : { kind: 'error', code, message });
    ws.close(1008);
    setTimeout(() => ws.terminate(), 1000).unref();
  }

  private broadcast(frame: Frame): void {
    for (const m of this.members.values()) send(m.ws, frame);
  }

  private sortedMembers(): Member[] {
    return [...this.members.values()].sort((a, b) => a.rank - b.rank);
  }
}

/** Starts a coordinator (see Coordinator). */
export const startCoordinator = (options: CoordinatorOptions): Promise<Coordinator> =>
  Coordinator.start(options);
