// The control block's barrier on real worker threads (issue 5): no rank passes a barrier before
// every rank has reached it, round after round; a barrier that one rank never reaches times out
// with a coded error naming that rank; an abort wakes every waiter at once. Interleavings are
// driven with Atomics (the threads wait on each other), never with sleeps.

import { Worker } from 'node:worker_threads';
import t from 'tap';
import { abortAll, barrier, controlBlock, Field, waitAsyncWhile, waitWhile } from './control.js';

const CONTROL_URL = new URL('../dist/control.js', import.meta.url).href;

/**
 * A rank thread that runs `body` (a function source taking (c, rank, shared, api)) and posts
 * what it returns, or { error: { code, message } }.
 */
function rankThread(
  body: string,
  world: number,
  rank: number,
  control: SharedArrayBuffer,
  shared: SharedArrayBuffer,
) {
  const source = `
    const { workerData, parentPort } = require('node:worker_threads');
    import(workerData.url).then((api) => {
      const c = api.controlBlock(workerData.world, 1, workerData.control);
      const shared = new Int32Array(workerData.shared);
      try { parentPort.postMessage({ value: (${body})(c, workerData.rank, shared, api) }); }
      catch (e) { parentPort.postMessage({ error: { code: e.code, message: e.message } }); }
    });`;
  const worker = new Worker(source, {
    eval: true,
    workerData: { url: CONTROL_URL, world, rank, control, shared },
  });
  return new Promise<{ value?: unknown; error?: { code: string; message: string } }>((resolve, reject) => {
    worker.once('message', (m) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

t.test('no rank passes a barrier early, over many rounds and 4 threads', async (t) => {
  const W = 4;
  const ROUNDS = 200;
  const c = controlBlock(W, 1);
  const shared = new SharedArrayBuffer(4 * W);
  // Each round every rank writes its round number, meets the others, then checks that every
  // rank has written it: a rank let through early would see an older number.
  const body = `(c, rank, shared, api) => {
    let violations = 0;
    for (let round = 1; round <= ${ROUNDS}; round++) {
      Atomics.store(shared, rank, round);
      api.barrier(c, rank, 10000, 'round');
      for (let r = 0; r < ${W}; r++) if (Atomics.load(shared, r) < round) violations++;
      api.barrier(c, rank, 10000, 'check');
    }
    return violations;
  }`;
  const results = await Promise.all(
    Array.from({ length: W }, (_, r) => rankThread(body, W, r, c.buffer, shared)),
  );
  t.same(
    results.map((r) => r.value),
    [0, 0, 0, 0],
    'every rank saw every other rank arrive, every round',
  );
  t.equal(Atomics.load(c.ints, Field.BARRIER_GEN), 2 * ROUNDS, 'one opening per barrier');
});

t.test('a barrier that one rank never reaches times out, naming that rank', async (t) => {
  const W = 3;
  const c = controlBlock(W, 1);
  const shared = new SharedArrayBuffer(4);
  // ranks 0 and 1 wait; rank 2 never comes
  const waiting = `(c, rank, shared, api) => { api.barrier(c, rank, 300, 'after compute'); return 'passed'; }`;
  const results = await Promise.all([0, 1].map((r) => rankThread(waiting, W, r, c.buffer, shared)));
  for (const r of results) {
    t.equal(r.error?.code, 'ERR_PARALLEL_BARRIER_TIMEOUT');
    t.match(r.error?.message, /waited 300 ms at the barrier after compute for rank\(s\) 2:/);
  }
});

t.test('an abort wakes every waiter at once, whatever it waits on', async (t) => {
  const W = 3;
  const c = controlBlock(W, 1);
  const shared = new SharedArrayBuffer(4);
  // ranks 0 and 1 block in a barrier with a long timeout, rank 2 waits for a command; each
  // tells the main thread it is about to wait through `shared`, then the main thread aborts.
  const atBarrier = `(c, rank, shared, api) => {
    Atomics.add(shared, 0, 1); Atomics.notify(shared, 0);
    api.barrier(c, rank, 60000, 'after compute');
    return 'passed';
  }`;
  const atCommand = `(c, rank, shared, api) => {
    const seen = Atomics.load(c.ints, api.Field.COMMAND_GEN);
    Atomics.add(shared, 0, 1); Atomics.notify(shared, 0);
    return api.waitWhile(c, api.Field.COMMAND_GEN, seen, 60000) && api.aborted(c) ? 'woken by abort' : 'timed out';
  }`;
  const flags = new Int32Array(shared);
  const pending = [
    rankThread(atBarrier, W, 0, c.buffer, shared),
    rankThread(atBarrier, W, 1, c.buffer, shared),
    rankThread(atCommand, W, 2, c.buffer, shared),
  ];
  // wait (without sleeping) until all three announced themselves
  for (let seen = Atomics.load(flags, 0); seen < 3; seen = Atomics.load(flags, 0)) {
    await waitAsyncWhile(flags, 0, seen, 10_000);
  }
  const started = performance.now();
  abortAll(c, 1);
  const results = await Promise.all(pending);
  t.ok(performance.now() - started < 10_000, 'far sooner than any timeout');
  t.equal(results[0].error?.code, 'ERR_PARALLEL_PEER_FAILED');
  t.match(results[1].error?.message, /rank 1 stopped: rank 1 failed/);
  t.equal(results[2].value, 'woken by abort');
  t.equal(Atomics.load(c.ints, Field.FAILED_RANK), 1, 'the first aborter is recorded');
  abortAll(c, 2);
  t.equal(Atomics.load(c.ints, Field.FAILED_RANK), 1, 'and stays the one recorded');
});

t.test('waitWhile returns false at its timeout, true when the value moves', (t) => {
  const c = controlBlock(1, 1);
  t.equal(waitWhile(c, Field.COMMAND_GEN, 0, 20), false, 'unchanged: timed out');
  Atomics.add(c.ints, Field.COMMAND_GEN, 1);
  t.equal(waitWhile(c, Field.COMMAND_GEN, 0, 20), true, 'moved: returns at once');
  t.doesNotThrow(() => barrier(c, 0, 10, 'alone'), 'a world of one never waits');
  t.end();
});
