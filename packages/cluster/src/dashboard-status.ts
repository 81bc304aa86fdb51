// The coordinator's numbers in the live page's shape (@recur/dashboard's DashboardStatus,
// GET /status): progress and ETA from the training position, samples/s and the loss from the
// loop's history, the learning rate from the optimizer's schedule, each node from RunStats.
// Called at most once per refresh by the Dashboard, never per step.
import { basename } from 'node:path';
import {
  type DashboardStatus,
  eta,
  recentRate,
  SCHEMA_VERSION,
  thin,
  throughputSeries,
  type WorkerRow,
} from '@recur/dashboard';
import type { CoordinatorCore } from './connections.js';
import type { Member } from './membership.js';
import type { Resolved } from './options.js';
import type { NodeStats } from './run-stats.js';

/** What the caller adds that the coordinator does not know (the CLI's run name and kernels). */
export interface DashboardInfo {
  /** the run's name; default 'cluster run' */
  title?: string;
  /** the coordinator process's kernel backend (it applies the optimizer) */
  kernels?: { backend: string; isa: string; threads: number };
}

function stepsPerSecond(ends: readonly number[]): number {
  if (ends.length < 2) return 0;
  return ((ends.length - 1) * 1000) / (ends[ends.length - 1] - ends[0]);
}

function workerRow(m: Member, s: NodeStats, now: number): WorkerRow {
  return {
    id: m.nodeId,
    rank: m.rank,
    threads: m.threads,
    steps: m.steps,
    stepsPerSecond: stepsPerSecond(s.stepEnds),
    computeMs: s.computeMs.mean() ?? 0,
    waitMs: s.waitMs.mean() ?? 0,
    bytesInPerStep: s.bytesIn.mean(),
    bytesOutPerStep: s.bytesOut.mean(),
    attempts: s.attempts,
    evictions: s.evictions,
    lastSeenMsAgo: Math.round(now - m.lastSeen),
  };
}

export function clusterStatus(core: CoordinatorCore, o: Resolved, info: DashboardInfo): DashboardStatus {
  const now = performance.now();
  const compiled = o.model.compiled;
  const step = compiled?.step ?? 0;
  const batches = o.data.batchesPerEpoch ?? Math.ceil(o.data.size / o.batchSize);
  const { epoch, position } = o.model.trainingPosition;
  const history = core.loop.lossHistory;
  const left = o.epochs * batches - (epoch * batches + position);
  const checkpoint = core.loop.lastCheckpoint;
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: 'cluster',
    title: info.title ?? 'cluster run',
    state: core.loop.state,
    progress: {
      epoch,
      epochs: o.epochs,
      batch: position,
      batchesPerEpoch: batches,
      step,
      steps: step + Math.max(0, left),
      elapsedSeconds: (now - core.stats.startedAt) / 1000,
      etaSeconds:
        core.loop.state === 'ended'
          ? 0
          : eta(
              history.map((r) => r.at),
              left,
            ),
    },
    samplesPerSecond: recentRate(history),
    throughput: throughputSeries(history, core.stats.startedAt),
    loss: thin(history.map(({ step: s, loss }) => ({ step: s, loss }))),
    validation: [],
    learningRate: {
      current: compiled === null ? null : compiled.schedule(step),
      history:
        compiled === null ? [] : thin(history.map((r) => ({ step: r.step, lr: compiled.schedule(r.step) }))),
    },
    workers: core.membership.sorted().map((m) => workerRow(m, core.stats.node(m.nodeId), now)),
    events: [...core.stats.log.events],
    kernels: info.kernels ?? null,
    checkpoint: checkpoint === null ? null : { name: basename(checkpoint.path), step: checkpoint.step },
  };
}
