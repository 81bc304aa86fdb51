// The error type of @recur/protocol and its registry of stable codes (listed in README.md). A
// codec error means "this frame is refused"; the receiver answers with an Error frame carrying
// the code, and the run goes on.

export const ProtocolErrorCode = {
  /** a frame is longer than the limit for this connection (maxFrameBytes) */
  FRAME_TOO_LARGE: 'ERR_PROTOCOL_FRAME_TOO_LARGE',
  /** bytes that are not a Frame: truncated, garbage, or an unknown wire type */
  MALFORMED: 'ERR_PROTOCOL_MALFORMED',
  /** a frame with no message in it, or a message this side does not accept */
  UNEXPECTED: 'ERR_PROTOCOL_UNEXPECTED',
  /** Join.protocol_version is not PROTOCOL_VERSION */
  VERSION: 'ERR_PROTOCOL_VERSION',
  /** a field is out of its range (a hash that is not 64 hex digits, threads 0, …) */
  BAD_FIELD: 'ERR_PROTOCOL_BAD_FIELD',
  /** a tensor has the wrong length for the layout (P values) */
  BAD_LENGTH: 'ERR_PROTOCOL_BAD_LENGTH',
  /** a tensor or a number holds NaN or ±Infinity */
  NON_FINITE: 'ERR_PROTOCOL_NON_FINITE',
  /** a codec function was called with an argument of the wrong kind (the caller's mistake, not a peer's bytes) */
  BAD_ARGUMENT: 'ERR_PROTOCOL_BAD_ARGUMENT',
} as const;

export type ProtocolErrorCodeValue = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

export class ProtocolError extends Error {
  readonly code: string;

  constructor(code: ProtocolErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtocolError';
    this.code = code;
  }
}

export function fail(code: ProtocolErrorCodeValue, message: string, cause?: unknown): never {
  throw new ProtocolError(code, message, cause === undefined ? undefined : { cause });
}
