// The error type of @recur/parallel and its registry of stable codes (listed in README.md).
// Every error names the rank it concerns and the way out where there is one.

export const ParallelErrorCode = {
  /** an option of threads() has the wrong type or is out of range */
  BAD_OPTION: 'ERR_PARALLEL_BAD_OPTION',
  /** the model cannot train on threads as it is (not compiled, or a part threads do not support) */
  BAD_MODEL: 'ERR_PARALLEL_BAD_MODEL',
  /** a rank threw: the message names the rank and carries its error's code and message */
  RANK_FAILED: 'ERR_PARALLEL_RANK_FAILED',
  /** a rank's thread exited (process.exit in the worker, a crash, an out-of-memory kill) */
  THREAD_EXITED: 'ERR_PARALLEL_THREAD_EXITED',
  /** a rank waited at a barrier longer than barrierTimeoutMs: another rank is stuck or too slow */
  BARRIER_TIMEOUT: 'ERR_PARALLEL_BARRIER_TIMEOUT',
  /** the main thread waited for a step longer than stepTimeoutMs */
  STEP_TIMEOUT: 'ERR_PARALLEL_STEP_TIMEOUT',
  /** the worker threads did not all start within startTimeoutMs */
  START_TIMEOUT: 'ERR_PARALLEL_START_TIMEOUT',
  /** a worker rebuilt the model from its config and got another layout hash */
  LAYOUT_MISMATCH: 'ERR_PARALLEL_LAYOUT_MISMATCH',
  /** a rank waited for the next command longer than idleTimeoutMs (the main thread went away) */
  IDLE_TIMEOUT: 'ERR_PARALLEL_IDLE_TIMEOUT',
  /** a rank stopped because another rank failed (never the reported cause) */
  PEER_FAILED: 'ERR_PARALLEL_PEER_FAILED',
} as const;

export type ParallelErrorCodeValue = (typeof ParallelErrorCode)[keyof typeof ParallelErrorCode];

export class ParallelError extends Error {
  readonly code: string;
  /** the rank the error is about, when there is one */
  readonly rank: number | null;

  constructor(code: ParallelErrorCodeValue, message: string, options?: { cause?: unknown; rank?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ParallelError';
    this.code = code;
    this.rank = options?.rank ?? null;
  }
}

/** Throws a ParallelError with `code`. */
export function fail(code: ParallelErrorCodeValue, message: string, rank?: number): never {
  throw new ParallelError(code, message, rank === undefined ? undefined : { rank });
}
