// The coordinator's options: defaults and checks (ERR_CLUSTER_BAD_OPTION names the option),
// and the named limits they default to.
import { describeValue, type Model } from '@recur/nn';
import type { DashboardInfo } from './dashboard-status.js';
import { ClusterErrorCode, fail } from './errors.js';
import type { StepTimings } from './loop.js';
import { incrementalMarkingOption, scavengeOption } from './marking.js';
import { checkHash, checkToken, NO_RUN_HASH } from './wire.js';

/** Named limits of the coordinator (README.md, "Options and limits"). */
export const CLUSTER_LIMITS = {
  /** default and largest maxNodes: members at once */
  maxNodes: 64,
  /** default maxPendingConnections: connections open but not yet joined */
  maxPendingConnections: 16,
} as const;

export interface CoordinatorOptions {
  /** the compiled model whose parameters and optimizer the coordinator owns (loadModel to resume) */
  model: Model;
  /** the data set every node reads: its sample count and SHA-256 identity (@recur/data's dataHash) */
  data: { size: number; hash: string; batchesPerEpoch?: number };
  batchSize: number;
  epochs: number;
  /** the shared secret each node presents in its join (give it from the environment or a file) */
  token: string;
  /**
   * SHA-256 hex of everything beyond the layout and the data that determines the run (seed,
   * optimizer, batch size, model, …: see runHashOf); a node must present the same. Default
   * NO_RUN_HASH, which only nodes without a runHash match.
   */
  runHash?: string;
  /** default '127.0.0.1' */
  host?: string;
  /** default 0: any free port (see coordinator.url) */
  port?: number;
  /** nodes needed before training (re)starts; default 1 */
  minNodes?: number;
  /** most members at once; default and at most CLUSTER_LIMITS.maxNodes (64) */
  maxNodes?: number;
  /** connections open but not yet joined; past it a new one gets HTTP 503; default 16 */
  maxPendingConnections?: number;
  /** serve GET /status and GET / without the token; default false (token in a header or cookie) */
  publicStatus?: boolean;
  /**
   * keep V8's incremental marking in this process; default false: startCoordinator turns it off
   * (marking.ts: the exchange's fresh socket buffers make it cost more than marking at once)
   */
  incrementalMarking?: boolean;
  /**
   * collect V8's young generation after each step's parameters are sent; default true
   * (marking.ts, Note [a scavenge a step])
   */
  scavengeEachStep?: boolean;
  /** written atomically every `everySteps` steps (default 0: only at the end) and at the end */
  checkpoint?: { path: string; everySteps?: number; preprocessing?: unknown };
  /** continue from the model's training position (a model from loadModel of a checkpoint) */
  resume?: boolean;
  /** a member that sends nothing for this long is evicted; default 10 000 ms */
  heartbeatTimeoutMs?: number;
  /** a member without its gradient this long after an assignment is evicted; default 120 000 ms */
  stepDeadlineMs?: number;
  /** a connection must join within this; default 10 000 ms */
  joinTimeoutMs?: number;
  /** the run fails if fewer than minNodes are members for this long; default 600 000 ms */
  startTimeoutMs?: number;
  /** how long the ended coordinator keeps serving (status, the end frame); default 1 000 ms */
  endGraceMs?: number;
  /** serve wss:// with this certificate and key (PEM) */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** one line per membership change and at the end; default silent */
  log?: (line: string) => void;
  /** after every optimizer step */
  onStep?: (info: { step: number; loss: number; members: number; timings: StepTimings }) => void;
  /**
   * the live page (GET /, /status, /events): the run's name, the kernels, and its limits
   * (maxStreams open event streams, default 16; refreshMs, default 1000)
   */
  dashboard?: DashboardInfo & { maxStreams?: number; refreshMs?: number };
}

export interface Resolved {
  model: Model;
  data: { size: number; hash: string; batchesPerEpoch?: number };
  batchSize: number;
  epochs: number;
  token: string;
  runHash: string;
  host: string;
  port: number;
  minNodes: number;
  maxNodes: number;
  maxPendingConnections: number;
  publicStatus: boolean;
  incrementalMarking: boolean;
  scavengeEachStep: boolean;
  checkpoint: { path: string; everySteps: number; preprocessing: unknown } | null;
  resume: boolean;
  heartbeatTimeoutMs: number;
  stepDeadlineMs: number;
  joinTimeoutMs: number;
  startTimeoutMs: number;
  endGraceMs: number;
  tls: { cert: string | Buffer; key: string | Buffer } | null;
  log: (line: string) => void;
  onStep: CoordinatorOptions['onStep'];
  dashboard: NonNullable<CoordinatorOptions['dashboard']>;
}

