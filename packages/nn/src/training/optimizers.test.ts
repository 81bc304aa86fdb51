// Optimizer specs: PyTorch's defaults, validation messages, the state each kind needs, and an
// update over two halves of the range equal bit for bit to one update over the whole of it.
// The update formulas themselves are checked against torch in @recur/kernels (optim.test.ts).
import t, { type Test } from 'tap';
import { NnErrorCode, RecurError } from '../errors.js';
import { createOptimizer, type Optimizer, type OptimizerSpec, optimizerFromJSON } from './optimizers.js';

/** The error `run` throws (or null), for asserting code and message exactly. */
function thrown(run: () => unknown): RecurError | null {
  try {
    run();
  } catch (error) {
    if (error instanceof RecurError) return error;
    throw error;
  }
  return null;
}

function expectError(t: Test, run: () => unknown, code: string, message: string): void {
  const error = thrown(run);
  t.equal(error?.code, code);
  t.equal(error?.message, message);
}

/** Seeded values in [-1, 1) (mulberry32). */
function randomArray(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    out[i] = (((z ^ (z >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

t.test('each kind resolves to PyTorch defaults', async (t) => {
  t.same(createOptimizer('sgd').hyper, {
    lr: 0.01,
    momentum: 0,
    dampening: 0,
    nesterov: false,
    weightDecay: 0,
  });
  t.same(createOptimizer('adam').hyper, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
  t.same(createOptimizer('adamw').hyper, {
    lr: 1e-3,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0.01,
  });
  t.same(createOptimizer('rmsprop').hyper, {
    lr: 0.01,
    alpha: 0.99,
    eps: 1e-8,
    weightDecay: 0,
    momentum: 0,
    centered: false,
  });
});

t.test('given options override the defaults and the rest stay', async (t) => {
  const sgd = createOptimizer({ kind: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true });
  t.same(sgd.hyper, { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0 });
  const adamw = createOptimizer({ kind: 'adamw', weightDecay: 0 });
  t.equal(adamw.kind, 'adamw');
  t.equal(adamw.hyper.weightDecay, 0);
  t.ok(Object.isFrozen(sgd.hyper), 'hyper is frozen');
});

t.test('stateCount and stateNames follow the options', async (t) => {
  const names = (spec: OptimizerSpec) => createOptimizer(spec).stateNames;
  t.same(names('sgd'), []);
  t.same(names({ kind: 'sgd', momentum: 0.9 }), ['momentum']);
  t.same(names('adam'), ['m', 'v']);
  t.same(names('rmsprop'), ['squareAvg']);
  t.same(names({ kind: 'rmsprop', centered: true, momentum: 0.5 }), ['squareAvg', 'gradAvg', 'momentum']);
  t.equal(createOptimizer({ kind: 'rmsprop', momentum: 0.5 }).stateCount(), 2);
});

t.test('a bad spec or kind is rejected with a coded error', async (t) => {
  const bad = NnErrorCode.BAD_OPTION;
  expectError(
    t,
    () => createOptimizer('adagrad' as OptimizerSpec),
    bad,
    "optimizer: kind must be one of 'sgd', 'adam', 'adamw', 'rmsprop', got 'adagrad'",
  );
  expectError(
    t,
    () => createOptimizer(null as unknown as OptimizerSpec),
    bad,
    "optimizer must be one of 'sgd', 'adam', 'adamw', 'rmsprop' or an object { kind, ...options }, got null",
  );
});

t.test('unknown and out-of-range options name the option', async (t) => {
  const bad = NnErrorCode.BAD_OPTION;
  expectError(
    t,
    () => createOptimizer({ kind: 'adam', learningRate: 0.1 } as OptimizerSpec),
    bad,
    "optimizer 'adam': unknown option 'learningRate' (known: kind, lr, beta1, beta2, eps, weightDecay)",
  );
  expectError(
    t,
    () => createOptimizer({ kind: 'sgd', lr: -1 }),
    bad,
    "optimizer 'sgd': lr must be a number in [0, Infinity), got -1",
  );
  expectError(
    t,
    () => createOptimizer({ kind: 'adamw', beta2: 1 }),
    bad,
    "optimizer 'adamw': beta2 must be a number in [0, 1), got 1",
  );
  expectError(
    t,
    () => createOptimizer({ kind: 'rmsprop', eps: 0 }),
    bad,
    "optimizer 'rmsprop': eps must be a number in (0, Infinity), got 0",
  );
});

t.test('wrong types are rejected', async (t) => {
  expectError(
    t,
    () => createOptimizer({ kind: 'rmsprop', centered: 1 as unknown as boolean }),
    NnErrorCode.BAD_OPTION,
    "optimizer 'rmsprop': centered must be true or false, got 1",
  );
  expectError(
    t,
    () => createOptimizer({ kind: 'sgd', lr: '0.1' as unknown as number }),
    NnErrorCode.BAD_OPTION,
    "optimizer 'sgd': lr must be a number in [0, Infinity), got '0.1'",
  );
});

t.test('nesterov needs momentum and zero dampening, as torch', async (t) => {
  const message = (m: number, d: number) =>
    `optimizer 'sgd': nesterov needs momentum > 0 and dampening 0, got momentum ${m}, dampening ${d}`;
  expectError(
    t,
    () => createOptimizer({ kind: 'sgd', nesterov: true }),
    NnErrorCode.BAD_OPTION,
    message(0, 0),
  );
  expectError(
    t,
    () => createOptimizer({ kind: 'sgd', nesterov: true, momentum: 0.9, dampening: 0.1 }),
    NnErrorCode.BAD_OPTION,
    message(0.9, 0.1),
  );
});

const UPDATE_CASES: OptimizerSpec[] = [
  'sgd',
  { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0.01 },
  { kind: 'sgd', momentum: 0.9, dampening: 0.2 },
  'adam',
  { kind: 'adam', weightDecay: 0.1 },
  'adamw',
  'rmsprop',
  { kind: 'rmsprop', centered: true, momentum: 0.5, weightDecay: 0.01 },
];

/** Runs 3 steps with lrs 0.1, 0.05, 0.02; splits each update at `split` (P for no split). */
function runSteps(optimizer: Optimizer, P: number, split: number): Float32Array[] {
  const params = randomArray(P, 1);
  const state = Array.from({ length: optimizer.stateCount() }, () => new Float32Array(P));
  const lrs = [0.1, 0.05, 0.02];
  for (let step = 1; step <= lrs.length; step++) {
    const grads = randomArray(P, 100 + step);
    optimizer.update(params, grads, state, 0, split, step, lrs[step - 1]);
    optimizer.update(params, grads, state, split, P, step, lrs[step - 1]);
  }
  return [params, ...state];
}

for (const spec of UPDATE_CASES) {
  t.test(`${JSON.stringify(spec)}: two halves equal one whole update bit for bit`, async (t) => {
    const P = 37;
    const whole = runSteps(createOptimizer(spec), P, P);
    const halves = runSteps(createOptimizer(spec), P, 15);
    t.same(halves, whole);
    t.not(whole[0][0], randomArray(P, 1)[0], 'params moved');
  });
}

t.test('update uses the lr it is given, not the base lr', async (t) => {
  const sgd = createOptimizer({ kind: 'sgd', lr: 123 });
  const params = Float32Array.of(1, 2);
  sgd.update(params, Float32Array.of(1, -1), [], 0, 2, 1, 0.5);
  t.same(params, Float32Array.of(0.5, 2.5));
  t.equal(sgd.hyper.lr, 123);
});

t.test('update rejects the wrong number of state buffers', async (t) => {
  const adam = createOptimizer('adam');
  const p = new Float32Array(2);
  expectError(
    t,
    () => adam.update(p, p, [p], 0, 2, 1, 0.1),
    NnErrorCode.BAD_OPTION,
    "optimizer 'adam': update needs 2 state buffers, got 1",
  );
});

t.test('optimizerFromJSON round-trips kind and hyper through JSON', async (t) => {
  const original = createOptimizer({ kind: 'rmsprop', lr: 0.003, centered: true, momentum: 0.2 });
  const saved = JSON.parse(JSON.stringify({ kind: original.kind, hyper: original.hyper }));
  const loaded = optimizerFromJSON(saved.kind, saved.hyper);
  t.equal(loaded.kind, 'rmsprop');
  t.same(loaded.hyper, original.hyper);
  t.same(loaded.stateNames, original.stateNames);
});

t.test('optimizerFromJSON reports bad saved state as a bad checkpoint', async (t) => {
  const error = thrown(() => optimizerFromJSON('adam', { lr: 0.1, beta1: 2 }));
  t.equal(error?.code, NnErrorCode.BAD_CHECKPOINT);
  t.equal(
    error?.message,
    "checkpoint: bad optimizer state: optimizer 'adam': beta1 must be a number in [0, 1), got 2",
  );
  t.equal((error?.cause as RecurError | undefined)?.code, NnErrorCode.BAD_OPTION);
  expectError(
    t,
    () => optimizerFromJSON('sgd', null),
    NnErrorCode.BAD_CHECKPOINT,
    'checkpoint: optimizer hyperparameters must be an object, got null',
  );
});
