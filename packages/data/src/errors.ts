// The one error type of @recur/data and its registry of stable codes (listed in README.md).
// Every error names the file and, where it applies, the line or byte offset, and says what to do.

export const DataErrorCode = {
  /** an option has the wrong type or is out of range */
  BAD_OPTION: 'ERR_DATA_BAD_OPTION',
  /** a CSV row is malformed, a column is missing, a value does not parse */
  BAD_CSV: 'ERR_DATA_BAD_CSV',
  /** a JSON or JSON Lines document does not parse or has the wrong shape */
  BAD_JSON: 'ERR_DATA_BAD_JSON',
  /** a Parquet file cannot be read or lacks a column */
  BAD_PARQUET: 'ERR_DATA_BAD_PARQUET',
  /** a label or token is not in the vocabulary or label set */
  UNKNOWN_LABEL: 'ERR_DATA_UNKNOWN_LABEL',
  /** a shard is not one, is truncated, corrupted or of another version */
  BAD_SHARD: 'ERR_DATA_BAD_SHARD',
  /** a named limit is exceeded */
  LIMIT_EXCEEDED: 'ERR_DATA_LIMIT_EXCEEDED',
  /** a file or folder is missing or unreadable */
  NOT_FOUND: 'ERR_DATA_NOT_FOUND',
} as const;

export type DataErrorCodeValue = (typeof DataErrorCode)[keyof typeof DataErrorCode];

export class DataError extends Error {
  readonly code: string;

  constructor(code: DataErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataError';
    this.code = code;
  }
}

/** Throws a DataError with `code`. */
export function fail(code: DataErrorCodeValue, message: string, cause?: unknown): never {
  throw new DataError(code, message, cause === undefined ? undefined : { cause });
}
