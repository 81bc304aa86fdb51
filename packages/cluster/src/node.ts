// A node of a cluster: connects to the coordinator, joins with its token and the hashes of its
// model's layout and its data, then computes every assignment on a @recur/parallel thread group
// whose ranks read exactly the assignment's sample range (assigned-source.ts; the machine's
// gradients are reduced in shared memory first), sends one gradient sum per step (whole, or with
// bucketBytes in pieces as the backward finishes each bucket of layers: DDP's buckets) and
// applies the parameters it receives. It keeps no optimizer state. A lost connection is
// retried with exponential backoff for reconnectTimeoutMs (a handshake or a welcome that does
// not come within handshakeTimeoutMs counts as a lost connection); the run's end frame ends it
// cleanly. A frame from the coordinator that the node must refuse (non-finite parameters), or
// the coordinator's refusal of a non-finite step, ends the node with a coded error: it never
// goes on with stale parameters.
import type { CompileOptions, ModelMemory } from '@recur/nn';
import { type Bucket, planBuckets, resolveOptions, type SummedBucket, ThreadGroup } from '@recur/parallel';
import { decodeFrame, type Frame, maxFrameBytes, PROTOCOL_VERSION } from '@recur/protocol';
import { WebSocket } from 'ws';
import { AssignedRangeSource, type RangeSource } from './assigned-source.js';
import { ClusterError, ClusterErrorCode } from './errors.js';
import { installProtocolKernels } from './halves.js';
import { scavenge, useAtomicMarking } from './marking.js';
import { type NodeOptions, type ResolvedNode, resolveNodeOptions } from './node-options.js';
import { SendBuffers } from './send-buffers.js';
import { messageBytes, send, wsPayloadCap, zeroMask } from './wire.js';

export type { NodeOptions } from './node-options.js';

export interface NodeSummary {
  /** assignments computed */
  assignments: number;
  /** gradient frames sent: one per assignment, or one per piece with bucketBytes */
  gradientFrames: number;
  /** connections made (1 + reconnections) */
  connections: number;
  /** the step the run ended at */
  endStep: number;
  /** ms spent, summed over the run, in each phase of this node's steps */
  timings: NodeTimings;
  /** young-generation collections after a step (scavengeEachStep; marking.ts) */
  scavenges: number;
}

/**
 * Where a node's time went, in ms summed over its steps: its threads' compute and reduce
 * (`sums`), the gradient's encode and send, the decoding of the coordinator's frames (parameters
 * mostly) and writing the parameters into the model. The rest of a step is waiting. With
 * bucketBytes the pieces are encoded and sent while the threads compute: sendMs is the time of
 * those sends, and computeMs the rest of the time until the last piece is summed.
 */
export interface NodeTimings {
  computeMs: number;
  sendMs: number;
  decodeMs: number;
  applyMs: number;
}

/** Runs a node until the coordinator ends the run; rejects with a coded ClusterError. */
export async function runNode(options: NodeOptions): Promise<NodeSummary> {
  installProtocolKernels();
  return new ClusterNode(options).run();
}

class ClusterNode {
  private readonly o: ResolvedNode;
  private readonly limit: number;
  private group: ThreadGroup | null = null;
  /** the threads read only the assignment's range of the data (the coordinator owns the cursor) */
  private readonly data: AssignedRangeSource;
  /** frames are handled one after another, across connections: the group is not re-entrant */
  private chain: Promise<void> = Promise.resolve();
  private readonly summary: NodeSummary = {
    assignments: 0,
    gradientFrames: 0,
    connections: 0,
    endStep: 0,
    timings: { computeMs: 0, sendMs: 0, decodeMs: 0, applyMs: 0 },
    scavenges: 0,
  };
  private ended = false;
  private fatal: Error | null = null;
  /** bucketBytes > 0: the buckets of the model, top first, and a send pool with room for each */
  private buckets: Bucket[] | null = null;
  private pieceBuffers: SendBuffers | null = null;

