// Refusals (issue 6): a bad token, a wrong version, a wrong layout or data hash, an oversized
// frame, truncated or garbage bytes, a text frame and a connection that never joins each get a
// coded refusal before they are admitted; a member's wrong gradient length, NaN gradient,
// duplicated step and late step each get a coded refusal too — and none of it harms the run:
// the final parameters are bit for bit those of a clean run. Then a fuzz run throws random and
// mutated frames at a live coordinator, before and after joining, and the run still finishes
// with the parameters of a clean run.

import type { Model } from '@recur/nn';
import { encodeFrame, type Frame, maxFrameBytes } from '@recur/protocol';
import t, { type Test } from 'tap';
import type { WebSocket } from 'ws';
import type { Coordinator } from './coordinator.js';
import { runNode } from './node.js';
import { manualCompute, raw, reference, joinFrame as taskJoin } from './testing/peers.js';
import { taskCoordinator, taskModel, taskNode } from './testing/task.js';

const TOKEN = 'refusal-test-token';
const P = taskModel().layout.size;
const joinFrame = (change: Parameters<typeof taskJoin>[1] = {}) => taskJoin(TOKEN, change);

async function refusedWith(t: Test, url: string, send: (ws: WebSocket) => void, code: string, what: string) {
  const c = raw(url);
  await c.open;
  send(c.ws);
  const error = (await c.next('error')) as Extract<Frame, { kind: 'error' }>;
  t.equal(error.code, code, `${what}: ${error.code} (${error.message})`);
  t.equal(await c.closed, 1008, `${what}: then closed`);
}

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const coordinatorParams = (c: Coordinator) => (c as unknown as { o: { model: Model } }).o.model.params;

t.test('refusals before joining, and a misbehaving member, leave the run unharmed', async (t) => {
  const epochs = 2;
  const coordinator = await taskCoordinator(TOKEN, epochs, { minNodes: 2, joinTimeoutMs: 300 });
  const url = coordinator.url;
  const sendFrame = (f: Frame) => (ws: WebSocket) => ws.send(encodeFrame(f), { binary: true });
  await refusedWith(
    t,
    url,
    sendFrame(joinFrame({ token: 'wrong-token' })),
    'ERR_CLUSTER_UNAUTHORIZED',
    'a bad token',
  );
  await refusedWith(
    t,
    url,
    sendFrame({ kind: 'heartbeat', sentMs: 1 }),
    'ERR_CLUSTER_UNAUTHORIZED',
    'anything before join',
  );
  await refusedWith(
    t,
    url,
    sendFrame(joinFrame({ protocolVersion: 9 })),
    'ERR_PROTOCOL_VERSION',
    'a wrong version',
  );
  await refusedWith(
    t,
    url,
    sendFrame(joinFrame({ layoutHash: 'f'.repeat(64) })),
    'ERR_CLUSTER_LAYOUT_MISMATCH',
    'a wrong layout hash',
  );
  await refusedWith(
    t,
    url,
    sendFrame(joinFrame({ dataHash: '0'.repeat(64) })),
    'ERR_CLUSTER_DATA_MISMATCH',
    'another data set',
  );
  const oversized = new Uint8Array(maxFrameBytes(P) + 1);
  await refusedWith(
    t,
    url,
    (ws) => ws.send(oversized, { binary: true }),
    'ERR_PROTOCOL_FRAME_TOO_LARGE',
    'a frame one byte over',
  );
  const good = encodeFrame(joinFrame());
  await refusedWith(
    t,
    url,
    (ws) => ws.send(good.subarray(0, good.length - 5), { binary: true }),
    'ERR_PROTOCOL_MALFORMED',
    'truncated bytes',
  );
  await refusedWith(
    t,
    url,
    (ws) => ws.send(Buffer.from([0xff, 0xfe, 0xfd, 0x07]), { binary: true }),
    'ERR_PROTOCOL_MALFORMED',
    'garbage',
  );
  await refusedWith(t, url, (ws) => ws.send('{"join":1}'), 'ERR_CLUSTER_UNEXPECTED', 'a text frame');
  await refusedWith(t, url, () => {}, 'ERR_CLUSTER_JOIN_TIMEOUT', 'silence');
  t.equal(coordinator.status().members.length, 0, 'nobody was admitted');

  // a member that misbehaves in step 2 and 3 but also sends its honest gradients
  const node = runNode(taskNode(url, TOKEN, { nodeId: 'honest' }));
  const manual = raw(url);
  await manual.open;
  manual.ws.send(encodeFrame(joinFrame()), { binary: true });
  const model = taskModel();
  const compute = manualCompute(model);
  const seenErrors: string[] = [];
  let last: Extract<Frame, { kind: 'gradient' }> | null = null;
  let cursor = 0;
  for (;;) {
    while (cursor >= manual.frames.length)
      await new Promise<void>((r) => manual.ws.once('message', () => setImmediate(r)));
    const f = manual.frames[cursor++];
    const send = (g: Frame) => manual.ws.send(encodeFrame(g), { binary: true });
    if (f.kind === 'welcome' || f.kind === 'parameters') model.params.set(f.parameters);
    else if (f.kind === 'error') seenErrors.push(f.code);
    else if (f.kind === 'end') break;
    else if (f.kind === 'assignment') {
      const g = compute(f);
      if (f.step === 2) {
        send({ ...g, gradient: new Float32Array(g.gradient.length + 1) }); // past P (fewer values: a piece)
        const nan = g.gradient.slice();
        nan[7] = Number.NaN;
        send({ ...g, gradient: nan });
      }
      if (f.step === 3 && last !== null) send(last); // late: step 2 is over
      send(g);
      if (f.step === 2) send(g); // a duplicate
      last = g;
    }
  }
  manual.ws.close();
  await node;
  const summary = await coordinator.done;
  t.same(
    seenErrors,
    [
      'ERR_PROTOCOL_BAD_LENGTH',
      'ERR_PROTOCOL_NON_FINITE',
      'ERR_CLUSTER_DUPLICATE_STEP',
      'ERR_CLUSTER_STALE_STEP',
    ],
    'each refusal, coded',
  );
  t.equal(summary.steps, epochs * 8);
  const clean = await reference(2, epochs);
  t.ok(bytes(coordinatorParams(coordinator)).equals(bytes(clean)), 'bit for bit the clean run of 2 threads');
});

