// The training loop, one role of the coordinator (issue 16's split): for each optimizer step it
// assigns the global batch to the members (parts.ts), collects one gradient per member (checked
// by gradients.ts; whole, or in pieces staged by pieces.ts), sums them in rank order, applies the optimizer (refusing a non-finite step),
// sends the new parameters and writes the checkpoints. A member that leaves or misses the step
// deadline makes the step be assigned again (a new attempt). It talks to members through
// Membership and Peers only, so tests drive it without sockets.
import type { Compiled, Model, ModelMemory } from '@recur/nn';
import type { Assignment, Frame, Gradient } from '@recur/protocol';
import { ClusterError, ClusterErrorCode } from './errors.js';
import { gradientRefusal, maxTermsPerSample, UpdateGuard } from './gradients.js';
import { scavenge } from './marking.js';
import type { Member, Membership } from './membership.js';
import type { Resolved } from './options.js';
import { assignParts } from './parts.js';
import { sendFrames } from './peer.js';
import { isWhole, PieceStaging, rangeRefusal } from './pieces.js';
import type { StatusJson } from './status.js';

/** One attempt at one optimizer step. */
interface Round {
  step: number;
  attempt: number;
  parts: Map<Member, Assignment>;
  received: Map<Member, Gradient>;
  finish: (outcome: 'done' | 'retry') => void;
  /** performance.now() when the assignments went out, and when the first and last gradient came */
  sentAt: number;
  firstAt: number;
  lastAt: number;
}

/**
 * Where one step's time went on the coordinator, in ms: from the assignments to the first and
 * to the last gradient (the members' compute, encode, transfer and this side's decode), the
 * decoding of the gradient frames (part of the wait), the sum and update, and the parameters'
 * encode and send.
 */
export interface StepTimings {
  firstGradientMs: number;
  lastGradientMs: number;
  decodeMs: number;
  updateMs: number;
  broadcastMs: number;
}

export interface RunSummary {
  steps: number;
  epochs: number;
  loss: number;
  /** true when stop() ended the run early (the checkpoint holds `steps`) */
  stopped: boolean;
  /** young-generation collections after a step (scavengeEachStep; marking.ts) */
  scavenges: number;
}

export interface LossRecord {
  step: number;
  loss: number;
  at: number;
  samples: number;
}

const LOSS_HISTORY = 1000;

// Note [next round]: after an update, when the run goes on with enough members and no stop, the
// next step's round starts at once: each member gets the new parameters and its assignment in
// one write (Peer.sendAll), before onStep and the checkpoint, which then overlap the members'
// compute instead of delaying it. The round is registered before anything is sent, so no
// gradient can come before it; a stop, a close or a failure of onStep or of the checkpoint
// finishes it ('retry') as it would any round in flight. Otherwise (the last step, too few
// members, a stop) the parameters go out alone and the next round starts after the wait.

export class TrainingLoop {
  state: StatusJson['state'] = 'waiting';
  readonly lossHistory: LossRecord[] = [];
  lastCheckpoint: { path: string; step: number } | null = null;
  /** hears of every checkpoint written (the live page's event log) */
  onCheckpoint: (checkpoint: { path: string; step: number }) => void = () => {};
  private readonly compiled: Compiled;
  private readonly guard: UpdateGuard;
  private readonly termsPerSample: number;
  private round: Round | null = null;
  /** each member's staging buffer for a gradient in pieces (P floats, made at its first piece) */
  private readonly staging = new WeakMap<Member, PieceStaging>();
  private stopping = false;
  private closed = false;
  /** ms the transport spent decoding gradient frames since the round in flight began (it adds to this) */
  decodeMs = 0;
  /** young-generation collections so far (Note [a scavenge a step]) */
  private scavenges = 0;

  constructor(
    private readonly o: Resolved,
    private readonly members: Membership,
  ) {
    this.compiled = o.model.compiled as Compiled;
    this.guard = new UpdateGuard(
      o.model.ensureMemory(1, this.compiled.optimizer.stateCount()) as ModelMemory,
    );
    this.termsPerSample = maxTermsPerSample(o.model);
  }

  private get model(): Model {
    return this.o.model;
  }

  /**
   * Trains to the last epoch (or a stop); rejects with a coded error when the run fails. The
   * model's memory is held meanwhile (nn's holdMemory): an evaluate or predict on the
   * coordinator's model during the run (from onStep, say) runs in pieces of the memory's batch
   * instead of replacing the memory that the update guard and the broadcasts use.
   */
  async run(): Promise<RunSummary> {
    const release = this.model.holdMemory();
    try {
      return await this.train();
    } finally {
      release();
    }
  }

