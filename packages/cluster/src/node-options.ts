// The node's options: defaults and checks (ERR_CLUSTER_BAD_OPTION names the option), as
// options.ts does for the coordinator.
import { availableParallelism, hostname } from 'node:os';
import { type BatchSource, describeValue, type Model } from '@recur/nn';
import { resolveOptions, type ThreadsOptions } from '@recur/parallel';
import type { Precision } from '@recur/protocol';
import { ClusterErrorCode, fail } from './errors.js';
import { incrementalMarkingOption, scavengeOption } from './marking.js';
import type { NodeTimings } from './node.js';
import { checkHash, checkToken, NO_RUN_HASH } from './wire.js';

export interface NodeOptions {
  /** ws://host:port or wss://host:port of the coordinator */
  url: string;
  /** the cluster's token (from the environment or a file; never a command-line argument) */
  token: string;
  /** the same architecture as the coordinator's (its layout hash is checked at join) */
  model: Model;
  /** the node's local copy of the data set; it must have fillRange (the node reads only assigned ranges) */
  source: BatchSource;
  /** SHA-256 identity of that data set, as the coordinator's */
  dataHash: string;
  /** the run hash, as the coordinator's (runHashOf); default NO_RUN_HASH */
  runHash?: string;
  /** threads on this machine; default the available cores */
  threads?: number;
  nodeId?: string;
  /** gradients on the wire: 'fp32' (default) or 'fp16' (half the bytes, sum / count rounded) */
  precision?: Precision;
  /**
   * send the gradient in pieces while the backward goes on (DDP's bucket_cap_mb, in bytes):
   * layers are merged from the top until a piece holds at least this many bytes of fp32 sums;
   * default 0: one whole gradient after the backward, as before
   */
  bucketBytes?: number;
  /** default 1 000 ms */
  heartbeatMs?: number;
  /** the WebSocket handshake, and then the welcome, must each arrive within this; default 10 000 ms */
  handshakeTimeoutMs?: number;
  /** give up after this long without a connection; default 60 000 ms */
  reconnectTimeoutMs?: number;
  /** first and longest wait between attempts; default 100 and 2 000 ms */
  backoff?: { initialMs?: number; maxMs?: number };
  /** options of the thread group (timeouts, accumulate) */
  threadsOptions?: ThreadsOptions;
  /** extra CA certificates (PEM) to trust for wss:// (a self-signed coordinator) */
  ca?: string | Buffer;
  log?: (line: string) => void;
  /**
   * keep V8's incremental marking in this process; default false: runNode turns it off
   * (marking.ts: the exchange's fresh socket buffers make it cost more than marking at once)
   */
  incrementalMarking?: boolean;
  /**
   * collect V8's young generation after each gradient sent; default true (marking.ts, Note [a
   * scavenge a step]: the step's socket buffers go back to malloc for the next step's reads)
   */
  scavengeEachStep?: boolean;
  /** after each gradient is sent: the step and this node's timings so far (a copy) */
  onStep?: (info: { step: number; timings: NodeTimings }) => void;
}

export interface ResolvedNode {
  url: string;
  token: string;
  model: Model;
  source: BatchSource;
  dataHash: string;
  runHash: string;
  threads: number;
  nodeId: string;
  precision: Precision;
  bucketBytes: number;
  heartbeatMs: number;
  handshakeTimeoutMs: number;
  reconnectTimeoutMs: number;
  backoff: { initialMs: number; maxMs: number };
  threadsOptions: ThreadsOptions;
  ca: string | Buffer | null;
  log: (line: string) => void;
  incrementalMarking: boolean;
  scavengeEachStep: boolean;
  onStep: ((info: { step: number; timings: NodeTimings }) => void) | null;
}

function integer(what: string, value: unknown, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    fail(ClusterErrorCode.BAD_OPTION, `node: ${what} must be an integer ≥ ${min}, got ${String(value)}`);
  return value as number;
}

export function resolveNodeOptions(o: NodeOptions): ResolvedNode {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    fail(
      ClusterErrorCode.BAD_OPTION,
      `node: options must be an object { url, token, model, … }, got ${describeValue(o)}`,
    );
  }
  const threads = o.threads ?? availableParallelism();
  const precision = o.precision ?? 'fp32';
  if (precision !== 'fp32' && precision !== 'fp16') {
    fail(ClusterErrorCode.BAD_OPTION, `node: precision must be 'fp32' or 'fp16', got ${String(o.precision)}`);
  }
  checkHash(o.dataHash, 'node: dataHash');
  if (o.runHash !== undefined) checkHash(o.runHash, 'node: runHash');
  checkToken(o.token, 'node');
  const threadsOptions = o.threadsOptions ?? {};
  const bucketBytes = integer('bucketBytes', o.bucketBytes, 0, 0);
  if (resolveOptions(threads, threadsOptions).balance && bucketBytes > 0) {
    fail(
      ClusterErrorCode.BAD_OPTION,
      'node: threadsOptions.balance cannot be combined with bucketBytes (a bucket is final only once every micro-batch is)',
    );
  }
  return {
    url: o.url,
    token: o.token,
    model: o.model,
    source: o.source,
    dataHash: o.dataHash,
    runHash: o.runHash ?? NO_RUN_HASH,
    threads,
    nodeId: o.nodeId ?? `${hostname()}-${process.pid}`,
    precision,
    bucketBytes,
    heartbeatMs: integer('heartbeatMs', o.heartbeatMs, 1, 1_000),
    handshakeTimeoutMs: integer('handshakeTimeoutMs', o.handshakeTimeoutMs, 1, 10_000),
    reconnectTimeoutMs: integer('reconnectTimeoutMs', o.reconnectTimeoutMs, 0, 60_000),
    backoff: {
      initialMs: integer('backoff.initialMs', o.backoff?.initialMs, 1, 100),
      maxMs: integer('backoff.maxMs', o.backoff?.maxMs, 1, 2_000),
    },
    threadsOptions,
    ca: o.ca ?? null,
    log: o.log ?? (() => {}),
    incrementalMarking: incrementalMarkingOption('node', o.incrementalMarking),
    scavengeEachStep: scavengeOption('node', o.scavengeEachStep),
    onStep: o.onStep ?? null,
  };
}