const bad = (what: string, rule: string, got: unknown): never =>
  fail(ClusterErrorCode.BAD_OPTION, `coordinator: ${what} must be ${rule}, got ${describeValue(got)}`);

function integer(what: string, value: unknown, min: number, fallback: number, max = Infinity): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    bad(what, max === Infinity ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`, value);
  return value as number;
}

/** minNodes and maxNodes: both at most CLUSTER_LIMITS.maxNodes, minNodes ≤ maxNodes. */
function nodeCounts(o: CoordinatorOptions): { minNodes: number; maxNodes: number } {
  const cap = CLUSTER_LIMITS.maxNodes;
  const minNodes = integer('minNodes', o.minNodes, 1, 1, cap);
  const maxNodes = integer('maxNodes', o.maxNodes, 1, cap, cap);
  if (minNodes > maxNodes) bad('minNodes', `at most maxNodes (${maxNodes})`, minNodes);
  return { minNodes, maxNodes };
}

export function resolveCoordinatorOptions(o: CoordinatorOptions): Resolved {
  if (typeof o !== 'object' || o === null) bad('options', 'an object', o);
  if (o.model?.compiled === null || o.model?.compiled === undefined)
    bad('model', 'a compiled model', typeof o.model);
  checkToken(o.token, 'coordinator');
  if (o.runHash !== undefined) checkHash(o.runHash, 'coordinator: runHash');
  if (typeof o.data !== 'object' || o.data === null) bad('data', '{ size, hash }', o.data);
  integer('data.size', o.data.size, 1, 0);
  if (typeof o.data.hash !== 'string' || !/^[0-9a-f]{64}$/.test(o.data.hash))
    bad('data.hash', '64 lowercase hex digits', o.data.hash);
  const { minNodes, maxNodes } = nodeCounts(o);
  const c = o.checkpoint;
  if (c !== undefined && (typeof c?.path !== 'string' || c.path === ''))
    bad('checkpoint.path', 'a file path', c?.path);
  if (o.tls !== undefined && (o.tls?.cert === undefined || o.tls?.key === undefined))
    bad('tls', '{ cert, key }', 'incomplete');
  return {
    model: o.model,
    data: o.data,
    batchSize: integer('batchSize', o.batchSize, 1, 0),
    epochs: integer('epochs', o.epochs, 1, 0),
    token: o.token,
    runHash: o.runHash ?? NO_RUN_HASH,
    host: o.host ?? '127.0.0.1',
    port: integer('port', o.port, 0, 0),
    minNodes,
    maxNodes,
    maxPendingConnections: integer(
      'maxPendingConnections',
      o.maxPendingConnections,
      1,
      CLUSTER_LIMITS.maxPendingConnections,
    ),
    publicStatus: o.publicStatus === true,
    incrementalMarking: incrementalMarkingOption('coordinator', o.incrementalMarking),
    scavengeEachStep: scavengeOption('coordinator', o.scavengeEachStep),
    checkpoint:
      c === undefined
        ? null
        : {
            path: c.path,
            everySteps: integer('checkpoint.everySteps', c.everySteps, 0, 0),
            preprocessing: c.preprocessing ?? null,
          },
    resume: o.resume === true,
    heartbeatTimeoutMs: integer('heartbeatTimeoutMs', o.heartbeatTimeoutMs, 1, 10_000),
    stepDeadlineMs: integer('stepDeadlineMs', o.stepDeadlineMs, 1, 120_000),
    joinTimeoutMs: integer('joinTimeoutMs', o.joinTimeoutMs, 1, 10_000),
    startTimeoutMs: integer('startTimeoutMs', o.startTimeoutMs, 1, 600_000),
    endGraceMs: integer('endGraceMs', o.endGraceMs, 0, 1_000),
    tls: o.tls ?? null,
    log: o.log ?? (() => {}),
    onStep: o.onStep,
    dashboard: o.dashboard ?? {},
  };
}