  private async train(): Promise<RunSummary> {
    const { batchSize, epochs, data } = this.o;
    const batches = data.batchesPerEpoch ?? Math.ceil(data.size / batchSize);
    if (!this.o.resume) this.model.trainingPosition = { epoch: 0, position: 0 };
    let attempt = 0;
    let loss = 0;
    // the round in flight, when it went out with the parameters of the step before (Note [next round])
    let next: Promise<Round | null> | null = null;
    while (this.model.trainingPosition.epoch < epochs) {
      const { epoch, position } = this.model.trainingPosition;
      if (next === null) {
        if (this.members.size < this.o.minNodes) this.state = 'waiting';
        await this.members.waitForMinimum(() => this.stopping || this.closed);
        this.state = 'training';
        if (this.stopping) return this.stopped(loss);
        next = this.startRound(epoch, position, attempt, null);
      }
      const round = await next;
      next = null;
      if (this.stopping) return this.stopped(loss);
      if (round === null) {
        attempt += 1;
        continue;
      }
      attempt = 0;
      const updating = performance.now();
      loss = this.update(round);
      const decodeMs = this.decodeMs; // this round's: the next round's start zeroes it
      this.model.trainingPosition =
        position + 1 < batches ? { epoch, position: position + 1 } : { epoch: epoch + 1, position: 0 };
      const broadcasting = performance.now();
      const parameters: Frame = {
        kind: 'parameters',
        step: this.compiled.step,
        parameters: this.model.params,
        loss,
      };
      const at = this.model.trainingPosition;
      if (at.epoch < epochs && this.members.size >= this.o.minNodes && !this.stopping && !this.closed) {
        next = this.startRound(at.epoch, at.position, 0, parameters);
      } else this.members.broadcast(parameters);
      try {
        this.stepDone(round, loss, updating, broadcasting, decodeMs);
        const every = this.o.checkpoint?.everySteps ?? 0;
        if (every > 0 && this.compiled.step % every === 0) await this.saveCheckpoint();
      } catch (error) {
        this.round?.finish('retry'); // the next round's deadline timer must not outlive the run
        throw error;
      }
      // the step's gradient frames die here, before the collection (Note [a scavenge a step])
      round.received.clear();
      if (this.o.scavengeEachStep) {
        scavenge(); // while the members compute (Note [a scavenge a step])
        this.scavenges += 1;
      }
    }
    this.state = 'ended';
    await this.saveCheckpoint();
    this.members.broadcast({ kind: 'end', step: this.compiled.step, reason: 'the run is complete' });
    this.o.log(`run ended at step ${this.compiled.step}`);
    return { steps: this.compiled.step, epochs, loss, stopped: false, scavenges: this.scavenges };
  }

  /** Ends at the next step boundary (the step in flight is dropped). */
  stop(): void {
    this.stopping = true;
    this.round?.finish('retry');
    this.members.wakeUp();
  }

  /** The transport is gone: the run rejects at its next wait. */
  close(): void {
    this.closed = true;
    this.round?.finish('retry');
    this.members.wakeUp();
  }

  /**
   * A gradient or a piece of one from a member: refused with a coded error frame, staged
   * (pieces.ts), or counted for the round once whole.
   */
  gradient(member: Member, piece: Gradient): void {
    const P = this.model.layout.size;
    const refusal = rangeRefusal(piece, P) ?? gradientRefusal(this.round, member, piece, this.termsPerSample);
    const g = refusal === null ? this.assemble(member, piece, P) : refusal;
    if (g === null) return;
    if (Array.isArray(g)) {
      member.peer.send({ kind: 'error', code: g[0], message: g[1] });
      return;
    }
    const r = this.round as Round;
    r.received.set(member, g);
    r.lastAt = performance.now();
    if (r.received.size === 1) r.firstAt = r.lastAt;
    if (r.received.size === r.parts.size) r.finish('done');
  }

  /** A whole gradient as is; a piece into the member's staging (null until the pieces cover P). */
  private assemble(member: Member, g: Gradient, P: number): Gradient | [string, string] | null {
    let staging = this.staging.get(member);
    if (isWhole(g, P)) {
      if ((staging?.coveredIn(g.step, g.attempt) ?? 0) === 0) return g;
      return [ClusterErrorCode.DUPLICATE_STEP, `a whole gradient for step ${g.step} after pieces of it`];
    }
    if (staging === undefined) {
      staging = new PieceStaging(P);
      this.staging.set(member, staging);
    }
    return staging.add(g);
  }

