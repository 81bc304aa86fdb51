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

/** The longest string `describeGot` quotes whole (longer ones are cut, with "…"). */
const GOT_STRING_CHARS = 60;

/**
 * A short account of a wrong value for a "got …" in a message, which never throws: strings quoted
 * (cut at 60 characters), numbers, booleans, null, undefined and BigInts as written, arrays and
 * typed arrays by their length, anything else by its kind. (JSON.stringify throws on a BigInt or
 * a cycle, and writes a huge array whole.)
 */
export function describeGot(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > GOT_STRING_CHARS ? `${value.slice(0, GOT_STRING_CHARS)}…` : value);
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) {
    const length = (value as { length?: number }).length ?? value.byteLength;
    return `${value.constructor.name}(${length})`;
  }
  return 'an object';
}

/** `options` itself, or {} when it is undefined; anything but a plain object is ERR_DATA_BAD_OPTION. */
export function optionsOf<T extends object>(options: T | undefined, who: string): T {
  if (options === undefined) return {} as T;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    fail(DataErrorCode.BAD_OPTION, `${who}: options must be an object, got ${describeGot(options)}`);
  }
  return options;
}

/** A file or folder argument: a non-empty string, else ERR_DATA_BAD_OPTION. */
export function checkPathArgument(path: unknown, who: string): asserts path is string {
  if (typeof path !== 'string' || path === '') {
    fail(DataErrorCode.BAD_OPTION, `${who}: the path must be a non-empty string, got ${describeGot(path)}`);
  }
}
