// A node of a cluster: connects to the coordinator, joins with its token and the hashes of its
// model's layout and its data, then computes every assignment on a @recur/parallel thread group
// (the machine's gradients are reduced in shared memory first), sends one gradient sum per step
// and applies the parameters it receives. It keeps no optimizer state. A lost connection is
// retried with exponential backoff for reconnectTimeoutMs; the run's end frame ends it cleanly.
import { availableParallelism, hostname } from 'node:os';
import type { BatchSource, CompileOptions, Model } from '@recur/nn';
import { resolveOptions, ThreadGroup, type ThreadsOptions } from '@recur/parallel';
import { decodeFrame, type Frame, maxFrameBytes, PROTOCOL_VERSION, type Precision } from '@recur/protocol';
import { WebSocket } from 'ws';
import { ClusterError, ClusterErrorCode, fail } from './errors.js';
import { messageBytes, send, wsPayloadCap } from './wire.js';

export interface NodeOptions {
  /** ws://host:port or wss://host:port of the coordinator */
  url: string;
  /** the cluster's token (from the environment or a file; never a command-line argument) */
  token: string;
  /** the same architecture as the coordinator's (its layout hash is checked at join) */
  model: Model;
  /** the node's local copy of the data set */
  source: BatchSource;
  /** SHA-256 identity of that data set, as the coordinator's */
  dataHash: string;
  /** threads on this machine; default the available cores */
  threads?: number;
  nodeId?: string;
  /** gradients on the wire: 'fp32' (default) or 'fp16' (half the bytes, sum / count rounded) */
  precision?: Precision;
  /** default 1 000 ms */
  heartbeatMs?: number;
  /** give up after this long without a connection; default 60 000 ms */
  reconnectTimeoutMs?: number;
  /** first and longest wait between attempts; default 100 and 2 000 ms */
  backoff?: { initialMs?: number; maxMs?: number };
  /** options of the thread group (timeouts, accumulate) */
  threadsOptions?: ThreadsOptions;
  /** extra CA certificates (PEM) to trust for wss:// (a self-signed coordinator) */
  ca?: string | Buffer;
  log?: (line: string) => void;
}

export interface NodeSummary {
  /** assignments computed */
  assignments: number;
  /** connections made (1 + reconnections) */
  connections: number;
  /** the step the run ended at */
  endStep: number;
}

/** Runs a node until the coordinator ends the run; rejects with a coded ClusterError. */
export async function runNode(options: NodeOptions): Promise<NodeSummary> {
  return new ClusterNode(options).run();
}

class ClusterNode {
  private readonly threads: number;
  private readonly precision: Precision;
  private readonly limit: number;
  private group: ThreadGroup | null = null;
  /** frames are handled one after another, across connections: the group is not re-entrant */
  private chain: Promise<void> = Promise.resolve();
  private readonly summary: NodeSummary = { assignments: 0, connections: 0, endStep: 0 };
  private ended = false;
  private fatal: Error | null = null;

  constructor(private readonly o: NodeOptions) {
    this.threads = o.threads ?? availableParallelism();
    this.precision = o.precision ?? 'fp32';
    if (this.precision !== 'fp32' && this.precision !== 'fp16') {
      fail(
        ClusterErrorCode.BAD_OPTION,
        `node: precision must be 'fp32' or 'fp16', got ${String(o.precision)}`,
      );
    }
    if (!/^[0-9a-f]{64}$/.test(o.dataHash))
      fail(ClusterErrorCode.BAD_OPTION, 'node: dataHash must be 64 lowercase hex digits');
    resolveOptions(this.threads, o.threadsOptions ?? {});
    this.limit = maxFrameBytes(o.model.layout.size);
  }

  async run(): Promise<NodeSummary> {
    const initial = this.o.backoff?.initialMs ?? 100;
    const longest = this.o.backoff?.maxMs ?? 2_000;
    const window = this.o.reconnectTimeoutMs ?? 60_000;
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
        ...(this.o.ca ? { ca: this.o.ca } : {}),
      });
      const beat = setInterval(
        () => send(ws, { kind: 'heartbeat', sentMs: Date.now() }),
        this.o.heartbeatMs ?? 1_000,
      );
      ws.on('open', () => {
        this.summary.connections += 1;
        send(ws, {
          kind: 'join',
          protocolVersion: PROTOCOL_VERSION,
          token: this.o.token,
          nodeId: this.o.nodeId ?? `${hostname()}-${process.pid}`,
          threads: this.threads,
          layoutHash: this.o.model.layout.hash(),
          dataHash: this.o.dataHash,
        });
      });
      ws.on('message', (data: Buffer) => {
        let frame: Frame;
        try {
          frame = decodeFrame(messageBytes(data), {
            maxFrameBytes: this.limit,
            parameterCount: this.o.model.layout.size,
          });
        } catch (error) {
          this.o.log?.(`node: refused a frame from the coordinator: ${(error as Error).message}`);
          return;
        }
        if (frame.kind === 'welcome') welcomed = true;
        if (frame.kind === 'error' && !welcomed) {
          this.fatal = new ClusterError(
            ClusterErrorCode.REFUSED,
            `node: the coordinator refused the join: ${frame.code}: ${frame.message}`,
          );
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
        resolve(welcomed);
      });
      ws.on('error', (error) => this.o.log?.(`node: ${error.message}`)); // 'close' follows
    });
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
            this.o.source,
            frame.batchSize,
            this.threads,
            resolveOptions(this.threads, this.o.threadsOptions ?? {}),
          );
        } else model.params.set(frame.parameters);
        this.o.log?.(`node: welcomed as rank ${frame.rank} at step ${frame.step}`);
        return;
      }
      case 'assignment': {
        const group = this.group as ThreadGroup;
        const out = await group.sums(frame.epoch, frame.batchIndex, {
          offset: frame.partOffset,
          total: frame.partTotal,
        });
        this.summary.assignments += 1;
        send(ws, {
          kind: 'gradient',
          step: frame.step,
          attempt: frame.attempt,
          count: out.count,
          lossSum: out.sum,
          samples: frame.rangeEnd - frame.rangeStart,
          precision: this.precision,
          gradient: out.gradients,
        });
        return;
      }
      case 'parameters':
        model.params.set(frame.parameters);
        return;
      case 'end':
        this.ended = true;
        this.summary.endStep = frame.step;
        ws.close(1000);
        return;
      case 'error':
        this.o.log?.(`node: the coordinator says ${frame.code}: ${frame.message}`);
        return;
      default:
        return;
    }
  }
}
