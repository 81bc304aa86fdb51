// What the coordinator and the node share about the wire: sending a frame, the token and its
// check, the run hash, and the WebSocket payload cap.
import { createHash, timingSafeEqual } from 'node:crypto';
import { encodeFrame, type Frame, type Precision } from '@recur/protocol';
import { ClusterErrorCode, fail } from './errors.js';
import { SendBuffers } from './send-buffers.js';

/** The shortest token accepted (characters). */
export const MIN_TOKEN_LENGTH = 8;

/** Throws ERR_CLUSTER_BAD_OPTION unless `token` is a string of at least MIN_TOKEN_LENGTH. */
export function checkToken(token: unknown, who: string): asserts token is string {
  if (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH) {
    fail(
      ClusterErrorCode.BAD_OPTION,
      `${who}: token must be a string of at least ${MIN_TOKEN_LENGTH} characters, got ${typeof token === 'string' ? `${token.length}` : 'none'}`,
    );
  }
}

/** Throws ERR_CLUSTER_BAD_OPTION unless `hash` is 64 lowercase hex digits. */
export function checkHash(hash: unknown, what: string): void {
  if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash))
    fail(ClusterErrorCode.BAD_OPTION, `${what} must be 64 lowercase hex digits`);
}

/** JSON with object keys sorted at every level: the same value gives the same text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The run hash of a description (any JSON value: the settings that change the result, such as
 * the seed, the optimizer, the batch size and the model): SHA-256 hex of its canonical JSON, so
 * key order does not matter.
 */
export const runHashOf = (description: unknown): string =>
  createHash('sha256').update(canonicalJson(description)).digest('hex');

/** The run hash of a coordinator or node given none: both sides without one match. */
export const NO_RUN_HASH = runHashOf(null);

/** Frames' bytes: a broadcast encodes its frame once for every peer, into a reused buffer. */
const buffers = new SendBuffers();

/** The frame's bytes, encoded on first use (a frame is not changed after it is sent). */
export const frameBytes = (frame: Frame): Uint8Array => buffers.bytes(frame);

/**
 * The part of a ws WebSocket that frames go through. Structural, so that the published .d.ts
 * need no `ws` types (a consumer would need @types/ws for them: TS7016).
 */
export interface FrameSocket {
  readonly readyState: number;
  readonly OPEN: number;
  send(data: Uint8Array, options: { binary: boolean }, done?: (error?: Error) => void): void;
}

/**
 * Sends one frame if the socket is open; a closed socket drops it (the peer is gone). Its bytes
 * come from `pool` (the process's shared one by default).
 */
export function send(ws: FrameSocket, frame: Frame, pool: SendBuffers = buffers): void {
  if (ws.readyState !== ws.OPEN) return;
  const bytes = pool.bytes(frame);
  ws.send(bytes, { binary: true }, pool.sending(bytes));
}

/**
 * The node's masking key: zero, which ws takes as "do not mask" (RFC 6455 masks a client's
 * frames so that a browser's script cannot forge bytes a proxy on the path would misread; a
 * node is no browser, and its frames are ours). It spares the XOR of every gradient byte on
 * both sides, in JavaScript where ws has no native helper.
 */
export const zeroMask = (mask: Buffer): void => {
  mask.fill(0);
};

/** Constant-time token comparison (over SHA-256 digests, so lengths do not leak either). */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * ws's own cap, twice our frame limit: frames a little over the limit reach the codec and get
 * a coded refusal (ERR_PROTOCOL_FRAME_TOO_LARGE); far larger ones are cut by ws (close 1009).
 */
export const wsPayloadCap = (maxFrameBytes: number): number => 2 * maxFrameBytes;

/** The bytes of a binary ws message as one Uint8Array. */
export function messageBytes(data: Buffer | ArrayBuffer | Buffer[]): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

/**
 * The bytes one optimizer step puts on the wire for one member computing `samples` samples of
 * `parts` parts, as the protocol encodes them: its assignment, its gradient (4·P bytes of
 * tensor in fp32, 2·P in fp16) and the parameters sent back (4·P). A step of N members costs
 * about N times this.
 */
export function bytesPerMember(P: number, samples: number, parts: number, precision: Precision): number {
  const tensor = new Float32Array(P);
  const round = { step: 1, attempt: 0 };
  const frames: Frame[] = [
    {
      kind: 'assignment',
      ...round,
      epoch: 0,
      batchIndex: 0,
      partOffset: 0,
      partTotal: parts,
      rangeStart: 0,
      rangeEnd: samples,
    },
    { kind: 'gradient', ...round, count: samples, lossSum: 1, samples, precision, gradient: tensor },
    { kind: 'parameters', step: 1, parameters: tensor, loss: 1 },
  ];
  return frames.reduce((a, f) => a + encodeFrame(f).byteLength, 0);
}
