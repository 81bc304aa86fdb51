// The codec's checks of its caller's arguments (ERR_PROTOCOL_BAD_ARGUMENT): a program's mistakes,
// not a peer's bytes, which codec.ts checks field by field. Used by encodeFrame, decodeFrame and
// allFinite (codec.ts) and the half conversions (float16.ts).
import type { DecodeLimits, Frame, FrameAllocator } from './codec.js';
import { fail, ProtocolErrorCode } from './errors.js';

/**
 * A program's mistakes in what it asks to encode (ERR_PROTOCOL_BAD_ARGUMENT): not a Frame
 * object, a kind recur.proto does not have (protobufjs would drop it and send an empty frame,
 * which the receiver refuses), a tensor that is not a Float32Array, an allocator that is not a
 * function. The fields' values are the receiver's to check, as a peer's always are.
 */
export function checkEncodable(frame: Frame, allocate: FrameAllocator, kinds: readonly string[]): void {
  const kind = (frame as { kind?: unknown } | null)?.kind;
  if (typeof frame !== 'object' || frame === null || typeof kind !== 'string' || !kinds.includes(kind)) {
    fail(
      ProtocolErrorCode.BAD_ARGUMENT,
      `encodeFrame: a frame is an object whose kind is one of ${kinds.join(', ')}; got ${describe(frame)}`,
    );
  }
  const tensor =
    frame.kind === 'gradient'
      ? ['gradient', frame.gradient]
      : frame.kind === 'welcome' || frame.kind === 'parameters'
        ? ['parameters', frame.parameters]
        : null;
  if (tensor !== null && !(tensor[1] instanceof Float32Array))
    fail(
      ProtocolErrorCode.BAD_ARGUMENT,
      `encodeFrame: a ${frame.kind} frame's ${tensor[0]} must be a Float32Array`,
    );
  if (typeof allocate !== 'function')
    fail(ProtocolErrorCode.BAD_ARGUMENT, 'encodeFrame: the allocator must be a function of a byte count');
}

/** A short description of a value for a message (never throws). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const kind = (value as { kind?: unknown }).kind;
    return typeof kind === 'string' ? `kind '${kind.slice(0, 40)}'` : 'an object without a kind';
  }
  return typeof value;
}

/** decodeFrame's arguments: bytes a Uint8Array, limits with a byte limit and P (or null). */
export function checkDecodable(bytes: Uint8Array, limits: DecodeLimits): void {
  if (!(bytes instanceof Uint8Array))
    fail(ProtocolErrorCode.BAD_ARGUMENT, `decodeFrame: bytes must be a Uint8Array, got ${describe(bytes)}`);
  const max = (limits as Partial<DecodeLimits> | null)?.maxFrameBytes;
  const P = (limits as Partial<DecodeLimits> | null)?.parameterCount;
  if (
    typeof max !== 'number' ||
    Number.isNaN(max) ||
    max < 0 ||
    !(P === null || (Number.isInteger(P) && (P as number) >= 0))
  ) {
    fail(
      ProtocolErrorCode.BAD_ARGUMENT,
      'decodeFrame: limits must be { maxFrameBytes: a number ≥ 0, parameterCount: an integer ≥ 0 or null }',
    );
  }
}

/** The conversions' arguments: typed arrays of the right kinds, out long enough, a number. */
export function checkConversion(
  who: string,
  out: unknown,
  outType: typeof Uint16Array | typeof Float32Array,
  from: unknown,
  fromType: typeof Uint16Array | typeof Float32Array,
  scale: unknown,
): void {
  if (!(out instanceof outType) || !(from instanceof fromType) || typeof scale !== 'number') {
    fail(
      ProtocolErrorCode.BAD_ARGUMENT,
      `${who}(out, values, scale) needs a ${outType.name}, a ${fromType.name} and a number`,
    );
  }
  if (out.length < from.length)
    fail(ProtocolErrorCode.BAD_ARGUMENT, `${who}: out holds ${out.length} values, ${from.length} are given`);
}
