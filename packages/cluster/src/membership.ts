// Membership, one role of the coordinator (issue 16's split, as DDP splits its reducer): who is
// a member, with which rank and threads; admission of a join (token, hashes, maxNodes) and the
// welcome; leaving, eviction of the silent (heartbeatTimeoutMs) and the wait for minNodes. It
// talks to members through Peers only, so tests drive it without sockets.
import type { Model } from '@recur/nn';
import type { Frame } from '@recur/protocol';
import { admissionRefusal } from './admission.js';
import { ClusterError, ClusterErrorCode } from './errors.js';
import type { Resolved } from './options.js';
import type { Peer } from './peer.js';

export interface Member {
  peer: Peer;
  nodeId: string;
  rank: number;
  threads: number;
  lastSeen: number;
  /** steps this member contributed a gradient to */
  steps: number;
}

type MembershipOptions = Pick<
  Resolved,
  | 'token'
  | 'data'
  | 'runHash'
  | 'minNodes'
  | 'maxNodes'
  | 'heartbeatTimeoutMs'
  | 'startTimeoutMs'
  | 'log'
  | 'batchSize'
>;

export class Membership {
  private readonly members = new Map<Peer, Member>();
  private nextRank = 0;
  private wake: () => void = () => {};

  /** `onRemoved` hears of every member that is gone (the loop assigns its step again) */
  constructor(
    private readonly o: MembershipOptions,
    private readonly model: Model,
    private readonly onRemoved: (member: Member, why: string) => void,
  ) {}

  get size(): number {
    return this.members.size;
  }

  /** The members in rank order. */
  sorted(): Member[] {
    return [...this.members.values()].sort((a, b) => a.rank - b.rank);
  }

  /** Admits a connection's first frame and welcomes it, or returns why not ([code, message]). */
  admit(peer: Peer, frame: Frame): Member | [string, string] {
    const refusal = admissionRefusal(frame, {
      token: this.o.token,
      layoutHash: this.model.layout.hash(),
      dataHash: this.o.data.hash,
      runHash: this.o.runHash,
      full: this.members.size >= this.o.maxNodes,
      maxNodes: this.o.maxNodes,
    });
    if (refusal !== null || frame.kind !== 'join')
      return refusal ?? [ClusterErrorCode.UNAUTHORIZED, 'the first frame must be a join'];
    const member: Member = {
      peer,
      nodeId: frame.nodeId,
      rank: this.nextRank++,
      threads: frame.threads,
      lastSeen: performance.now(),
      steps: 0,
    };
    this.members.set(peer, member);
    peer.send({
      kind: 'welcome',
      rank: member.rank,
      world: this.members.size,
      modelConfig: JSON.stringify(this.model.config()),
      compile: JSON.stringify(this.model.compileSpec),
      step: this.model.compiled?.step ?? 0,
      parameters: this.model.params,
      batchSize: this.o.batchSize,
      seed: this.model.trainingSeed,
    });
    this.o.log(`node ${member.nodeId} joined as rank ${member.rank} with ${member.threads} thread(s)`);
    this.wake();
    return member;
  }

  /** A member is gone (left, closed, evicted); a second call for it does nothing. */
  remove(member: Member, why: string): void {
    if (this.members.get(member.peer) !== member) return;
    this.members.delete(member.peer);
    this.o.log(`node ${member.nodeId} (rank ${member.rank}) removed: ${why}`);
    this.onRemoved(member, why);
  }

  /** Tells the member why, removes it and drops its connection. */
  evict(member: Member, why: string): void {
    member.peer.send({ kind: 'error', code: ClusterErrorCode.EVICTED, message: why });
    this.remove(member, why);
    member.peer.terminate();
  }

  /** Evicts every member that sent nothing for heartbeatTimeoutMs (run it periodically). */
  evictSilent(now = performance.now()): void {
    const cutoff = now - this.o.heartbeatTimeoutMs;
    for (const m of [...this.members.values()]) {
      if (m.lastSeen < cutoff)
        this.evict(m, `no frame for ${this.o.heartbeatTimeoutMs} ms (heartbeatTimeoutMs)`);
    }
  }

  broadcast(frame: Frame): void {
    for (const m of this.members.values()) m.peer.send(frame);
  }

  /** Sends `frame` and closes every member (the run ended or failed). */
  closeAll(frame: Frame, code: number): void {
    for (const m of this.members.values()) {
      m.peer.send(frame);
      m.peer.close(code);
    }
  }

  /** Wakes a waitForMinimum (a join, a stop, a close). */
  wakeUp(): void {
    this.wake();
  }

  /**
   * Resolves once minNodes are members, or when `interrupted()` says so; rejects with
   * ERR_CLUSTER_NO_NODES after startTimeoutMs.
   */
  async waitForMinimum(interrupted: () => boolean): Promise<void> {
    const deadline = performance.now() + this.o.startTimeoutMs;
    while (this.members.size < this.o.minNodes && !interrupted()) {
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new ClusterError(
          ClusterErrorCode.NO_NODES,
          `coordinator: ${this.members.size} of minNodes ${this.o.minNodes} nodes joined within ${this.o.startTimeoutMs} ms`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}
