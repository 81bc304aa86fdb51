// How a thread group learns that a rank failed, and the coded error it reports: each rank's
// Piscina task resolves with an outcome (ok, or the code and message of what it threw) or
// rejects when its thread dies. The first failure is kept (a rank that stopped because another
// failed, PEER_FAILED, is never the cause), every rank is told to abort, and the group's waits
// turn it into one ParallelError naming the rank and keeping the rank's own error as the cause.
import { abortAll, type ControlBlock } from './control.js';
import { ParallelError, ParallelErrorCode } from './errors.js';
import type { RankOutcome } from './rank-init.js';

export class RankFailures {
  private first: { rank: number; outcome: RankOutcome | Error } | null = null;
  /** resolves when the first failure is recorded */
  private readonly failed: Promise<void>;
  private onFailure: () => void = () => {};
  /** resolves when every rank's task has ended, one way or another */
  readonly settled: Promise<unknown>;

  constructor(
    tasks: readonly Promise<RankOutcome>[],
    private readonly control: ControlBlock,
  ) {
    this.failed = new Promise((resolve) => {
      this.onFailure = resolve;
    });
    tasks.forEach((task, rank) => {
      task.then(
        (outcome) => {
          if (!outcome.ok && outcome.code !== ParallelErrorCode.PEER_FAILED) this.record(rank, outcome);
        },
        (error: Error) => this.record(rank, error),
      );
    });
    this.settled = Promise.allSettled(tasks);
  }

  /**
   * The coded error for the first failure, once it is recorded or every rank has ended (at most
   * `timeoutMs` later): THREAD_EXITED for a thread that died, a rank's BARRIER_TIMEOUT or
   * LAYOUT_MISMATCH as it is, RANK_FAILED for anything else.
   */
  async error(timeoutMs: number): Promise<Error> {
    await withTimeout(Promise.race([this.failed, this.settled]), timeoutMs);
    const f = this.first;
    if (f === null) {
      return new ParallelError(
        ParallelErrorCode.RANK_FAILED,
        'threads: the run was aborted with no rank reporting a cause',
      );
    }
    if (f.outcome instanceof Error) {
      return new ParallelError(
        ParallelErrorCode.THREAD_EXITED,
        `threads: rank ${f.rank}'s thread ended: ${f.outcome.message}`,
        {
          rank: f.rank,
          cause: f.outcome,
        },
      );
    }
    const outcome = f.outcome as Extract<RankOutcome, { ok: false }>;
    const code = outcome.code === null ? '' : ` (${outcome.code})`;
    const passThrough =
      outcome.code === ParallelErrorCode.BARRIER_TIMEOUT ||
      outcome.code === ParallelErrorCode.LAYOUT_MISMATCH;
    return new ParallelError(
      passThrough
        ? (outcome.code as typeof ParallelErrorCode.BARRIER_TIMEOUT)
        : ParallelErrorCode.RANK_FAILED,
      passThrough ? outcome.message : `threads: rank ${f.rank} failed${code}: ${outcome.message}`,
      {
        rank: f.rank,
        cause: Object.assign(new Error(outcome.message), { code: outcome.code, stack: outcome.stack }),
      },
    );
  }

  private record(rank: number, outcome: RankOutcome | Error): void {
    this.first ??= { rank, outcome };
    abortAll(this.control, rank);
    this.onFailure();
  }
}

/** Whether `promise` settles within `ms` (it is not cancelled when it does not). */
export async function withTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