  constructor(options: NodeOptions) {
    this.o = resolveNodeOptions(options);
    if (!this.o.incrementalMarking) useAtomicMarking();
    this.data = new AssignedRangeSource(this.o.source as RangeSource);
    this.limit = maxFrameBytes(this.o.model.layout.size);
  }

  async run(): Promise<NodeSummary> {
    const { initialMs: initial, maxMs: longest } = this.o.backoff;
    const window = this.o.reconnectTimeoutMs;
    let delay = initial;
    let giveUpAt = performance.now() + window;
    try {
      for (;;) {
        const welcomed = await this.connectOnce();
        await this.chain;
        if (this.fatal !== null) throw this.fatal;
        if (this.ended) return this.summary;
        if (welcomed) {
          delay = initial;
          giveUpAt = performance.now() + window;
        }
        if (performance.now() + delay > giveUpAt) {
          throw new ClusterError(
            ClusterErrorCode.CONNECT_FAILED,
            `node: no connection to ${this.o.url} for ${window} ms (reconnectTimeoutMs)`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(longest, delay * 2);
      }
    } finally {
      await this.group?.close();
      this.group = null;
    }
  }

  /** One connection, until it closes; true if the coordinator welcomed this node on it. */
  private connectOnce(): Promise<boolean> {
    return new Promise((resolve) => {
      let welcomed = false;
      const ws = new WebSocket(this.o.url, {
        maxPayload: wsPayloadCap(this.limit),
        handshakeTimeout: this.o.handshakeTimeoutMs,
        generateMask: zeroMask,
        ...(this.o.ca === null ? {} : { ca: this.o.ca }),
      });
      const beat = setInterval(() => send(ws, { kind: 'heartbeat', sentMs: Date.now() }), this.o.heartbeatMs);
      let noWelcome: NodeJS.Timeout | undefined;
      ws.on('open', () => {
        this.summary.connections += 1;
        noWelcome = setTimeout(() => {
          this.o.log(`node: no welcome within ${this.o.handshakeTimeoutMs} ms (handshakeTimeoutMs)`);
          ws.terminate();
        }, this.o.handshakeTimeoutMs);
        send(ws, {
          kind: 'join',
          protocolVersion: PROTOCOL_VERSION,
          token: this.o.token,
          nodeId: this.o.nodeId,
          threads: this.o.threads,
          layoutHash: this.o.model.layout.hash(),
          dataHash: this.o.dataHash,
          runHash: this.o.runHash,
        });
      });
      ws.on('message', (data: Buffer) => {
        let frame: Frame;
        try {
          const decoding = performance.now();
          frame = decodeFrame(messageBytes(data), {
            maxFrameBytes: this.limit,
            parameterCount: this.o.model.layout.size,
          });
          this.summary.timings.decodeMs += performance.now() - decoding;
        } catch (error) {
          const e = error as Error & { code?: string };
          this.fatal ??= new ClusterError(
            ClusterErrorCode.BAD_FRAME,
            `node: refused a frame from the coordinator (${e.code ?? 'error'}: ${e.message}); it does not go on with stale parameters`,
            { cause: error },
          );
          ws.close();
          return;
        }
        if (frame.kind === 'welcome') {
          welcomed = true;
          clearTimeout(noWelcome);
        }
        const fatal = this.fatalError(frame, welcomed);
        if (fatal !== null) {
          this.fatal ??= fatal;
          ws.close();
          return;
        }
        this.chain = this.chain
          .then(() => this.handle(ws, frame))
          .catch((error: Error) => {
            this.fatal ??= error;
            ws.close();
          });
      });
      ws.on('close', () => {
        clearInterval(beat);
        clearTimeout(noWelcome);
        resolve(welcomed);
      });
      ws.on('error', (error) => this.o.log(`node: ${error.message}`)); // 'close' follows
    });
  }

  /** An error frame that ends this node: a refused join, or a run the coordinator ended. */
  private fatalError(frame: Frame, welcomed: boolean): ClusterError | null {
    if (frame.kind !== 'error') return null;
    if (!welcomed) {
      return new ClusterError(
        ClusterErrorCode.REFUSED,
        `node: the coordinator refused the join: ${frame.code}: ${frame.message}`,
      );
    }
    if (frame.code === ClusterErrorCode.NON_FINITE)
      return new ClusterError(ClusterErrorCode.NON_FINITE, `node: the coordinator says ${frame.message}`);
    return null;
  }

  private async handle(ws: WebSocket, frame: Frame): Promise<void> {
    const model = this.o.model;
    switch (frame.kind) {
      case 'welcome': {
        const compile = JSON.parse(frame.compile) as CompileOptions;
        if (this.group === null) {
          model.compile(compile);
          model.trainingSeed = frame.seed;
          model.params.set(frame.parameters);
          this.group = await ThreadGroup.start(
            model,
            this.data,
            frame.batchSize,
            this.o.threads,
            resolveOptions(this.o.threads, this.o.threadsOptions),
          );
          if (this.o.bucketBytes > 0) {
            this.buckets = planBuckets(model.layerRanges, this.o.bucketBytes);
            // every piece of a step may still be written when the next step's first is encoded
            this.pieceBuffers = new SendBuffers(2 * this.buckets.length);
            this.o.log(
              `node: gradients in ${this.buckets.length} pieces of at least ${this.o.bucketBytes} bytes (bucketBytes)`,
            );
          }
        } else model.params.set(frame.parameters);
        this.o.log(`node: welcomed as rank ${frame.rank} at step ${frame.step}`);
        return;
      }
      case 'assignment':
        await this.compute(ws, frame);
        return;
      case 'parameters': {
        const applying = performance.now();
        model.params.set(frame.parameters);
        this.summary.timings.applyMs += performance.now() - applying;
        return;
      }
      case 'end':
        this.ended = true;
        this.summary.endStep = frame.step;
        ws.close(1000);
        return;
      case 'error':
        this.o.log(`node: the coordinator says ${frame.code}: ${frame.message}`);
        return;
      default:
        return;
    }
  }

  /** One assignment: the machine's sums, sent whole or in pieces (bucketBytes). */
  private async compute(ws: WebSocket, frame: Extract<Frame, { kind: 'assignment' }>): Promise<void> {
    const group = this.group as ThreadGroup;
    const timings = this.summary.timings;
    const computing = performance.now();
    this.data.assign({ epoch: frame.epoch, start: frame.rangeStart, end: frame.rangeEnd });
    const parts = { offset: frame.partOffset, total: frame.partTotal };
    const gradient = (g: { count: number; sum: number }, values: Float32Array, offset: number): Frame => ({
      kind: 'gradient',
      step: frame.step,
      attempt: frame.attempt,
      count: g.count,
      lossSum: g.sum,
      samples: frame.rangeEnd - frame.rangeStart,
      precision: this.o.precision,
      gradient: values,
      offset,
    });
    if (this.buckets === null) {
      const out = await group.sums(frame.epoch, frame.batchIndex, parts);
      const sending = performance.now();
      timings.computeMs += sending - computing;
      send(ws, gradient(out, out.gradients, 0));
      this.summary.gradientFrames += 1;
      timings.sendMs += performance.now() - sending;
    } else {
      const slot = (this.o.model.memory as ModelMemory).slots[0];
      let sendMs = 0;
      await group.sumsInBuckets(frame.epoch, frame.batchIndex, parts, this.buckets, (b: SummedBucket) => {
        const sending = performance.now();
        send(ws, gradient(b, slot.subarray(b.start, b.end), b.start), this.pieceBuffers as SendBuffers);
        this.summary.gradientFrames += 1;
        sendMs += performance.now() - sending;
      });
      timings.computeMs += performance.now() - computing - sendMs;
      timings.sendMs += sendMs;
    }
    this.summary.assignments += 1;
    this.o.onStep?.({ step: frame.step, timings: { ...timings } });
    if (this.o.scavengeEachStep) {
      scavenge(); // while the coordinator sums and updates (Note [a scavenge a step])
      this.summary.scavenges += 1;
    }
  }
}
