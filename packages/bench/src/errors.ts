// The error type of @recur/bench and its registry of stable codes (listed in README.md).

export const BenchErrorCode = {
  /** an option of runBenchmarks() or a command-line flag has the wrong type or is out of range */
  BAD_OPTION: 'ERR_BENCH_BAD_OPTION',
  /** a measurement's child process failed, timed out, or printed no result line */
  CHILD_FAILED: 'ERR_BENCH_CHILD_FAILED',
} as const;

export type BenchErrorCodeValue = (typeof BenchErrorCode)[keyof typeof BenchErrorCode];

export class BenchError extends Error {
  readonly code: string;

  constructor(code: BenchErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BenchError';
    this.code = code;
  }
}

export function badOption(message: string): never {
  throw new BenchError(BenchErrorCode.BAD_OPTION, message);
}
