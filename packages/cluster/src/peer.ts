// The coordinator's view of one connection, without sockets: the roles (membership, training
// loop) send frames and close peers through this, so tests can drive them with fake peers.
import type { Frame } from '@recur/protocol';
import type { WebSocket } from 'ws';
import { send } from './wire.js';

export interface Peer {
  /** sends one frame if the peer is still open (a closed one drops it) */
  send(frame: Frame): void;
  /** closes politely with a WebSocket close code (frames sent before it are delivered) */
  close(code: number): void;
  /** drops the connection at once */
  terminate(): void;
}

/** A Peer over a ws WebSocket. */
export const wsPeer = (ws: WebSocket): Peer => ({
  send: (frame) => send(ws, frame),
  close: (code) => ws.close(code),
  terminate: () => ws.terminate(),
});
