// The codec: Frame objects ↔ the bytes of one binary WebSocket message (recur.proto). Decoding
// checks the length before anything is parsed, then every field: versions, hashes, counts,
// tensor lengths against the layout's P, finiteness. A refused frame is a ProtocolError with a
// stable code; nothing half-decoded is ever returned. Tensors come back as Float32Array views
// of the frame where their bytes are 4-aligned, and as copies where they are not.
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { checkDecodable, checkEncodable, describe } from './arguments.js';
import { fail, ProtocolErrorCode } from './errors.js';
import { decodeHalves, encodeHalves } from './float16.js';

/** 2: gradient pieces (Gradient.offset), which a version-1 coordinator would refuse mid-run. */
export const PROTOCOL_VERSION = 2;

/** Named limits (README.md, "Limits"). */
export const PROTOCOL_LIMITS = {
  /** bytes a frame may have beyond its tensors (configs, strings, headers) */
  frameOverheadBytes: 1 << 20,
  /** longest token, in bytes */
  maxTokenBytes: 1024,
  /** longest node id, in characters */
  maxNodeIdLength: 128,
  /** most threads a node may announce */
  maxThreads: 256,
  /** longest error or leave message, in characters */
  maxMessageLength: 4096,
} as const;

/** The largest frame for a model of `parameterCount` floats: its parameters plus the overhead. */
export const maxFrameBytes = (parameterCount: number): number =>
  4 * parameterCount + PROTOCOL_LIMITS.frameOverheadBytes;

export type Precision = 'fp32' | 'fp16';

export interface Join {
  protocolVersion: number;
  token: string;
  nodeId: string;
  threads: number;
  layoutHash: string;
  dataHash: string;
  /** SHA-256 hex of the run's description beyond layout and data (seed, optimizer, batch size, …) */
  runHash: string;
}
export interface Welcome {
  rank: number;
  world: number;
  modelConfig: string;
  compile: string;
  step: number;
  parameters: Float32Array; // (P)
  batchSize: number;
  seed: number;
}
export interface Assignment {
  step: number;
  epoch: number;
  batchIndex: number;
  partOffset: number;
  partTotal: number;
  rangeStart: number;
  rangeEnd: number;
  attempt: number;
}
export interface Gradient {
  step: number;
  count: number;
  lossSum: number;
  samples: number;
  precision: Precision;
  attempt: number;
  /**
   * gradient SUMS of parameters [offset, offset + gradient.length): (P) for a whole gradient, less
   * for a piece (fp16 frames are decoded and multiplied back by count)
   */
  gradient: Float32Array;
  /** the first parameter index `gradient` covers: 0 (the default) for a whole gradient */
  offset?: number;
}
export interface Parameters {
  step: number;
  parameters: Float32Array; // (P)
  loss: number;
}

/** One decoded frame: its kind and the fields of its message. */
export type Frame =
  | ({ kind: 'join' } & Join)
  | ({ kind: 'welcome' } & Welcome)
  | ({ kind: 'assignment' } & Assignment)
  | ({ kind: 'gradient' } & Gradient)
  | ({ kind: 'parameters' } & Parameters)
  | { kind: 'heartbeat'; sentMs: number }
  | { kind: 'leave'; reason: string }
  | { kind: 'error'; code: string; message: string }
  | { kind: 'end'; step: number; reason: string }
  | { kind: 'status'; json: string };

export type FrameKind = Frame['kind'];

const schema = protobuf
  .parse(readFileSync(new URL('../recur.proto', import.meta.url), 'utf8'))
  .root.resolveAll();
const FrameType = schema.lookupType('recur.Frame');
/** The kinds of Frame (recur.proto's Frame.body). */
const FRAME_KINDS: readonly string[] = FrameType.oneofs.body.fieldsArray.map((f) => f.name);

/** What the receiver knows: its frame limit and the layout's parameter count (null: not yet). */
export interface DecodeLimits {
  maxFrameBytes: number;
  parameterCount: number | null;
}

const bytesOf = (x: Float32Array | Uint16Array) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);

/** Where a frame with a tensor is written: a Uint8Array of exactly `bytes` bytes, overwritten whole. */
export type FrameAllocator = (bytes: number) => Uint8Array;

const allocateFresh: FrameAllocator = (bytes) => Buffer.allocUnsafe(bytes);

/**
 * The bytes of one frame. A Gradient with precision 'fp16' is sent as halves of sum / count. A
 * frame with a tensor is written so that the tensor starts at a multiple of 4 (Note [aligned
 * tensors]), into memory from `allocate` (a fresh buffer by default; a sender may hand out
 * buffers it reuses).
 */
