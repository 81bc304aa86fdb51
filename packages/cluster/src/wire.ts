// What the coordinator and the node share about the wire: sending a frame, the token check,
// the hash of a data set's identity, and the WebSocket payload cap.
import { createHash, timingSafeEqual } from 'node:crypto';
import { encodeFrame, type Frame } from '@recur/protocol';
import type { WebSocket } from 'ws';

/** Sends one frame if the socket is open; a closed socket drops it (the peer is gone). */
export function send(ws: WebSocket, frame: Frame): void {
  if (ws.readyState === ws.OPEN) ws.send(encodeFrame(frame), { binary: true });
}

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
