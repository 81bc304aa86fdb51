// Test helpers for hand-made members: a raw WebSocket that collects the frames it is sent, a
// join frame of the task, a gradient computed on this thread as a one-thread node computes it,
// and the threads run a cluster run must equal. Fakes for fault injection only: the members
// they make speak the real protocol over real sockets.
import { batchOf, buffersFor, type Compiled, type Model, type ModelMemory } from '@recur/nn';
import { threads } from '@recur/parallel';
import { decodeFrame, type Frame, maxFrameBytes, PROTOCOL_VERSION } from '@recur/protocol';
import { WebSocket } from 'ws';
import { NO_RUN_HASH } from '../wire.js';
import { TASK, taskData, taskDataHash, taskModel, taskSource } from './task.js';

export type GradientFrame = Extract<Frame, { kind: 'gradient' }>;
export type AssignmentFrame = Extract<Frame, { kind: 'assignment' }>;

const P = taskModel().layout.size;
const limits = { maxFrameBytes: maxFrameBytes(P) * 2, parameterCount: P };

export const joinFrame = (token: string, change: Partial<Extract<Frame, { kind: 'join' }>> = {}): Frame => ({
  kind: 'join',
  protocolVersion: PROTOCOL_VERSION,
  token,
  nodeId: 'manual',
  threads: 1,
  layoutHash: taskModel().layout.hash(),
  dataHash: taskDataHash(),
  runHash: NO_RUN_HASH,
  ...change,
});

/** A raw connection that collects every frame it is sent. */
export function raw(url: string) {
  const ws = new WebSocket(url);
  const frames: Frame[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data: Buffer) => {
    frames.push(decodeFrame(new Uint8Array(data), limits));
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  const open = new Promise<void>((resolve) => ws.on('open', () => resolve()));
  ws.on('error', () => {});
  /** the next frame of `kind` not seen before (index ≥ from) */
  const next = async (kind: Frame['kind'], from = 0): Promise<Frame> => {
    for (;;) {
      const found = frames.slice(from).find((f) => f.kind === kind);
      if (found !== undefined) return found;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  /** every frame in arrival order, as it comes, until the connection closes */
  async function* stream(): AsyncGenerator<Frame> {
    let cursor = 0;
    let open = true;
    void closed.then(() => {
      open = false;
      for (const w of waiters.splice(0)) w();
    });
    for (;;) {
      while (cursor < frames.length) yield frames[cursor++];
      if (!open) return;
      await new Promise<void>((r) => waiters.push(r));
    }
  }
  return { ws, frames, closed, open, next, stream };
}

/** The threads run (world threads, one process) a clean cluster run of the task must equal. */
export async function reference(world: number, epochs: number): Promise<Float32Array> {
  const model = taskModel();
  const { x, y } = taskData();
  await model.fit(x, y, { epochs, batchSize: TASK.batchSize, seed: 5, strategy: threads(world) });
  return model.params;
}

/** Computes a part of a global batch on this thread, as a one-thread node does. */
export function manualCompute(model: Model) {
  const compiled = model.compiled as Compiled;
  const memory = model.ensureMemory(TASK.batchSize, compiled.optimizer.stateCount()) as ModelMemory;
  const buffers = buffersFor(model, compiled, TASK.batchSize);
  const source = taskSource();
  return (a: AssignmentFrame): GradientFrame => {
    const B = source.fill(buffers, a.epoch, a.batchIndex, TASK.batchSize, a.partOffset, a.partTotal);
    const ctx = {
      training: true,
      seed: model.trainingSeed,
      epoch: a.epoch,
      sampleIndex: buffers.sampleIndex,
    };
    const r = model.computeGradients(batchOf(buffers, B, TASK.T, false), compiled.loss, ctx);
    const gradient = memory.gradients.slice();
    return {
      kind: 'gradient',
      step: a.step,
      attempt: a.attempt,
      count: r.count,
      lossSum: r.sum,
      samples: B,
      precision: 'fp32',
      gradient,
    };
  };
}
