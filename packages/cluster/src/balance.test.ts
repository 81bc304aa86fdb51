// Balanced micro-batches in a cluster (@recur/parallel's Note [balanced micro-batches]): nodes
// given the same threadsOptions as a threads run train its parameters bit for bit — 2 nodes × 1
// thread against threads(2), and one node of 2 threads whose rank 1 is slow (so that rank 0
// takes its micro-batches) against the same; a node refuses balance with bucketBytes.
import { type ThreadsOptions, threads } from '@recur/parallel';
import t from 'tap';
import { runNode } from './node.js';
import { TASK, taskCoordinator, taskData, taskModel, taskNode } from './testing/task.js';

const TOKEN = 'balance-test-token';
const EPOCHS = 2;
const BALANCED: ThreadsOptions = { accumulate: 3, balance: true };

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** A run of in-process nodes with these thread counts and options; the coordinator's parameters. */
async function clusterRun(counts: number[], threadsOptions: ThreadsOptions) {
  const coordinator = await taskCoordinator(TOKEN, EPOCHS, { minNodes: counts.length });
  const nodes = counts.map((count, i) =>
    runNode(taskNode(coordinator.url, TOKEN, { nodeId: `balance-${i}`, threads: count, threadsOptions })),
  );
  const summary = await coordinator.done;
  await Promise.all(nodes);
  const params = (coordinator as unknown as { o: { model: { params: Float32Array } } }).o.model.params;
  return { summary, params: params.slice() };
}

async function threadsRun(options: ThreadsOptions): Promise<Float32Array> {
  const model = taskModel();
  const { x, y } = taskData();
  await model.fit(x, y, {
    epochs: EPOCHS,
    batchSize: TASK.batchSize,
    seed: 5,
    strategy: threads(2, options),
  });
  return model.params;
}

t.test('2 nodes × 1 thread, balanced, train the parameters of balanced threads(2)', async (t) => {
  const reference = await threadsRun(BALANCED);
  const run = await clusterRun([1, 1], BALANCED);
  t.equal(run.summary.steps, EPOCHS * (TASK.N / TASK.batchSize));
  t.ok(bytes(run.params).equals(bytes(reference)), 'identical bytes');
  t.notOk(
    bytes(reference).equals(bytes(await threadsRun({}))),
    'and balancing changed the bits (two levels)',
  );
});

t.test('one node of 2 threads with a slow rank, balanced, trains the same bits', async (t) => {
  const slow: ThreadsOptions = { ...BALANCED, inject: { rank: 1, step: 1, fault: 'slow', ms: 20 } };
  const run = await clusterRun([2], slow);
  t.ok(bytes(run.params).equals(bytes(await threadsRun(BALANCED))), 'identical bytes');
});

t.test('a node refuses balance with bucketBytes', async (t) => {
  await t.rejects(
    runNode(taskNode('ws://127.0.0.1:9', TOKEN, { threadsOptions: BALANCED, bucketBytes: 4096 })),
    { code: 'ERR_CLUSTER_BAD_OPTION', message: /balance cannot be combined with bucketBytes/ },
  );
});
