// The coordinator's roles without sockets (issue 16's split): the assignment of parts as a pure
// function; a whole run through CoordinatorCore with fake peers (in-process members answering
// assignments) equal bit for bit to threads; eviction of a silent member; a member that leaves
// mid-step makes the step be assigned again (a new attempt) to the others.
import { rankShare } from '@recur/nn';
import type { Frame } from '@recur/protocol';
import t from 'tap';
import type { StepTimings } from './loop.js';
import { assignedSamples, assignParts } from './parts.js';
import { core, fakeMember } from './testing/fakes.js';
import { reference } from './testing/peers.js';
import { TASK, taskData } from './testing/task.js';
import { bytesPerMember, frameBytes } from './wire.js';

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

t.test('assignParts: every sample of the batch once, in proportion to threads', async (t) => {
  const at = { step: 3, attempt: 1, epoch: 2, batchIndex: 4, batchSize: 12, dataSize: 100 };
  const parts = assignParts([{ threads: 1 }, { threads: 3 }, { threads: 2 }], at);
  t.same(
    parts.map((p) => [p.partOffset, p.partTotal]),
    [
      [0, 6],
      [1, 6],
      [4, 6],
    ],
  );
  t.equal(parts[0].rangeStart, 48, 'the batch starts at batchIndex × batchSize');
  for (let i = 1; i < parts.length; i++) t.equal(parts[i].rangeStart, parts[i - 1].rangeEnd, 'contiguous');
  t.equal(parts.at(-1)?.rangeEnd, 60, 'and covers the batch');
  t.same(parts.map(assignedSamples), [2, 6, 4], 'threads × 2 samples each');
  t.ok(parts.every((p) => p.step === 3 && p.attempt === 1 && p.epoch === 2 && p.batchIndex === 4));
  const last = assignParts([{ threads: 2 }, { threads: 2 }], { ...at, batchIndex: 8 });
  t.same(last.map(assignedSamples), [2, 2], 'the short last batch (4 samples) is split too');
  for (const [k, p] of last.entries()) {
    const [start] = rankShare(4, 2 * k, 4);
    t.equal(p.rangeStart, 96 + start, 'as rankShare splits it for threads');
  }
  const tiny = assignParts([{ threads: 3 }, { threads: 3 }], { ...at, batchIndex: 0, dataSize: 2 });
  t.same(tiny.map(assignedSamples), [1, 1], 'more parts than samples: some parts are empty');
  t.same(assignParts([{ threads: 1 }, { threads: 3 }, { threads: 2 }], at), parts, 'a pure function');
});

t.test('a run through the roles with fake peers equals threads(2) bit for bit', async (t) => {
  const timings: StepTimings[] = [];
  const { core: c, model } = core({ epochs: 2, minNodes: 2, onStep: (s) => timings.push(s.timings) });
  const run = c.loop.run();
  const members = [fakeMember(c, 'fake-0'), fakeMember(c, 'fake-1')];
  const summary = await run;
  t.same(summary, { steps: 16, epochs: 2, loss: summary.loss, stopped: false, scavenges: 16 });
  t.ok(bytes(model.params).equals(bytes(await reference(2, 2))), 'the parameters of threads(2)');
  t.equal(members[0].received.at(-1)?.kind, 'end', 'each member is told the run ended');
  t.same(
    c.status().members.map((m) => [m.nodeId, m.rank, m.steps]),
    [
      ['fake-0', 0, 16],
      ['fake-1', 1, 16],
    ],
  );
  t.equal(timings.length, 16, 'onStep has the timings of every step');
  const phases = timings.flatMap((s) => Object.values(s));
  t.ok(
    phases.every((ms) => Number.isFinite(ms) && ms >= 0),
    'finite and not negative',
  );
  t.ok(
    timings.every((s) => s.firstGradientMs <= s.lastGradientMs),
    'the first gradient comes before the last',
  );
  t.equal(timings[0]?.decodeMs, 0, 'no decoding without a transport');
});

