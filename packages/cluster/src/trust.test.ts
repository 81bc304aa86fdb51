// Members that hold the token but are not correct (issue 16, defects 1–3): gradients whose sum
// overflows are refused with ERR_CLUSTER_NON_FINITE (the run fails, the parameters and the last
// checkpoint stay those of the step before, every node ends with the code); a node whose run
// hash differs (another seed) is refused at join; a gradient whose samples or count do not fit
// the samples assigned is refused, and the run stays bit for bit a clean one.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, type Model } from '@recur/nn';
import { encodeFrame, type Frame } from '@recur/protocol';
import t from 'tap';
import { WebSocketServer } from 'ws';
import type { Coordinator } from './coordinator.js';
import { UpdateGuard } from './gradients.js';
import { runNode } from './node.js';
import { type GradientFrame, joinFrame, manualCompute, raw, reference } from './testing/peers.js';
import { taskCoordinator, taskModel, taskNode } from './testing/task.js';
import { runHashOf } from './wire.js';

const TOKEN = 'trust-test-token';
const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const coordinatorModel = (c: Coordinator) => (c as unknown as { o: { model: Model } }).o.model;
const allFinite = (a: Float32Array) => a.every((v) => Number.isFinite(v));
const honestNode = (url: string, extra: Partial<Parameters<typeof runNode>[0]> = {}) =>
  runNode(taskNode(url, TOKEN, { nodeId: 'honest', ...extra }));

/** A hand-made member: joins, answers each assignment with `answer(honest gradient)`'s frames. */
async function member(url: string, nodeId: string, answer: (g: GradientFrame) => GradientFrame[]) {
  const c = raw(url);
  await c.open;
  c.ws.send(encodeFrame(joinFrame(TOKEN, { nodeId })), { binary: true });
  const model = taskModel();
  const compute = manualCompute(model);
  const errors: string[] = [];
  const steps: { step: number; parameters: Float32Array }[] = [];
  for await (const f of c.stream()) {
    if (f.kind === 'welcome') model.params.set(f.parameters);
    else if (f.kind === 'parameters') {
      model.params.set(f.parameters);
      steps.push({ step: f.step, parameters: f.parameters.slice() });
    } else if (f.kind === 'error') errors.push(f.code);
    else if (f.kind === 'end') break;
    else if (f.kind === 'assignment') {
      for (const g of answer(compute(f))) c.ws.send(encodeFrame(g as Frame), { binary: true });
    }
  }
  c.ws.close();
  return { errors, steps };
}

t.test('1: gradients whose sum overflows: the step is refused, nothing is written', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'recur-trust-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'last.ckpt');
  const coordinator = await taskCoordinator(TOKEN, 2, {
    minNodes: 3,
    checkpoint: { path, everySteps: 1 },
    endGraceMs: 200,
  });
  // two members send 3.4e38 everywhere from step 2 on: finite each, their sum is not
  const huge = (g: GradientFrame) =>
    g.step < 2 ? [g] : [{ ...g, gradient: new Float32Array(g.gradient.length).fill(3.4e38) }];
  const members = [member(coordinator.url, 'huge-0', huge), member(coordinator.url, 'huge-1', huge)];
  const node = honestNode(coordinator.url);
  await t.rejects(coordinator.done, { code: 'ERR_CLUSTER_NON_FINITE', message: /step 2 refused/ });
  await t.rejects(node, { code: 'ERR_CLUSTER_NON_FINITE' }, 'the honest node ends with the code, not 0');
  const [first] = await Promise.all(members);
  t.same(first.errors, ['ERR_CLUSTER_NON_FINITE'], 'the members are told why');
  t.same(
    first.steps.map((s) => s.step),
    [1],
    'no parameters after the refused step are sent',
  );
  const model = coordinatorModel(coordinator);
  t.ok(allFinite(model.params), 'the coordinator keeps finite parameters');
  t.equal(model.compiled?.step, 1, 'at the step before');
  t.ok(bytes(model.params).equals(bytes(first.steps[0].parameters)), 'those of step 1');
  const saved = (await loadModel(path)).model;
  t.equal(saved.compiled?.step, 1, 'last.ckpt still holds step 1');
  t.ok(bytes(saved.params).equals(bytes(first.steps[0].parameters)), 'with its parameters');
});

