// In-process members for the coordinator's roles (CoordinatorCore) without sockets: frames are
// delivered on a microtask, with no encoding. A member answers each assignment with the gradient
// computed on this thread as a one-thread node computes it, or, as the test says, leaves or
// sends other frames (pieces, faulty frames) instead.
import type { Frame } from '@recur/protocol';
import { CoordinatorCore } from '../connections.js';
import { type CoordinatorOptions, resolveCoordinatorOptions } from '../options.js';
import type { Peer } from '../peer.js';
import { type AssignmentFrame, type GradientFrame, joinFrame, manualCompute } from './peers.js';
import { TASK, taskDataHash, taskModel } from './task.js';

export const FAKE_TOKEN = 'roles-test-token';

/** A coordinator core of the task, and its model. */
export function core(extra: Partial<CoordinatorOptions> = {}) {
  const options = resolveCoordinatorOptions({
    model: taskModel(),
    data: { size: TASK.N, hash: taskDataHash() },
    batchSize: TASK.batchSize,
    epochs: 1,
    token: FAKE_TOKEN,
    ...extra,
  });
  return { core: new CoordinatorCore(options), model: options.model };
}

/** What a member does with an assignment: answer it, leave, or send these frames instead. */
export type Answer = 'answer' | 'leave' | Frame[];

/** An in-process member; `onAssignment` gets the assignment and the gradient it would send. */
export function fakeMember(
  c: CoordinatorCore,
  nodeId: string,
  onAssignment?: (f: AssignmentFrame, gradient: () => GradientFrame) => Answer,
) {
  const received: Frame[] = [];
  /** the kinds of the frames of each write, in order (sendAll's frames make one write) */
  const writes: Frame['kind'][][] = [];
  let open = true;
  const model = taskModel();
  const compute = manualCompute(model);
  const deliver = (frame: Frame) => {
    received.push(frame);
    queueMicrotask(() => handle(frame));
  };
  const peer: Peer = {
    send: (frame) => {
      if (!open) return;
      writes.push([frame.kind]);
      deliver(frame);
    },
    sendAll: (frames) => {
      if (!open) return;
      writes.push(frames.map((f) => f.kind));
      for (const frame of frames) deliver(frame);
    },
    close: () => shut(),
    terminate: () => shut(),
  };
  const connection = c.connect(peer);
  function shut() {
    if (!open) return;
    open = false;
    queueMicrotask(() => connection.closed());
  }
  function handle(frame: Frame) {
    if (!open) return;
    if (frame.kind === 'welcome' || frame.kind === 'parameters') model.params.set(frame.parameters);
    if (frame.kind !== 'assignment') return;
    const answer = onAssignment?.(frame, () => compute(frame)) ?? 'answer';
    if (answer === 'leave') shut();
    else if (answer === 'answer') connection.receive(compute(frame));
    else for (const f of answer) connection.receive(f);
  }
  connection.receive(joinFrame(FAKE_TOKEN, { nodeId }));
  return { received, writes, peer };
}