t.test("evaluate on the coordinator's model during a run leaves the run as it was", async (t) => {
  const { x, y } = taskData();
  const evaluations: Promise<Record<string, number>>[] = [];
  const { core: c, model } = core({
    epochs: 2,
    minNodes: 2,
    onStep: () => {
      evaluations.push(model.evaluate(x, y, { batchSize: TASK.N })); // a batch over the memory's 1
    },
  });
  const memory = model.memory;
  const run = c.loop.run();
  fakeMember(c, 'fake-0');
  fakeMember(c, 'fake-1');
  await run;
  const losses = (await Promise.all(evaluations)).map((l) => l.loss);
  t.equal(model.memory, memory, 'the memory of the run is the one it started with');
  t.ok(bytes(model.params).equals(bytes(await reference(2, 2))), 'the parameters of threads(2)');
  t.equal(losses.length, 16);
  t.ok(losses.at(-1) !== losses[0], 'each evaluation saw the parameters of its step');
  const after = (await model.evaluate(x, y, { batchSize: TASK.N })).loss;
  t.ok(
    Math.abs(after - (losses.at(-1) as number)) <= 1e-6 * Math.abs(after),
    'the last one, those at the end',
  );
});

t.test('the wire: a frame is encoded once however many peers it goes to; bytes per member', (t) => {
  const frame: Frame = { kind: 'parameters', step: 1, parameters: new Float32Array(8), loss: 0 };
  t.equal(frameBytes(frame), frameBytes(frame), 'the same bytes, not a second encoding');
  t.not(frameBytes({ ...frame }), frameBytes(frame), 'another frame is encoded on its own');
  const P = 1000;
  const fp32 = bytesPerMember(P, 32, 2, 'fp32');
  const fp16 = bytesPerMember(P, 32, 2, 'fp16');
  t.ok(
    fp32 > 2 * 4 * P && fp32 < 2 * 4 * P + 100,
    `fp32: gradient and parameters, 8·P and headers (${fp32})`,
  );
  // within 8 bytes: the tensor's length varint and the alignment pad (Note [aligned tensors])
  t.ok(Math.abs(fp32 - fp16 - 2 * P) <= 8, `fp16 saves 2·P bytes of gradient (${fp32 - fp16})`);
  t.end();
});

t.test('membership: a silent member is evicted with its code', async (t) => {
  const { core: c } = core({ heartbeatTimeoutMs: 50 });
  const member = fakeMember(c, 'silent');
  await new Promise((r) => setImmediate(r));
  t.equal(c.membership.size, 1);
  const seen = c.membership.sorted()[0].lastSeen; // times from it: a loaded machine may pause here
  c.membership.evictSilent(seen + 10);
  t.equal(c.membership.size, 1, 'not before heartbeatTimeoutMs');
  c.membership.evictSilent(seen + 100);
  t.equal(c.membership.size, 0, 'evicted after it');
  t.match(member.received.at(-1), {
    kind: 'error',
    code: 'ERR_CLUSTER_EVICTED',
    message: /heartbeatTimeoutMs/,
  });
});

t.test('a member that leaves mid-step: the step is assigned again to the others', async (t) => {
  const { core: c } = core({ minNodes: 1 });
  const leaver = fakeMember(c, 'leaver', () => 'leave');
  const stayer = fakeMember(c, 'stayer');
  const summary = await c.loop.run();
  t.equal(summary.steps, 8, 'the run finished');
  const firstSteps = stayer.received.filter((f) => f.kind === 'assignment' && f.step === 1);
  t.match(
    firstSteps,
    [
      { attempt: 0, partTotal: 2 },
      { attempt: 1, partTotal: 1 },
    ],
    'step 1 again, alone',
  );
  t.equal(leaver.received.filter((f) => f.kind === 'assignment').length, 1, 'the leaver saw one');
});