t.test('1: an update that is not finite is undone and refused', async (t) => {
  const model = taskModel();
  model.compile({ loss: 'mse', optimizer: { kind: 'sgd', lr: 1e30 } });
  const compiled = model.compiled as NonNullable<Model['compiled']>;
  const memory = model.ensureMemory(1, compiled.optimizer.stateCount());
  const guard = new UpdateGuard(memory as NonNullable<typeof memory>);
  const before = model.params.slice();
  const gradient = new Float32Array(model.layout.size).fill(1e30);
  t.equal(
    guard.apply(compiled, [gradient], 1),
    'the update made the parameters or the optimizer state non-finite',
  );
  t.ok(bytes(model.params).equals(bytes(before)), 'the parameters are as before');
  t.equal(compiled.step, 0, 'the step is not counted');
  t.equal(guard.apply(compiled, [gradient.fill(1e-3)], 1), null, 'a finite update goes through');
  t.equal(compiled.step, 1);
});

t.test('2: a node with another run hash (another seed) is refused at join', async (t) => {
  t.equal(runHashOf({ seed: 5, optimizer: 'adam' }), runHashOf({ optimizer: 'adam', seed: 5 }), 'key order');
  t.not(runHashOf({ seed: 5 }), runHashOf({ seed: 6 }), 'the seed changes it');
  const runHash = runHashOf({ seed: 5 });
  const coordinator = await taskCoordinator(TOKEN, 1, { runHash, startTimeoutMs: 5_000 });
  t.teardown(() => coordinator.close());
  await t.rejects(honestNode(coordinator.url, { runHash: runHashOf({ seed: 6 }) }), {
    code: 'ERR_CLUSTER_REFUSED',
    message: /ERR_CLUSTER_RUN_MISMATCH/,
  });
  await t.rejects(honestNode(coordinator.url), { message: /ERR_CLUSTER_RUN_MISMATCH/ }, 'or none');
  t.equal(coordinator.status().members.length, 0, 'nobody was admitted');
  await honestNode(coordinator.url, { runHash });
  t.equal((await coordinator.done).steps, 8, 'the same run hash trains');
});

t.test('3: a gradient whose samples or count do not fit its assignment is refused', async (t) => {
  const epochs = 2;
  const coordinator = await taskCoordinator(TOKEN, epochs, { minNodes: 2 });
  const node = honestNode(coordinator.url);
  const liar = member(coordinator.url, 'liar', (g) =>
    g.step === 2
      ? [
          { ...g, count: 1e300 },
          { ...g, count: 0 },
          { ...g, count: g.count + 0.5 },
          { ...g, samples: g.samples + 1 },
          g,
        ]
      : [g],
  );
  await node;
  const summary = await coordinator.done;
  const { errors } = await liar;
  t.same(errors, Array(4).fill('ERR_CLUSTER_BAD_COUNT'), 'each refused with its code');
  t.equal(summary.steps, epochs * 8);
  const clean = await reference(2, epochs);
  t.ok(bytes(coordinatorModel(coordinator).params).equals(bytes(clean)), 'bit for bit the clean run');
});

t.test('1: a node refuses non-finite parameters and ends with a code, never 0', async (t) => {
  const fake = new WebSocketServer({ host: '127.0.0.1', port: 0 }); // a coordinator gone wrong
  await new Promise((r) => fake.once('listening', r));
  t.teardown(() => fake.close());
  const model = taskModel();
  fake.on('connection', (ws) => {
    const send = (f: Frame) => ws.send(encodeFrame(f), { binary: true });
    send({
      kind: 'welcome',
      rank: 0,
      world: 1,
      modelConfig: JSON.stringify(model.config()),
      compile: JSON.stringify(model.compileSpec),
      step: 0,
      parameters: model.params,
      batchSize: 12,
      seed: 5,
    });
    send({ kind: 'parameters', step: 1, loss: 1, parameters: model.params.slice().fill(Number.NaN) });
  });
  await t.rejects(honestNode(`ws://127.0.0.1:${(fake.address() as { port: number }).port}`), {
    code: 'ERR_CLUSTER_BAD_FRAME',
    message: /ERR_PROTOCOL_NON_FINITE/,
  });
});