export function encodeFrame(frame: Frame, allocate: FrameAllocator = allocateFresh): Uint8Array {
  checkEncodable(frame, allocate, FRAME_KINDS);
  const { kind, ...fields } = frame;
  const body: Record<string, unknown> = { ...fields };
  if (frame.kind === 'gradient') {
    body.precision = frame.precision === 'fp16' ? 1 : 0;
    const tensor = frame.precision === 'fp16' ? halvesOf(frame) : frame.gradient;
    return alignedFrame(kind, body, 'gradient', bytesOf(tensor), allocate);
  }
  if (frame.kind === 'welcome' || frame.kind === 'parameters')
    return alignedFrame(kind, body, 'parameters', bytesOf(frame.parameters), allocate);
  return FrameType.encode(FrameType.fromObject({ [kind]: body })).finish();
}

/*
 * Note [aligned tensors]: a decoded tensor is a Float32Array view of the frame only where its
 * bytes start at a multiple of 4 in memory; elsewhere it costs a copy, a fresh P-float buffer
 * per frame for the garbage collector. ws hands over a message that spans several socket reads
 * in a buffer of its own (offset 0), so what decides is the tensor's offset in the frame, and
 * protobufjs writes fields in number order, leaving the tensor wherever the fields before it
 * end. So a frame with a tensor is written as: a pad field of 2–5 bytes where needed (field
 * PAD_FIELD, which Frame does not have: protobuf decoders skip unknown fields), then the
 * message with its tensor field last (protobuf decoders take fields in any order), the pad
 * chosen so that the tensor starts at a multiple of 4. These are valid frames of the same
 * schema, decoded by any protobuf decoder as before: the protocol version does not change.
 */
const PAD_FIELD = 15;
/** protobuf's wire type of length-delimited fields (bytes, messages) */
const LENGTH_DELIMITED = 2;

const varintLength = (n: number): number => (n < 0x80 ? 1 : 1 + varintLength(Math.floor(n / 0x80)));

