// Failures on threads (issue 5): a rank that throws mid-step, a thread that exits, a rank that
// hangs (with W > 1 the others time out at the barrier; with W = 1 the main thread's step
// timeout fires) all end fit with a coded error naming the rank and the cause, within the
// timeout, with no thread left behind, and with the last checkpoint still valid. Each run is a
// child process that must end by itself: a leftover worker thread would keep it alive past the
// deadline. Also: an AbortSignal stops every rank after the current step, with a checkpoint;
// a worker whose rebuilt model has another layout refuses to start.

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { kernelBackend } from '@recur/kernels';
import { dense, loadModel, lstm, sequential } from '@recur/nn';
import t from 'tap';
import { controlBlock } from './control.js';
import runRank from './rank-worker.js';
import { threads } from './threads.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../fixtures/fault-run.mjs', import.meta.url));
/** a child that has not ended by then left something running */
const DEADLINE_MS = 30_000;

interface Ended {
  ok: boolean;
  name?: string;
  code?: string;
  rank?: number | null;
  message?: string;
  ms?: number;
}

async function faultRun(spec: object): Promise<Ended> {
  const { stdout } = await run(process.execPath, [script, JSON.stringify(spec)], {
    timeout: DEADLINE_MS,
    killSignal: 'SIGKILL',
  });
  return JSON.parse(stdout.trim().split('\n').pop() as string) as Ended;
}

t.test('a rank that throws mid-step: ERR_PARALLEL_RANK_FAILED naming the rank and the cause', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'recur-faults-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const checkpoint = join(dir, 'run.ckpt');
  const ended = await faultRun({ world: 2, inject: { rank: 1, step: 6, fault: 'throw' }, checkpoint });
  t.equal(ended.code, 'ERR_PARALLEL_RANK_FAILED');
  t.equal(ended.rank, 1);
  t.match(ended.message, /rank 1 failed: .*injected fault at step 6/);
  const { model } = await loadModel(checkpoint);
  t.same(model.trainingPosition, { epoch: 1, position: 0 }, 'the checkpoint of epoch 0 stays valid');
});

t.test('a thread that exits: ERR_PARALLEL_THREAD_EXITED, the process ends by itself', async (t) => {
  const ended = await faultRun({ world: 2, inject: { rank: 0, step: 2, fault: 'exit' } });
  t.equal(ended.code, 'ERR_PARALLEL_THREAD_EXITED');
  t.equal(ended.rank, 0);
  t.match(ended.message, /rank 0's thread ended: .*code: 3/);
});

t.test('a rank that hangs: the others leave the barrier at its timeout, naming it', async (t) => {
  const ended = await faultRun({
    world: 3,
    inject: { rank: 2, step: 3, fault: 'hang' },
    options: { barrierTimeoutMs: 500 },
  });
  t.equal(ended.code, 'ERR_PARALLEL_BARRIER_TIMEOUT');
  t.match(ended.message, /waited 500 ms at the barrier after compute for rank\(s\) 2/);
  t.ok((ended.ms ?? Infinity) < DEADLINE_MS, `ended after ${ended.ms} ms; the hung thread was terminated`);
});

t.test('W = 1 hanging: the main thread gives up at stepTimeoutMs', async (t) => {
  const ended = await faultRun({
    world: 1,
    inject: { rank: 0, step: 2, fault: 'hang' },
    options: { stepTimeoutMs: 500 },
  });
  t.equal(ended.code, 'ERR_PARALLEL_STEP_TIMEOUT');
  t.match(ended.message, /took over 500 ms/);
});

t.test('a clean run on threads ends its process too', async (t) => {
  t.same(await faultRun({ world: 2 }), { ok: true });
});

t.test('an AbortSignal stops all ranks after the current step, with a checkpoint', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'recur-abort-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'stopped.ckpt');
  const N = 40;
  const x = Float32Array.from({ length: N * 4 }, (_, i) => Math.sin(i));
  const y = Float32Array.from({ length: N }, (_, i) => Math.cos(i));
  const model = sequential([lstm({ units: 4 }), dense({ units: 1 })], { inputShape: [4, 1], seed: 2 });
  model.compile({ loss: 'mse' });
  const controller = new AbortController();
  const strategy = threads(2);
  const history = await model.fit(
    { data: x, shape: [N, 4, 1] },
    { data: y, shape: [N, 1] },
    {
      epochs: 5,
      batchSize: 8,
      strategy,
      signal: controller.signal,
      checkpoint: { path },
      callbacks: { onBatchEnd: (batch) => (batch === 2 ? controller.abort() : undefined) },
    },
  );
  t.equal(history.aborted, true);
  t.equal(strategy.progress().steps, 3, 'no step after the one that saw the signal');
  const { model: saved } = await loadModel(path);
  t.same(saved.trainingPosition, { epoch: 0, position: 3 }, 'the checkpoint resumes at batch 3');
  t.same(Array.from(saved.params), Array.from(model.params), 'with the trained parameters');
});

t.test('a worker whose rebuilt model has another layout refuses to start', async (t) => {
  const model = sequential([lstm({ units: 3 }), dense({ units: 1 })], { inputShape: [4, 1], seed: 1 });
  model.compile({ loss: 'mse' });
  const memory = model.ensureMemory(4, 2, 1, {
    shared: true,
    ranks: { count: 1, maxBatch: 4, extraBytes: 4096 },
  });
  const control = controlBlock(1, 1);
  const outcome = await runRank({
    rank: 0,
    world: 1,
    accumulate: 1,
    balance: false,
    config: model.config(),
    compile: { loss: 'mse' },
    layoutHash: 'f'.repeat(64),
    step: 0,
    trainingSeed: 1,
    arena: memory.arena.buffer as SharedArrayBuffer,
    kernelMemory: null,
    kernels: kernelBackend().name,
    coreOffset: 0,
    regions: memory.rankRegions,
    stateCount: 2,
    microBatch: 4,
    hasLengths: false,
    control: control.buffer,
    barrierTimeoutMs: 1000,
    idleTimeoutMs: 1000,
    inject: null,
  });
  t.match(outcome, { ok: false, code: 'ERR_PARALLEL_LAYOUT_MISMATCH', message: /another|layout/ });
  t.equal(Atomics.load(control.ints, 9), 0, 'it recorded itself as the failed rank');
});
