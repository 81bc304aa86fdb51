// A young-generation collection once a step (marking.ts, Note [a scavenge a step]): by default a
// node collects after each gradient it sends and the coordinator after each step's parameters,
// and V8 really collects then; `scavengeEachStep: false` leaves V8 alone; the option is checked.
// The parameters do not depend on it.
import { constants, PerformanceObserver } from 'node:perf_hooks';
import t from 'tap';
import { runNode } from './node.js';
import { child } from './testing/children.js';
import { TASK, taskCoordinator, taskNode, wideTaskModel } from './testing/task.js';

const TOKEN = 'scavenge-test-token';
const EPOCHS = 2;
const STEPS = EPOCHS * (TASK.N / TASK.batchSize);

/** One coordinator and one in-process node; their summaries, the parameters, the minor GCs seen. */
async function run(scavengeEachStep: boolean | undefined) {
  let minor = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) minor += 1;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const coordinator = await taskCoordinator(TOKEN, EPOCHS, { scavengeEachStep });
  const node = runNode(taskNode(coordinator.url, TOKEN, { nodeId: 'scavenger', scavengeEachStep }));
  const summary = await coordinator.done;
  const nodeSummary = await node;
  await new Promise((resolve) => setImmediate(resolve)); // the observer's last entries
  observer.disconnect();
  const params = (coordinator as unknown as { o: { model: { params: Float32Array } } }).o.model.params;
  return { summary, nodeSummary, minor, params: params.slice() };
}

t.test('by default the node and the coordinator each collect once a step', async (t) => {
  const r = await run(undefined);
  t.equal(r.summary.steps, STEPS);
  t.equal(r.nodeSummary.scavenges, r.nodeSummary.assignments, 'the node: once per gradient sent');
  t.equal(r.summary.scavenges, STEPS, 'the coordinator: once per step');
  t.ok(r.minor >= 2 * STEPS, `V8 ran at least those young-generation collections (${r.minor})`);
});

t.test('scavengeEachStep: false leaves V8 alone, and the parameters are the same', async (t) => {
  const off = await run(false);
  t.equal(off.summary.scavenges, 0);
  t.equal(off.nodeSummary.scavenges, 0);
  t.ok(off.minor < STEPS, `fewer young-generation collections than steps (${off.minor})`);
  const on = await run(true);
  t.same(Array.from(on.params), Array.from(off.params), 'identical parameters');
});

t.test('scavengeEachStep must be a boolean', async (t) => {
  await t.rejects(taskCoordinator(TOKEN, 1, { scavengeEachStep: 'yes' as never }), {
    code: 'ERR_CLUSTER_BAD_OPTION',
    message: /coordinator: scavengeEachStep must be true or false, got yes/,
  });
  await t.rejects(runNode(taskNode('ws://127.0.0.1:9', TOKEN, { scavengeEachStep: 1 as never })), {
    code: 'ERR_CLUSTER_BAD_OPTION',
    message: /node: scavengeEachStep must be true or false, got 1/,
  });
});

t.test('a step’s gradients die young: the collection after a step frees their buffers', async (t) => {
  // The coordinator used to hold a step's received gradient frames (views on ws's messages)
  // through its own collection after the step, so they survived it and the next one, reached
  // the old generation, and waited there for a full collection that only external memory
  // pressure brought, every few dozen steps (10–21 ms each on lstm-std). Now the loop lets them
  // go before it collects: this process's ArrayBuffer memory stays flat from step to step. The
  // node runs in a process of its own, so that only the coordinator's buffers are counted here.
  const epochs = 4;
  const samples: number[] = [];
  const coordinator = await taskCoordinator(TOKEN, epochs, {
    model: wideTaskModel(),
    onStep: () => samples.push(process.memoryUsage().arrayBuffers),
  });
  const P = wideTaskModel().layout.size;
  const node = child('node-run.mjs', { url: coordinator.url, wide: true, nodeId: 'young' }, { token: TOKEN });
  const summary = await coordinator.done;
  t.match(await node.ended, { ok: true });
  t.equal(summary.steps, epochs * (TASK.N / TASK.batchSize));
  const base = samples[7] as number;
  const growth = Math.max(...samples.slice(8)) - base;
  t.ok(
    growth < 6 * 4 * P,
    `ArrayBuffer memory grew ${(growth / 1e6).toFixed(1)} MB over ${samples.length - 8} steps ` +
      `(less than 6 gradients of ${((4 * P) / 1e6).toFixed(2)} MB)`,
  );
});
