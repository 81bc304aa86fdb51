// The coordinator without its sockets: each connection is a Peer whose decoded frames arrive
// here. Before its join a connection counts as pending (maxPendingConnections) and must join
// within joinTimeoutMs; its first frame goes to Membership; a member's frames go to the training
// loop (gradients), to Membership (leave) or are refused. Tests drive this with fake peers.
import { basename } from 'node:path';
import { errorFrame, type Frame } from '@recur/protocol';
import { ClusterErrorCode } from './errors.js';
import { TrainingLoop } from './loop.js';
import { type Member, Membership } from './membership.js';
import type { Resolved } from './options.js';
import type { Peer } from './peer.js';
import { RunStats } from './run-stats.js';
import type { StatusJson } from './status.js';
import { tokensEqual } from './wire.js';

/** What the transport tells about one connection. */
export interface Connection {
  /** a frame that decoded */
  receive(frame: Frame): void;
  /** bytes that did not decode (a ProtocolError or ClusterError saying why) */
  refuse(error: unknown): void;
  /** the connection closed */
  closed(): void;
}

export class CoordinatorCore {
  readonly membership: Membership;
  readonly loop: TrainingLoop;
  /** what the live page shows of the nodes and the run's events */
  readonly stats = new RunStats();
  /** connections open and not yet joined */
  pending = 0;

  constructor(private readonly o: Resolved) {
    this.membership = new Membership(o, o.model, (m, why) => {
      this.stats.left(m, why);
      this.loop.memberGone(m);
    });
    this.loop = new TrainingLoop(o, this.membership);
    this.loop.onCheckpoint = (c) => this.stats.log.add('checkpoint', `${basename(c.path)} at step ${c.step}`);
    if (o.resume) this.stats.log.add('restart', `resumed at step ${o.model.compiled?.step ?? 0}`);
  }

  /** Whether one more connection may open (fewer than maxPendingConnections pending). */
  acceptsConnection(): boolean {
    return this.pending < this.o.maxPendingConnections;
  }

  connect(socketPeer: Peer): Connection {
    let member: Member | null = null;
    const peer = this.stats.watch(socketPeer, () => member);
    let pending = true;
    this.pending += 1;
    const settle = () => {
      if (pending) this.pending -= 1;
      pending = false;
    };
    const joinTimer = setTimeout(
      () => this.refuse(peer, ClusterErrorCode.JOIN_TIMEOUT, 'no join within joinTimeoutMs'),
      this.o.joinTimeoutMs,
    );
    return {
      receive: (frame) => {
        if (member === null) {
          member = this.first(peer, frame);
          settle();
          if (member !== null) {
            clearTimeout(joinTimer);
            this.stats.joined(member);
          }
          return;
        }
        member.lastSeen = performance.now();
        // a node sends its piece at offset 0 (the bottom layers) last: the answer's time
        if (frame.kind === 'gradient' && (frame.offset ?? 0) === 0) this.stats.answered(member);
        this.memberFrame(member, frame);
      },
      refuse: (error) => {
        if (member === null) this.refuse(peer, null, '', error);
        else peer.send(errorFrame(error));
      },
      closed: () => {
        settle();
        clearTimeout(joinTimer);
        if (member !== null) this.membership.remove(member, 'its connection closed');
      },
    };
  }

  status(): StatusJson {
    const now = performance.now();
    const history = this.loop.lossHistory;
    const recent = history.slice(-11);
    const span = recent.length > 1 ? (recent[recent.length - 1].at - recent[0].at) / 1000 : 0;
    const samples = recent.slice(1).reduce((a, r) => a + r.samples, 0);
    return {
      state: this.loop.state,
      step: this.o.model.compiled?.step ?? 0,
      epoch: this.o.model.trainingPosition.epoch,
      position: this.o.model.trainingPosition.position,
      members: this.membership.sorted().map((m) => ({
        nodeId: m.nodeId,
        rank: m.rank,
        threads: m.threads,
        steps: m.steps,
        lastSeenMsAgo: Math.round(now - m.lastSeen),
      })),
      loss: history.map(({ step, loss }) => ({ step, loss })),
      samplesPerSecond: span > 0 ? samples / span : 0,
      checkpoint: this.loop.lastCheckpoint,
    };
  }

  /** A connection's first frame: a member, or null (refused, or told the run is over). */
  private first(peer: Peer, frame: Frame): Member | null {
    if (this.loop.state === 'ended' && frame.kind === 'join' && tokensEqual(frame.token, this.o.token)) {
      peer.send({ kind: 'end', step: this.o.model.compiled?.step ?? 0, reason: 'the run is complete' });
      peer.close(1000);
      return null;
    }
    const admitted = this.membership.admit(peer, frame);
    if (Array.isArray(admitted)) {
      this.refuse(peer, admitted[0], admitted[1]);
      return null;
    }
    return admitted;
  }

  private memberFrame(member: Member, frame: Frame): void {
    if (frame.kind === 'gradient') this.loop.gradient(member, frame);
    else if (frame.kind === 'leave') {
      this.membership.remove(member, `it left: ${frame.reason}`);
      member.peer.close(1000);
    } else if (frame.kind !== 'heartbeat') {
      member.peer.send({
        kind: 'error',
        code: ClusterErrorCode.UNEXPECTED,
        message: `a node does not send ${frame.kind} frames`,
      });
    }
  }

  private refuse(peer: Peer, code: string | null, message: string, error?: unknown): void {
    peer.send(code === null ? errorFrame(error) : { kind: 'error', code, message });
    peer.close(1008);
    setTimeout(() => peer.terminate(), 1000).unref();
  }
}
