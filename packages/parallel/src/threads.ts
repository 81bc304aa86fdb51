// threads(W): a TrainingStrategy for @recur/nn's fit that trains one model on W worker threads
// (DESIGN.md, "Threads"): it validates the options and runs each fit step on a ThreadGroup
// (group.ts), which owns the pool, the shared arena and the control block.
import { availableParallelism } from 'node:os';
import { describeValue, type TrainingStrategy } from '@recur/nn';
import { ParallelError, ParallelErrorCode } from './errors.js';
import { type GroupOptions, type RankTimings, ThreadGroup, type ThreadsProgress } from './group.js';
import type { FaultInjection } from './rank-init.js';

export interface ThreadsOptions {
  /** micro-batches per rank per optimizer step (gradient accumulation); default 1 */
  accumulate?: number;
  /**
   * a rank that finishes its micro-batches takes what is left of slower ranks' (Note [balanced
   * micro-batches], balance.ts); the result does not depend on who computed what; default false
   */
  balance?: boolean;
  /** the longest a rank waits at a barrier for the others; default 60 000 ms */
  barrierTimeoutMs?: number;
  /** the longest the main thread waits for one step; default 600 000 ms */
  stepTimeoutMs?: number;
  /** the longest the threads may take to start and attach; default 30 000 ms */
  startTimeoutMs?: number;
  /** the longest a rank waits for the next command (validation, callbacks); default 3 600 000 ms */
  idleTimeoutMs?: number;
  /** the longest closing may take before the threads are terminated; default 10 000 ms */
  closeTimeoutMs?: number;
  /** test-only fault injection (see README) */
  inject?: FaultInjection;
}

export const THREADS_LIMITS = {
  /** most threads threads() accepts */
  maxWorld: 256,
  /** most micro-batches per rank */
  maxAccumulate: 1024,
} as const;

export interface ThreadsStrategy extends TrainingStrategy {
  readonly world: number;
  progress(): ThreadsProgress;
  timings(): RankTimings[];
}

const DEFAULTS = {
  accumulate: 1,
  barrierTimeoutMs: 60_000,
  stepTimeoutMs: 600_000,
  startTimeoutMs: 30_000,
  idleTimeoutMs: 3_600_000,
  closeTimeoutMs: 10_000,
};

/** A strategy that trains on `world` threads (default: the available cores). */
export function threads(
  world: number = availableParallelism(),
  options: ThreadsOptions = {},
): ThreadsStrategy {
  const o = resolveOptions(world, options);
  let run: ThreadGroup | null = null;
  let lastProgress: ThreadsProgress = { steps: 0, samples: 0 };
  let lastTimings: RankTimings[] = [];
  const closeRun = async () => {
    if (run === null) return;
    const ending = run;
    run = null;
    lastProgress = ending.progress();
    lastTimings = ending.timings();
    await ending.close();
  };
  return {
    name: `threads(${world})`,
    world,
    async step(model, source, epoch, batchIndex, batchSize) {
      if (run !== null && !run.serves(model, source, batchSize)) await closeRun();
      run ??= await ThreadGroup.start(model, source, batchSize, world, o);
      const group = run;
      try {
        return await group.step(epoch, batchIndex);
      } catch (error) {
        await closeRun();
        throw error;
      }
    },
    close: closeRun,
    progress: () => run?.progress() ?? lastProgress,
    timings: () => run?.timings() ?? lastTimings,
  };
}

type Resolved = GroupOptions;

/** Checks threads() options for `world` threads and fills in the defaults. */
export function resolveOptions(world: number, options: ThreadsOptions): Resolved {
  const bad = (what: string, got: unknown, rule: string): never => {
    throw new ParallelError(
      ParallelErrorCode.BAD_OPTION,
      `threads: ${what} must be ${rule}, got ${describeValue(got)}`,
    );
  };
  if (!Number.isInteger(world) || world < 1 || world > THREADS_LIMITS.maxWorld) {
    bad('the thread count', world, `an integer in [1, ${THREADS_LIMITS.maxWorld}] (THREADS_LIMITS.maxWorld)`);
  }
  if (typeof options !== 'object' || options === null) bad('options', options, 'an object');
  const known = new Set([...Object.keys(DEFAULTS), 'balance', 'inject']);
  for (const key of Object.keys(options))
    if (!known.has(key)) bad(`option '${key}'`, key, `one of ${[...known].join(', ')}`);
  if (options.balance !== undefined && typeof options.balance !== 'boolean') {
    bad('balance', options.balance, 'true or false');
  }
  const out: Resolved = { ...DEFAULTS, balance: options.balance ?? false, inject: options.inject ?? null };
  for (const key of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
    const value = options[key];
    if (value === undefined) continue;
    const max = key === 'accumulate' ? THREADS_LIMITS.maxAccumulate : 2 ** 31 - 1;
    if (!Number.isInteger(value) || value < 1 || value > max) bad(key, value, `an integer in [1, ${max}]`);
    out[key] = value;
  }
  return out;
}