/** Writes `n` as a protobuf varint at `at`; returns the offset after it. */
function writeVarint(out: Uint8Array, at: number, n: number): number {
  let rest = n;
  let i = at;
  while (rest >= 0x80) {
    out[i++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  out[i++] = rest;
  return i;
}

/** Frame field `kind` holding `body`, its field `tensorField` = `tensor`, written last and aligned. */
function alignedFrame(
  kind: FrameKind,
  body: Record<string, unknown>,
  tensorField: string,
  tensor: Uint8Array,
  allocate: FrameAllocator,
): Uint8Array {
  const field = FrameType.fields[kind];
  const type = field.resolvedType as protobuf.Type;
  const { [tensorField]: _, ...others } = body;
  const rest = type.encode(type.fromObject(others)).finish(); // the fields but the tensor
  const n = tensor.byteLength;
  const bodyLength = rest.byteLength + 1 + varintLength(n) + n;
  const head = 1 + varintLength(bodyLength) + rest.byteLength + 1 + varintLength(n);
  const short = (4 - (head % 4)) % 4;
  const pad = short === 1 ? 5 : short; // a pad field is at least 2 bytes (tag, length)
  const out = allocate(pad + head + n);
  let at = 0;
  if (pad > 0) {
    out[at++] = (PAD_FIELD << 3) | LENGTH_DELIMITED;
    out[at++] = pad - 2;
    out.fill(0, at, at + pad - 2);
    at += pad - 2;
  }
  out[at++] = (field.id << 3) | LENGTH_DELIMITED; // ids < 16: one-byte tags
  at = writeVarint(out, at, bodyLength);
  out.set(rest, at);
  at += rest.byteLength;
  out[at++] = (type.fields[tensorField].id << 3) | LENGTH_DELIMITED;
  at = writeVarint(out, at, n);
  out.set(tensor, at);
  return out;
}

/** (P) the halves of the last fp16 gradient encoded: reused, since the encoder copies them. */
let halves = new Uint16Array(0);

function halvesOf(g: Gradient): Uint16Array {
  const P = g.gradient.length;
  if (halves.length < P) halves = new Uint16Array(P);
  const out = halves.subarray(0, P);
  encodeHalves(out, g.gradient, g.count > 0 ? 1 / g.count : 0);
  return out;
}

/** Decodes and validates one frame; throws a ProtocolError saying what is wrong. */
export function decodeFrame(bytes: Uint8Array, limits: DecodeLimits): Frame {
  checkDecodable(bytes, limits);
  if (bytes.byteLength > limits.maxFrameBytes) {
    fail(
      ProtocolErrorCode.FRAME_TOO_LARGE,
      `frame of ${bytes.byteLength} bytes exceeds the limit of ${limits.maxFrameBytes} (maxFrameBytes)`,
    );
  }
  let message: protobuf.Message & Record<string, unknown>;
  try {
    message = FrameType.decode(bytes) as protobuf.Message & Record<string, unknown>;
  } catch (error) {
    return fail(ProtocolErrorCode.MALFORMED, `not a recur frame: ${(error as Error).message}`, error);
  }
  const kind = message.body as FrameKind | undefined;
  if (kind === undefined) fail(ProtocolErrorCode.UNEXPECTED, 'empty frame: no message in it');
  // toObject with defaults: a field at its default value is not on the wire, and protobufjs
  // keeps such defaults on the prototype, where a spread would not see them.
  const type = FrameType.fields[kind].resolvedType as protobuf.Type;
  const m = type.toObject(message[kind] as protobuf.Message, { defaults: true }) as Record<string, unknown>;
  return validate(kind, m, limits);
}

const HASH = /^[0-9a-f]{64}$/;
const NODE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function validate(kind: FrameKind, m: Record<string, unknown>, limits: DecodeLimits): Frame {
  switch (kind) {
    case 'join':
      return join(m);
    case 'welcome': {
      const parameters = tensor('welcome.parameters', m.parameters as Uint8Array, limits, 4);
      return { kind, ...(m as unknown as Welcome), parameters };
    }
    case 'assignment':
      return assignment(m as unknown as Assignment);
    case 'gradient':
      return gradient(m, limits);
    case 'parameters': {
      const parameters = tensor('parameters.parameters', m.parameters as Uint8Array, limits, 4);
      return { kind, step: m.step as number, loss: m.loss as number, parameters };
    }
    case 'heartbeat':
      return { kind, sentMs: finite('heartbeat.sentMs', m.sentMs as number) };
    case 'leave':
      return { kind, reason: short('leave.reason', m.reason as string) };
    case 'error':
      return {
        kind,
        code: short('error.code', m.code as string),
        message: short('error.message', m.message as string),
      };
    case 'end':
      return { kind, step: m.step as number, reason: short('end.reason', m.reason as string) };
    case 'status':
      return { kind, json: m.json as string };
  }
}

function join(m: Record<string, unknown>): Frame {
  const j = m as unknown as Join;
  if (j.protocolVersion !== PROTOCOL_VERSION) {
    fail(
      ProtocolErrorCode.VERSION,
      `protocol version ${j.protocolVersion} is not ${PROTOCOL_VERSION}: upgrade the older side`,
    );
  }
  if (Buffer.byteLength(j.token) > PROTOCOL_LIMITS.maxTokenBytes) {
    fail(
      ProtocolErrorCode.BAD_FIELD,
      `join.token is longer than ${PROTOCOL_LIMITS.maxTokenBytes} bytes (maxTokenBytes)`,
    );
  }
  if (!NODE_ID.test(j.nodeId)) {
    fail(ProtocolErrorCode.BAD_FIELD, 'join.nodeId must be 1–128 characters of A–Z a–z 0–9 . _ : -');
  }
  if (j.threads < 1 || j.threads > PROTOCOL_LIMITS.maxThreads) {
    fail(
      ProtocolErrorCode.BAD_FIELD,
      `join.threads must be in [1, ${PROTOCOL_LIMITS.maxThreads}], got ${j.threads}`,
    );
  }
  for (const key of ['layoutHash', 'dataHash', 'runHash'] as const) {
    if (!HASH.test(j[key]))
      fail(ProtocolErrorCode.BAD_FIELD, `join.${key} must be 64 lowercase hex digits (SHA-256)`);
  }
  return { kind: 'join', ...j };
}

function assignment(a: Assignment): Frame {
  if (a.step < 1) fail(ProtocolErrorCode.BAD_FIELD, 'assignment.step must be at least 1');
  if (a.partTotal < 1 || a.partOffset >= a.partTotal) {
    fail(
      ProtocolErrorCode.BAD_FIELD,
      `assignment parts: offset ${a.partOffset} of ${a.partTotal} is out of range`,
    );
  }
  if (a.rangeEnd < a.rangeStart) fail(ProtocolErrorCode.BAD_FIELD, 'assignment range ends before it starts');
  return { kind: 'assignment', ...a };
}

function gradient(m: Record<string, unknown>, limits: DecodeLimits): Frame {
  const precision: Precision = m.precision === 1 ? 'fp16' : 'fp32';
  if (m.precision !== 0 && m.precision !== 1)
    fail(ProtocolErrorCode.BAD_FIELD, `gradient.precision ${m.precision} is unknown`);
  const count = finite('gradient.count', m.count as number);
  if (count < 0) fail(ProtocolErrorCode.BAD_FIELD, `gradient.count must not be negative, got ${count}`);
  const lossSum = finite('gradient.lossSum', m.lossSum as number);
  const bytes = m.gradient as Uint8Array;
  const offset = m.offset as number;
  let values: Float32Array;
  if (precision === 'fp32') {
    values = aligned(bytes, 4, (b, o, n) => new Float32Array(b, o, n));
    checkPiece(offset, values.length, bytes.byteLength % 4, limits);
    checkFinite('gradient.gradient', values);
  } else {
    const halves = aligned(bytes, 2, (b, o, n) => new Uint16Array(b, o, n));
    checkPiece(offset, halves.length, bytes.byteLength % 2, limits);
    values = new Float32Array(halves.length);
    decodeHalves(values, halves, count);
    checkFinite('gradient.gradient', values);
  }
  return {
    kind: 'gradient',
    step: m.step as number,
    attempt: m.attempt as number,
    count,
    lossSum,
    samples: m.samples as number,
    precision,
    gradient: values,
    offset,
  };
}

/** A float32 tensor of P values from `bytes`: aligned view or copy; length and finiteness checked. */
function tensor(what: string, bytes: Uint8Array, limits: DecodeLimits, width: 4): Float32Array {
  const values = aligned(bytes, width, (b, o, n) => new Float32Array(b, o, n));
  checkLength(what, values.length, bytes.byteLength % width, limits);
  checkFinite(what, values);
  return values;
}

function aligned<T>(
  bytes: Uint8Array,
  width: number,
  make: (b: ArrayBufferLike, offset: number, n: number) => T,
): T {
  const n = Math.floor(bytes.byteLength / width);
  if (bytes.byteOffset % width === 0) return make(bytes.buffer, bytes.byteOffset, n);
  const copy = Uint8Array.prototype.slice.call(bytes, 0, n * width);
  return make(copy.buffer, 0, n);
}

function checkLength(what: string, n: number, leftover: number, limits: DecodeLimits): void {
  const P = limits.parameterCount;
  if (leftover !== 0 || (P !== null && n !== P)) {
    fail(
      ProtocolErrorCode.BAD_LENGTH,
      `${what} has ${n} values${leftover ? ' and a partial one' : ''}; the layout has ${P}`,
    );
  }
}

/** A gradient's values [offset, offset + n) must lie in [0, P) and hold at least one value. */
function checkPiece(offset: number, n: number, leftover: number, limits: DecodeLimits): void {
  const P = limits.parameterCount;
  if (leftover !== 0 || n === 0 || (P !== null && offset + n > P)) {
    const partial = leftover ? ' and a partial one' : '';
    fail(
      ProtocolErrorCode.BAD_LENGTH,
      `gradient.gradient has ${n} values${partial} from offset ${offset}; the layout has ${P} (a piece lies in [0, P) and is not empty)`,
    );
  }
}

/**
 * Whether every value is finite: one pass summing x · 0, which is ±0 for a finite x and NaN for
 * ±Infinity or NaN (and a NaN stays in the sum). No branch per value, and about 3× faster in V8
 * than keeping the largest exponent field of the bits (one add per value, no integer view).
 */
function allFiniteJs(values: Float32Array): boolean {
  let zeros = 0;
  for (let i = 0; i < values.length; i++) zeros += values[i] * 0;
  return zeros === 0;
}

/**
 * The finiteness check in use: one place for a faster one (a native kernel) to be installed,
 * as `halfConversions` is for the fp16 conversions. A replacement must give the same answers.
 */
export const finiteCheck = { allFinite: allFiniteJs };

/** Whether no value is ±Infinity or NaN (every tensor of a frame is checked with this). */
export function allFinite(values: Float32Array): boolean {
  if (!(values instanceof Float32Array))
    fail(ProtocolErrorCode.BAD_ARGUMENT, `allFinite: values must be a Float32Array, got ${describe(values)}`);
  return finiteCheck.allFinite(values);
}

function checkFinite(what: string, values: Float32Array): void {
  if (allFinite(values)) return;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) fail(ProtocolErrorCode.NON_FINITE, `${what}[${i}] is ${values[i]}`);
  }
}

function finite(what: string, x: number): number {
  if (!Number.isFinite(x)) fail(ProtocolErrorCode.NON_FINITE, `${what} is ${x}`);
  return x;
}

function short(what: string, s: string): string {
  if (s.length > PROTOCOL_LIMITS.maxMessageLength) {
    fail(
      ProtocolErrorCode.BAD_FIELD,
      `${what} is longer than ${PROTOCOL_LIMITS.maxMessageLength} characters`,
    );
  }
  return s;
}

/** An error frame for a refusal (a ProtocolError or anything with a code). */
export function errorFrame(error: unknown): Frame {
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : 'ERR_PROTOCOL_UNEXPECTED';
  const message = String(e?.message ?? error).slice(0, PROTOCOL_LIMITS.maxMessageLength);
  return { kind: 'error', code, message };
}