  /** A member is gone: if the current step waits for it, the step is assigned again. */
  memberGone(member: Member): void {
    const r = this.round;
    if (r?.parts.has(member) && !r.received.has(member)) r.finish('retry');
  }

  /** Tells onStep about a finished step, with where its time went. */
  private stepDone(
    round: Round,
    loss: number,
    updating: number,
    broadcasting: number,
    decodeMs: number,
  ): void {
    const timings: StepTimings = {
      firstGradientMs: round.firstAt - round.sentAt,
      lastGradientMs: round.lastAt - round.sentAt,
      decodeMs,
      updateMs: broadcasting - updating,
      broadcastMs: performance.now() - broadcasting,
    };
    this.o.onStep?.({ step: this.compiled.step, loss, members: round.received.size, timings });
  }

  private async stopped(loss: number): Promise<RunSummary> {
    await this.saveCheckpoint();
    this.o.log(`stopped at step ${this.compiled.step}`);
    return {
      steps: this.compiled.step,
      epochs: this.o.epochs,
      loss,
      stopped: true,
      scavenges: this.scavenges,
    };
  }

  /**
   * Assigns one step to the current members (each after `parameters`, in one write, when they
   * are given) and resolves with the round once every gradient is in; null: try again.
   */
  private startRound(
    epoch: number,
    batchIndex: number,
    attempt: number,
    parameters: Frame | null,
  ): Promise<Round | null> {
    if (this.closed)
      throw new ClusterError(ClusterErrorCode.NO_NODES, 'coordinator: closed before the run ended');
    const members = this.members.sorted();
    const step = this.compiled.step + 1;
    const { batchSize, data } = this.o;
    const assignments = assignParts(members, {
      step,
      attempt,
      epoch,
      batchIndex,
      batchSize,
      dataSize: data.size,
    });
    const parts = new Map<Member, Assignment>(members.map((m, i) => [m, assignments[i]]));
    this.decodeMs = 0;
    return new Promise<'done' | 'retry'>((finish) => {
      const timer = setTimeout(() => this.missedDeadline(), this.o.stepDeadlineMs);
      const sentAt = performance.now();
      this.round = {
        sentAt,
        firstAt: sentAt,
        lastAt: sentAt,
        step,
        attempt,
        parts,
        received: new Map(),
        finish: (o) => {
          clearTimeout(timer);
          finish(o);
        },
      };
      for (const [m, a] of parts) {
        const assignment: Frame = { kind: 'assignment', ...a };
        sendFrames(m.peer, parameters === null ? [assignment] : [parameters, assignment]);
      }
    }).then((outcome) => {
      const round = this.round as Round;
      this.round = null;
      return outcome === 'done' ? round : null;
    });
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
      const checkpoint =
        this.lastCheckpoint === null ? '' : ` (last checkpoint: step ${this.lastCheckpoint.step})`;
      throw new ClusterError(
        ClusterErrorCode.NON_FINITE,
        `coordinator: step ${round.step} refused: ${why ?? 'the loss sum is not finite'}; the parameters stay those of step ${this.compiled.step}${checkpoint}`,
      );
    }
    for (const m of round.received.keys()) m.steps += 1;
    const loss = count > 0 ? lossSum / count : 0;
    const samples = ordered.reduce((a, g) => a + g.samples, 0);
    this.lossHistory.push({ step: this.compiled.step, loss, at: performance.now(), samples });
    if (this.lossHistory.length > LOSS_HISTORY) this.lossHistory.shift();
    return loss;
  }

  private async saveCheckpoint(): Promise<void> {
    const c = this.o.checkpoint;
    if (c === null) return;
    await this.model.save(c.path, { preprocessing: c.preprocessing });
    this.lastCheckpoint = { path: c.path, step: this.compiled.step };
    this.onCheckpoint(this.lastCheckpoint);
  }

  private missedDeadline(): void {
    const r = this.round;
    if (r === null) return;
    for (const m of r.parts.keys()) {
      if (r.received.has(m)) continue;
      const covered = this.staging.get(m)?.coveredIn(r.step, r.attempt) ?? 0;
      const what =
        covered === 0
          ? 'no gradient'
          : `an incomplete gradient (pieces cover ${covered} of ${this.model.layout.size} values)`;
      this.members.evict(m, `${what} for step ${r.step} within ${this.o.stepDeadlineMs} ms (stepDeadlineMs)`);
    }
  }
}
