// threads() options (issue 5): every option is checked with a coded error that names it and
// the accepted values, and each limit is exceeded by one in a test.

import { availableParallelism } from 'node:os';
import { dense, lstm, sequential } from '@recur/nn';
import t from 'tap';
import { THREADS_LIMITS, threads } from './threads.js';

const code = 'ERR_PARALLEL_BAD_OPTION';

t.test('the thread count: default the available cores, 1 … maxWorld', (t) => {
  t.equal(threads().world, availableParallelism());
  t.equal(threads(THREADS_LIMITS.maxWorld).world, THREADS_LIMITS.maxWorld, 'the limit itself is fine');
  t.throws(() => threads(THREADS_LIMITS.maxWorld + 1), {
    code,
    message: /thread count must be an integer in \[1, 256\]/,
  });
  t.throws(() => threads(0), { code });
  t.throws(() => threads(1.5), { code });
  t.end();
});

t.test('accumulate: 1 … maxAccumulate', (t) => {
  t.doesNotThrow(() => threads(2, { accumulate: THREADS_LIMITS.maxAccumulate }));
  t.throws(() => threads(2, { accumulate: THREADS_LIMITS.maxAccumulate + 1 }), {
    code,
    message: /accumulate must be an integer in \[1, 1024\], got 1025/,
  });
  t.throws(() => threads(2, { accumulate: 0 }), { code });
  t.end();
});

t.test('a wrong value is described in one short line, not written out', (t) => {
  const samples = new Float32Array(1_000_000);
  t.throws(() => threads(2, { accumulate: samples as unknown as number }), {
    code,
    message: /accumulate must be an integer in \[1, 1024\], got Float32Array\(1000000\)$/,
  });
  t.end();
});

t.test('timeouts are positive integers of milliseconds', (t) => {
  for (const key of [
    'barrierTimeoutMs',
    'stepTimeoutMs',
    'startTimeoutMs',
    'idleTimeoutMs',
    'closeTimeoutMs',
  ]) {
    t.throws(() => threads(2, { [key]: 0 }), { code, message: new RegExp(`${key} must be an integer`) });
    t.throws(() => threads(2, { [key]: '100' as unknown as number }), { code });
    t.doesNotThrow(() => threads(2, { [key]: 1 }));
  }
  t.end();
});

t.test('unknown options are refused by name', (t) => {
  t.throws(() => threads(2, { acumulate: 2 } as unknown as object), {
    code,
    message: /option 'acumulate' must be one of accumulate, barrierTimeoutMs/,
  });
  t.throws(() => threads(2, null as unknown as object), { code });
  t.end();
});

t.test('a model with an initial state set is refused, naming the layer', async (t) => {
  const model = sequential([lstm({ units: 2 }), dense({ units: 1 })], { inputShape: [3, 1], seed: 1 });
  model.compile({ loss: 'mse' });
  model.setInitialState(0, { h: [0.5, 0.5], c: [0, 0] });
  const x = { data: new Float32Array(12), shape: [4, 3, 1] };
  const y = { data: new Float32Array(4), shape: [4, 1] };
  await t.rejects(model.fit(x, y, { strategy: threads(2) }), {
    code: 'ERR_PARALLEL_BAD_MODEL',
    message: /layer 0 has an initial state/,
  });
});
