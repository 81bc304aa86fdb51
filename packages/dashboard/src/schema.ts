// The numbers of the live page, as GET /status returns them (schemaVersion 1, README.md "The
// JSON"): one shape for a coordinator's run and a local `recur train --serve`. The page is
// rendered from this object only, so the page and the JSON always agree.

/** Bumped when a field changes meaning or goes away (adding one does not bump it). */
export const SCHEMA_VERSION = 1;

/** Named limits of the dashboard (README.md, "Limits"). */
export const DASHBOARD_LIMITS = {
  /** default maxStreams: open event streams (GET /events) at once; one more gets HTTP 503 */
  maxStreams: 16,
  /** default refreshMs: the page and its JSON are built at most this often */
  refreshMs: 1000,
  /** default maxQueuedBytes: a stream with more unsent bytes than this skips updates */
  maxQueuedBytes: 1 << 20,
  /** points kept per chart (older ones are thinned out) */
  chartPoints: 200,
  /** a render not answered within this shows the tables alone, saying why */
  renderTimeoutMs: 30_000,
  /** events kept in the log (the oldest go first) */
  events: 200,
} as const;

export const DashboardErrorCode = {
  /** maxStreams event streams are open already */
  TOO_MANY_STREAMS: 'ERR_DASHBOARD_TOO_MANY_STREAMS',
  /** serveDashboard was given a host that is not loopback */
  NOT_LOOPBACK: 'ERR_DASHBOARD_NOT_LOOPBACK',
  /** serveDashboard could not listen (port in use, …) */
  LISTEN_FAILED: 'ERR_DASHBOARD_LISTEN_FAILED',
  /** an option out of range */
  BAD_OPTION: 'ERR_DASHBOARD_BAD_OPTION',
} as const;

export type RunState = 'waiting' | 'training' | 'ended';

/** One worker: a node of the cluster, or a thread of a local run. */
export interface WorkerRow {
  /** node id, or "thread <rank>" */
  id: string;
  rank: number;
  threads: number;
  /** optimizer steps it contributed to */
  steps: number;
  /** over the last steps it took part in (0 before two) */
  stepsPerSecond: number;
  /** mean ms per step computing (a node: assignment sent → its gradient back) */
  computeMs: number;
  /** mean ms per step waiting (a node: its gradient back → the step's parameters sent) */
  waitMs: number;
  /** mean bytes per step received from it / sent to it (null where not measured: threads) */
  bytesInPerStep: number | null;
  bytesOutPerStep: number | null;
  /** parts of steps it was assigned again after a failed attempt */
  attempts: number;
  /** times it was evicted (by id, over rejoins) */
  evictions: number;
  /** ms since its last frame (null for threads) */
  lastSeenMsAgo: number | null;
}

export interface RunEvent {
  /** ISO time */
  at: string;
  kind: 'join' | 'leave' | 'eviction' | 'checkpoint' | 'restart' | 'refused' | 'retry' | 'end';
  message: string;
  /** the ERR_ code of a refusal or an eviction */
  code?: string;
}

export interface DashboardStatus {
  schemaVersion: typeof SCHEMA_VERSION;
  kind: 'cluster' | 'local';
  /** the run's name */
  title: string;
  state: RunState;
  progress: {
    /** epochs finished (0-based index of the epoch under way) */
    epoch: number;
    epochs: number;
    /** batch within the epoch */
    batch: number;
    batchesPerEpoch: number;
    /** optimizer steps done / planned */
    step: number;
    steps: number;
    elapsedSeconds: number;
    /** from the recent steps' pace; null before two steps or once ended */
    etaSeconds: number | null;
  };
  /** over the recent steps */
  samplesPerSecond: number;
  /** samples/s over time: seconds since the start */
  throughput: { seconds: number; samplesPerSecond: number }[];
  /** training loss per step (mean over the batch) */
  loss: { step: number; loss: number }[];
  /** validation metrics per finished epoch (1-based) */
  validation: { epoch: number; name: string; value: number }[];
  /** learning rate per step (the schedule's), and the current one */
  learningRate: { current: number | null; history: { step: number; lr: number }[] };
  workers: WorkerRow[];
  events: RunEvent[];
  kernels: { backend: string; isa: string; threads: number } | null;
  /** the last checkpoint written: file name only, never a path */
  checkpoint: { name: string; step: number } | null;
}

/** Keeps at most `max` points: every k-th, and always the last. */
export function thin<T>(points: readonly T[], max: number = DASHBOARD_LIMITS.chartPoints): T[] {
  if (points.length <= max) return [...points];
  const every = Math.ceil(points.length / max);
  const kept = points.filter((_, i) => i % every === 0);
  if (kept.at(-1) !== points.at(-1)) kept.push(points.at(-1) as T);
  return kept;
}

/** Exponential moving average (TensorBoard's smoothing), debiased at the start. */
export function smooth(values: readonly number[], weight = 0.9): number[] {
  let last = 0;
  return values.map((v, i) => {
    last = last * weight + (1 - weight) * v;
    return last / (1 - weight ** (i + 1));
  });
}

/** A bounded list of events: push drops the oldest past DASHBOARD_LIMITS.events. */
export class EventLog {
  readonly events: RunEvent[] = [];
  constructor(private readonly max: number = DASHBOARD_LIMITS.events) {}

  /** Adds an event; a checkpoint right after a checkpoint replaces it (one line per series). */
  add(kind: RunEvent['kind'], message: string, code?: string): void {
    if (kind === 'checkpoint' && this.events.at(-1)?.kind === 'checkpoint') this.events.pop();
    this.events.push({
      at: new Date().toISOString(),
      kind,
      message,
      ...(code === undefined ? {} : { code }),
    });
    if (this.events.length > this.max) this.events.shift();
  }
}

/** Seconds left at the recent pace: `left` steps × the mean step time of `stamps` (ms). */
export function eta(stamps: readonly number[], left: number): number | null {
  if (stamps.length < 2 || left <= 0) return left <= 0 ? 0 : null;
  const recent = stamps.slice(-21);
  const perStep = (recent[recent.length - 1] - recent[0]) / (recent.length - 1);
  return (perStep * left) / 1000;
}

/** One optimizer step as the page's throughput needs it: when it ended, how many samples. */
export interface StepTime {
  /** performance.now() at its end */
  at: number;
  samples: number;
}

/** Samples/s over the last `window` steps of `steps` (0 before two). */
export function recentRate(steps: readonly StepTime[], window = 10): number {
  const recent = steps.slice(-(window + 1));
  if (recent.length < 2) return 0;
  const seconds = (recent[recent.length - 1].at - recent[0].at) / 1000;
  return seconds > 0 ? recent.slice(1).reduce((a, r) => a + r.samples, 0) / seconds : 0;
}

/** Samples/s over time, each point the rate over the `window` steps before it (seconds since `startedAt`). */
export function throughputSeries(
  steps: readonly StepTime[],
  startedAt: number,
  window = 10,
): DashboardStatus['throughput'] {
  const points: DashboardStatus['throughput'] = [];
  for (let i = 1; i < steps.length; i++) {
    points.push({
      seconds: (steps[i].at - startedAt) / 1000,
      samplesPerSecond: recentRate(steps.slice(Math.max(0, i - window), i + 1), window),
    });
  }
  return thin(points);
}
