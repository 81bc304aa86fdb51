// Buckets over real sockets on loopback: a coordinator and 2 nodes × 1 thread on a stacked model
// (LSTM → LSTM → dense) with bucketBytes send each step's gradient in pieces while the backward
// goes on, and train bit for bit the parameters of the same run without buckets and of
// threads(2); with fp16 gradients, bit for bit those of fp16 without buckets; one node of 2
// threads with buckets, those of threads(2).
import { threads } from '@recur/parallel';
import t from 'tap';
import { runNode } from './node.js';
import { stackedTaskModel, TASK, taskCoordinator, taskData, taskNode } from './testing/task.js';

const TOKEN = 'buckets-test-token';
const EPOCHS = 2;
const STEPS = EPOCHS * (TASK.N / TASK.batchSize);

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** A run of 2 in-process nodes; the coordinator's parameters and the nodes' gradient frames. */
async function clusterRun(bucketBytes: number, precision: 'fp32' | 'fp16', threads = [1, 1]) {
  const coordinator = await taskCoordinator(TOKEN, EPOCHS, {
    model: stackedTaskModel(),
    minNodes: threads.length,
  });
  const logs: string[] = [];
  const nodes = threads.map((count, i) =>
    runNode(
      taskNode(coordinator.url, TOKEN, {
        model: stackedTaskModel(),
        nodeId: `bucket-node-${i}`,
        threads: count,
        bucketBytes,
        precision,
        log: (line) => logs.push(line),
      }),
    ),
  );
  const summary = await coordinator.done;
  const ends = await Promise.all(nodes);
  const params = (coordinator as unknown as { o: { model: { params: Float32Array } } }).o.model.params;
  return { summary, ends, params: params.slice(), logs };
}

t.test('2 nodes with bucketBytes ≡ without ≡ threads(2), bit for bit', async (t) => {
  const model = stackedTaskModel();
  t.equal(model.layers.length, 3);
  const plain = await clusterRun(0, 'fp32');
  t.equal(plain.summary.steps, STEPS);
  t.same(
    plain.ends.map((e) => e.gradientFrames),
    [STEPS, STEPS],
    'without buckets: one gradient frame a step',
  );
  for (const bucketBytes of [1, 4 * 100]) {
    const pieces = bucketBytes === 1 ? 3 : 2; // dense | lstm | lstm, or dense + lstm | lstm
    const bucketed = await clusterRun(bucketBytes, 'fp32');
    t.equal(bucketed.summary.steps, STEPS, `bucketBytes ${bucketBytes}: the run finished`);
    t.same(
      bucketed.ends.map((e) => e.gradientFrames),
      [pieces * STEPS, pieces * STEPS],
      `bucketBytes ${bucketBytes}: ${pieces} pieces a step from each node`,
    );
    t.ok(
      bucketed.logs.some((l) => l.includes(`gradients in ${pieces} pieces`)),
      'the node says so',
    );
    t.ok(
      bytes(bucketed.params).equals(bytes(plain.params)),
      `bucketBytes ${bucketBytes}: the parameters of the run without`,
    );
    for (const e of bucketed.ends) {
      const { computeMs, sendMs } = e.timings;
      t.ok(computeMs > 0 && sendMs > 0, `the node's timings stay meaningful: ${JSON.stringify(e.timings)}`);
    }
  }
  const { x, y } = taskData();
  await model.fit(x, y, { epochs: EPOCHS, batchSize: TASK.batchSize, seed: 5, strategy: threads(2) });
  t.ok(bytes(plain.params).equals(bytes(model.params)), 'and those of threads(2)');
});

t.test('fp16 gradients in pieces ≡ fp16 whole, bit for bit', async (t) => {
  const plain = await clusterRun(0, 'fp16');
  const bucketed = await clusterRun(4 * 100, 'fp16');
  t.equal(bucketed.summary.steps, STEPS);
  t.same(
    bucketed.ends.map((e) => e.gradientFrames),
    [2 * STEPS, 2 * STEPS],
  );
  t.ok(bytes(bucketed.params).equals(bytes(plain.params)), 'the parameters of fp16 without buckets');
});

t.test('one node of 2 threads with buckets ≡ threads(2), bit for bit', async (t) => {
  const bucketed = await clusterRun(1, 'fp32', [2]);
  t.same(
    bucketed.ends.map((e) => e.gradientFrames),
    [3 * STEPS],
  );
  const model = stackedTaskModel();
  const { x, y } = taskData();
  await model.fit(x, y, { epochs: EPOCHS, batchSize: TASK.batchSize, seed: 5, strategy: threads(2) });
  t.ok(bytes(bucketed.params).equals(bytes(model.params)), 'the parameters of threads(2)');
});