t.test('fuzz: random and mutated frames at a live coordinator, before and after joining', async (t) => {
  const epochs = 3;
  const coordinator = await taskCoordinator(TOKEN, epochs, { stepDeadlineMs: 400, joinTimeoutMs: 500 });
  const node = runNode(taskNode(coordinator.url, TOKEN, { nodeId: 'honest' }));
  let state = 99;
  const random = () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const samples = [
    encodeFrame(joinFrame()),
    encodeFrame({ kind: 'heartbeat', sentMs: 5 }),
    encodeFrame({ kind: 'leave', reason: 'x' }),
  ];
  const mutated = () => {
    if (random() < 0.4)
      return Uint8Array.from({ length: Math.floor(random() * 48) }, () => Math.floor(random() * 256));
    const bytes = samples[Math.floor(random() * samples.length)].slice();
    for (let k = 0; k < 1 + Math.floor(random() * 3); k++)
      bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    return bytes;
  };
  let refused = 0;
  for (let i = 0; i < 60; i++) {
    const c = raw(coordinator.url);
    await c.open;
    for (let k = 0; k < 5; k++) c.ws.send(mutated(), { binary: true });
    await c.closed;
    refused++;
  }
  // a member that joins and then sends nothing but noise: evicted at the step deadline
  const noisy = raw(coordinator.url);
  await noisy.open;
  noisy.ws.send(encodeFrame(joinFrame({ nodeId: 'noisy' })), { binary: true });
  await noisy.next('assignment');
  for (let k = 0; k < 200; k++) noisy.ws.send(mutated(), { binary: true });
  const noisyClosed = await noisy.closed;
  await node;
  const summary = await coordinator.done;
  t.equal(refused, 60, 'every unauthenticated fuzzer was refused and closed');
  t.ok(
    noisy.frames.some((f) => f.kind === 'error' && f.code === 'ERR_CLUSTER_EVICTED'),
    `the noisy member was evicted (close ${noisyClosed})`,
  );
  t.equal(summary.steps, epochs * 8, 'the run finished');
  const clean = await reference(1, epochs);
  t.ok(bytes(coordinatorParams(coordinator)).equals(bytes(clean)), 'bit for bit the clean run of 1 thread');
});
