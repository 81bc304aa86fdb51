// The one error type of @recur/nn and its registry of stable codes (listed in README.md).
// Every error names the thing that is wrong and, where there is one, the way out.

export const NnErrorCode = {
  /** an option has the wrong type or is out of range */
  BAD_OPTION: 'ERR_NN_BAD_OPTION',
  /** layers do not fit together (shapes, a missing input shape, an unsupported combination) */
  BAD_MODEL: 'ERR_NN_BAD_MODEL',
  /** data given to fit/evaluate/predict has the wrong shape or values */
  BAD_DATA: 'ERR_NN_BAD_DATA',
  /** an operation needs compile() or a built model first */
  NOT_READY: 'ERR_NN_NOT_READY',
  /** a named limit is exceeded (batch larger than the memory, a file header over its maximum) */
  LIMIT_EXCEEDED: 'ERR_NN_LIMIT_EXCEEDED',
  /** a checkpoint file is not one, is truncated, corrupted or from another version */
  BAD_CHECKPOINT: 'ERR_NN_BAD_CHECKPOINT',
  /** a checkpoint or imported weights do not match the model's layout */
  LAYOUT_MISMATCH: 'ERR_NN_LAYOUT_MISMATCH',
  /** an imported weights file (safetensors, Keras layout) is malformed or incomplete */
  BAD_WEIGHTS: 'ERR_NN_BAD_WEIGHTS',
  /** a loss became NaN or infinite */
  NON_FINITE: 'ERR_NN_NON_FINITE',
  /** a file to read, or the folder to write one into, does not exist */
  NOT_FOUND: 'ERR_NN_NOT_FOUND',
  /** a path to read is not a regular file (a device such as /dev/zero, a FIFO, a socket) */
  NOT_A_FILE: 'ERR_NN_NOT_A_FILE',
} as const;

export type NnErrorCodeValue = (typeof NnErrorCode)[keyof typeof NnErrorCode];

export class RecurError extends Error {
  readonly code: string;

  constructor(code: NnErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RecurError';
    this.code = code;
  }
}

/** Throws a RecurError with `code`. */
export function fail(code: NnErrorCodeValue, message: string, cause?: unknown): never {
  throw new RecurError(code, message, cause === undefined ? undefined : { cause });
}
