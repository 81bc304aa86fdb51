// What the live page shows of each node and of the run's history, gathered beside the training
// loop without slowing it: each member's Peer is wrapped so that the frames the roles send
// (assignment, parameters, error) and the gradients that arrive stamp a time; the bytes per
// step come from the socket's own counters, read once per step. Everything is O(1) per frame;
// the page is built from this at most once per refresh (dashboard-status.ts).
import { EventLog } from '@recur/dashboard';
import type { Frame } from '@recur/protocol';
import { ClusterErrorCode } from './errors.js';
import type { Member } from './membership.js';
import { type Peer, sendFrames } from './peer.js';

/** Steps a node's means are taken over. */
const WINDOW = 20;

/** A running window of the last WINDOW values. */
export class Window {
  private readonly values: number[] = [];
  add(value: number): void {
    this.values.push(value);
    if (this.values.length > WINDOW) this.values.shift();
  }
  mean(): number | null {
    return this.values.length === 0 ? null : this.values.reduce((a, b) => a + b, 0) / this.values.length;
  }
}

/** One node id's numbers, kept over its rejoins. */
export interface NodeStats {
  assignedAt: number | null;
  answeredAt: number | null;
  computeMs: Window;
  waitMs: Window;
  bytesIn: Window;
  bytesOut: Window;
  /** performance.now() of its last step ends */
  stepEnds: number[];
  traffic: { read: number; written: number } | null;
  /** assignments it got with attempt > 0 */
  attempts: number;
  evictions: number;
}

const newStats = (): NodeStats => ({
  assignedAt: null,
  answeredAt: null,
  computeMs: new Window(),
  waitMs: new Window(),
  bytesIn: new Window(),
  bytesOut: new Window(),
  stepEnds: [],
  traffic: null,
  attempts: 0,
  evictions: 0,
});

export class RunStats {
  readonly log = new EventLog();
  readonly startedAt = performance.now();
  private readonly nodes = new Map<string, NodeStats>();
  private readonly everJoined = new Set<string>();
  private lastRetry = '';
  private readonly evicted = new WeakSet<Member>();

  /** The numbers of a node id (made on first use). */
  node(nodeId: string): NodeStats {
    let s = this.nodes.get(nodeId);
    if (s === undefined) {
      s = newStats();
      this.nodes.set(nodeId, s);
    }
    return s;
  }

  /** `peer`, stamping what the roles send to it; `member()` is who it is once joined. */
  watch(peer: Peer, member: () => Member | null): Peer {
    const traffic = peer.traffic?.bind(peer);
    return {
      send: (frame) => {
        this.sent(frame, member(), peer);
        peer.send(frame);
      },
      sendAll: (frames) => {
        for (const frame of frames) this.sent(frame, member(), peer);
        sendFrames(peer, frames);
      },
      close: (code) => peer.close(code),
      terminate: () => peer.terminate(),
      ...(traffic === undefined ? {} : { traffic }),
    };
  }

  joined(m: Member): void {
    const again = this.everJoined.has(m.nodeId);
    this.everJoined.add(m.nodeId);
    this.log.add(
      'join',
      `${m.nodeId} ${again ? 'rejoined' : 'joined'} as rank ${m.rank} with ${m.threads} thread(s)`,
    );
  }

  /** `m` is gone (an eviction was logged already). */
  left(m: Member, why: string): void {
    if (!this.evicted.has(m)) this.log.add('leave', `${m.nodeId} (rank ${m.rank}) left: ${why}`);
  }

  /** A gradient arrived from `m`. */
  answered(m: Member): void {
    const s = this.node(m.nodeId);
    s.answeredAt = performance.now();
    if (s.assignedAt !== null) s.computeMs.add(s.answeredAt - s.assignedAt);
  }

  private sent(frame: Frame, m: Member | null, peer: Peer): void {
    if (frame.kind === 'error') this.error(frame.code, frame.message, m);
    if (m === null) return;
    const s = this.node(m.nodeId);
    if (frame.kind === 'assignment') {
      s.assignedAt = performance.now();
      if (frame.attempt > 0) {
        s.attempts += 1;
        const key = `${frame.step}:${frame.attempt}`;
        if (key !== this.lastRetry)
          this.log.add('retry', `step ${frame.step} assigned again (attempt ${frame.attempt + 1})`);
        this.lastRetry = key;
      }
    } else if (frame.kind === 'parameters') this.stepEnd(s, peer);
  }

  private error(code: string, message: string, m: Member | null): void {
    if (code === ClusterErrorCode.EVICTED && m !== null) {
      this.node(m.nodeId).evictions += 1;
      this.evicted.add(m);
      this.log.add('eviction', `${m.nodeId} (rank ${m.rank}) evicted: ${message}`, code);
    } else this.log.add('refused', `${m === null ? 'a connection' : m.nodeId}: ${message}`, code);
  }

  /** The step's parameters go to a member: its wait ends, its bytes of the step are counted. */
  private stepEnd(s: NodeStats, peer: Peer): void {
    const now = performance.now();
    if (s.answeredAt !== null) s.waitMs.add(now - s.answeredAt);
    s.stepEnds.push(now);
    if (s.stepEnds.length > WINDOW + 1) s.stepEnds.shift();
    const traffic = peer.traffic?.();
    if (traffic === undefined) return;
    // a new connection (a rejoin) starts its counters again
    if (s.traffic !== null && traffic.read >= s.traffic.read && traffic.written >= s.traffic.written) {
      s.bytesIn.add(traffic.read - s.traffic.read);
      s.bytesOut.add(traffic.written - s.traffic.written);
    }
    s.traffic = traffic;
  }
}
