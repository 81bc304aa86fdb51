// The coordinator's view of one connection, without sockets: the roles (membership, training
// loop) send frames and close peers through this, so tests can drive them with fake peers.
import type { Socket } from 'node:net';
import type { Frame } from '@recur/protocol';
import { type FrameSocket, send } from './wire.js';

export interface Peer {
  /** sends one frame if the peer is still open (a closed one drops it) */
  send(frame: Frame): void;
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
  close: (code) => ws.close(code),
  terminate: () => ws.terminate(),
  ...(socket === undefined
    ? {}
    : { traffic: () => ({ read: socket.bytesRead, written: socket.bytesWritten }) }),
});
