// The coordinator's view of one connection, without sockets: the roles (membership, training
// loop) send frames and close peers through this, so tests can drive them with fake peers.
import type { Socket } from 'node:net';
import type { Frame } from '@recur/protocol';
import { type FrameSocket, send } from './wire.js';

export interface Peer {
  /** sends one frame if the peer is still open (a closed one drops it) */
  send(frame: Frame): void;
  /** sends frames in order, in one write where the transport can (optional: else one send each) */
  sendAll?(frames: readonly Frame[]): void;
  /** closes politely with a WebSocket close code (frames sent before it are delivered) */
  close(code: number): void;
  /** drops the connection at once */
  terminate(): void;
  /** bytes read and written on the connection so far (the live page's bytes per step) */
  traffic?(): { read: number; written: number };
}

/** The part of a ws WebSocket that a Peer uses (structural: no `ws` types in the .d.ts). */
export interface PeerSocket extends FrameSocket {
  close(code: number): void;
  terminate(): void;
}

/** A Peer over a ws WebSocket (`socket`: its TCP or TLS socket, for the byte counters). */
export const wsPeer = (ws: PeerSocket, socket?: Socket): Peer => ({
  send: (frame) => send(ws, frame),
  // corked, ws's writes of the frames leave in one writev: the receiver reads them together
  sendAll: (frames) => {
    socket?.cork();
    for (const frame of frames) send(ws, frame);
    socket?.uncork();
  },
  close: (code) => ws.close(code),
  terminate: () => ws.terminate(),
  ...(socket === undefined
    ? {}
    : { traffic: () => ({ read: socket.bytesRead, written: socket.bytesWritten }) }),
});

/** Sends `frames` to `peer` in order: together where the peer can (sendAll), else one by one. */
export function sendFrames(peer: Peer, frames: readonly Frame[]): void {
  if (peer.sendAll !== undefined) peer.sendAll(frames);
  else for (const frame of frames) peer.send(frame);
}
