// The named limits a model's size meets before anything is allocated (issue 16, defect 24):
// MODEL_MAX_PARAMS when the model is built, MEMORY_MAX_BYTES when its memory is made for a batch
// size; each exceeded by one is ERR_NN_LIMIT_EXCEEDED, and a real model over them fails at once.
import t from 'tap';
import {
  checkMemoryBytes,
  checkParamCount,
  dense,
  lstm,
  MEMORY_MAX_BYTES,
  MODEL_MAX_PARAMS,
  sequential,
} from './index.js';

const LIMIT = { code: 'ERR_NN_LIMIT_EXCEEDED' };

t.test('MODEL_MAX_PARAMS: the limit passes, one more is refused', async (t) => {
  t.doesNotThrow(() => checkParamCount(MODEL_MAX_PARAMS));
  t.throws(() => checkParamCount(MODEL_MAX_PARAMS + 1), {
    ...LIMIT,
    message: /134,217,729 parameters, over MODEL_MAX_PARAMS \(134,217,728\)/,
  });
});

t.test('MEMORY_MAX_BYTES: the limit passes, one more byte is refused', async (t) => {
  t.doesNotThrow(() => checkMemoryBytes(MEMORY_MAX_BYTES, 32));
  t.throws(() => checkMemoryBytes(MEMORY_MAX_BYTES + 1, 32), {
    ...LIMIT,
    message: /batches of 32 would be 3,221,225,473 bytes, over MEMORY_MAX_BYTES/,
  });
});

t.test('an LSTM of 100,000 units is refused before its parameters are allocated', async (t) => {
  const before = process.memoryUsage.rss();
  t.throws(() => sequential([lstm({ units: 100_000 }), dense({ units: 1 })], { inputShape: [30, 4] }), {
    ...LIMIT,
    message: /40,002,500,001 parameters, over MODEL_MAX_PARAMS/,
  });
  t.ok(process.memoryUsage.rss() - before < 64 * 2 ** 20, 'nothing large was allocated');
});

t.test('a batch of a billion samples is refused before the arena is allocated', async (t) => {
  const model = sequential([lstm({ units: 8 }), dense({ units: 1 })], { inputShape: [30, 4] });
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.01 } });
  t.throws(() => model.ensureMemory(1e9, 2), { ...LIMIT, message: /batches of 1000000000 would be/ });
});
