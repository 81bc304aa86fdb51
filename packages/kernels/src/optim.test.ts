// Optimizer parity with torch.optim: the float32 updates of optim.ts run the 5 steps of every
// case in fixtures/optim.json (written by scripts/fixtures/gen_optim_fixtures.py from torch 1.13
// in float64) and must match params and every state tensor after every step within rtol 1e-5,
// atol 1e-6. Also: grads are never modified, a chunked update equals the whole one bit for bit,
// and the clipping pieces follow clip_grad_norm_. The updates run on every backend (testBackends()):
// the wasm Adam/AdamW/SGD must also equal the reference bit for bit (both compute in float64).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import {
  type AdamOptions,
  clipFactor,
  type RmspropOptions,
  type SgdOptions,
  scaleRange,
  squaredNorm,
} from './optim.js';
import { allClose } from './testing/arrays.js';
import { type TestBackend, testBackends, tsTestBackend } from './testing/backends.js';
import { readSafetensors } from './testing/safetensors.js';

const RTOL = 1e-5;
const ATOL = 1e-6;

interface FixtureCase {
  name: string;
  optimizer: 'sgd' | 'adam' | 'adamw' | 'rmsprop';
  options: SgdOptions & AdamOptions & RmspropOptions;
  tensors: Record<string, string>;
}
interface FixtureIndex {
  P: number;
  steps: number;
  inputs: { params: string; grads: string };
  cases: FixtureCase[];
}

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const index = JSON.parse(readFileSync(fixture('optim.json'), 'utf8')) as FixtureIndex;
const tensors = readSafetensors(fixture('optim.safetensors'));
const { P, steps } = index;

function tensor(name: string): Float64Array {
  const found = tensors.get(name);
  if (found === undefined) throw new Error(`optim.safetensors has no tensor "${name}"`);
  return found.data as Float64Array;
}

/** Row k of a (steps, P) tensor. */
const row = (name: string, k: number) => tensor(name).subarray(k * P, (k + 1) * P);

/** params and every state buffer a case uses; the others are null. */
type Buffers = Record<'params' | 'momentumBuf' | 'm' | 'v' | 'squareAvg' | 'gradAvg', Float32Array | null>;

function freshBuffers(c: FixtureCase, backend: TestBackend): Buffers {
  const has = (name: string) => (name in c.tensors ? backend.allocate(P) : null);
  const buffers: Buffers = {
    params: backend.copy(tensor(index.inputs.params)),
    momentumBuf: has('momentumBuf'),
    m: has('m'),
    v: has('v'),
    squareAvg: has('squareAvg'),
    gradAvg: has('gradAvg'),
  };
  // torch starts SGD's momentum buffer from the first gradient: old contents must not matter.
  if (c.optimizer === 'sgd') buffers.momentumBuf?.fill(Number.NaN);
  return buffers;
}

function update(
  backend: TestBackend,
  c: FixtureCase,
  b: Buffers,
  grads: Float32Array,
  start: number,
  end: number,
  step: number,
) {
  const { sgdUpdate, adamUpdate, adamwUpdate, rmspropUpdate } = backend.kernels;
  const p = b.params as Float32Array;
  const o = c.options;
  switch (c.optimizer) {
    case 'sgd':
      return sgdUpdate(p, b.momentumBuf, grads, start, end, step, o);
    case 'adam':
      return adamUpdate(p, b.m as Float32Array, b.v as Float32Array, grads, start, end, step, o);
    case 'adamw':
      return adamwUpdate(p, b.m as Float32Array, b.v as Float32Array, grads, start, end, step, o);
    case 'rmsprop':
      return rmspropUpdate(
        p,
        b.squareAvg as Float32Array,
        b.gradAvg,
        b.momentumBuf,
        grads,
        start,
        end,
        step,
        o,
      );
  }
}

/** Runs every step over the given chunks of [0, P); returns the buffers after each step. */
function run(c: FixtureCase, chunks: [number, number][], backend: TestBackend): Buffers[] {
  const b = freshBuffers(c, backend);
  const history: Buffers[] = [];
  for (let k = 0; k < steps; k++) {
    const grads = backend.copy(row(index.inputs.grads, k));
    const before = grads.slice();
    for (const [start, end] of chunks) update(backend, c, b, grads, start, end, k + 1);
    if (!grads.every((g, i) => Object.is(g, before[i]))) throw new Error(`${c.name}: grads modified`);
    history.push(Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v?.slice() ?? null])) as Buffers);
  }
  return history;
}

t.test('the fixture index and tensors agree', async (t) => {
  t.equal(tensor(index.inputs.params).length, P);
  t.equal(tensor(index.inputs.grads).length, steps * P);
  t.equal(index.cases.length, 8, 'sgd ×3, adam ×2, adamw, rmsprop ×2');
});

for (const backend of testBackends())
  for (const c of index.cases) {
    t.test(`[${backend.name}] ${c.name} matches torch.optim after each of the steps`, async (t) => {
      backend.fresh();
      const history = run(c, [[0, P]], backend);
      for (const [bufferName, tensorName] of Object.entries(c.tensors)) {
        let worst = allClose([], [], RTOL, ATOL);
        for (let k = 0; k < steps && worst.ok; k++) {
          const r = allClose(
            history[k][bufferName as keyof Buffers] as Float32Array,
            row(tensorName, k),
            RTOL,
            ATOL,
          );
          worst = r.ok ? worst : { ...r, message: `step ${k + 1}: ${r.message}` };
        }
        t.ok(worst.ok, `${bufferName}: ${worst.message}`);
      }
    });

    t.test(
      `[${backend.name}] ${c.name} over three chunks equals one update of the whole range, bit for bit`,
      async (t) => {
        backend.fresh();
        const whole = run(c, [[0, P]], backend);
        const chunked = run(
          c,
          [
            [0, 17],
            [17, 18],
            [18, P],
          ],
          backend,
        );
        t.same(chunked[steps - 1], whole[steps - 1]);
        if (backend !== tsTestBackend) {
          const reference = run(c, [[0, P]], tsTestBackend);
          t.same(whole[steps - 1], reference[steps - 1], 'equals the TypeScript reference bit for bit');
        }
      },
    );
  }

t.test('squaredNorm sums squares over its range in float64', async (t) => {
  const x = Float32Array.from([3, 4, 12, 2 ** 70]);
  t.equal(squaredNorm(x, 0, 3), 169);
  t.equal(squaredNorm(x, 3, 4), 2 ** 140, 'no float32 overflow');
  t.equal(squaredNorm(x, 2, 2), 0, 'empty range');
});

t.test('clipFactor and scaleRange clip to the max norm as clip_grad_norm_', async (t) => {
  t.equal(clipFactor(13, 1), 1 / (13 + 1e-6));
  t.equal(clipFactor(0.5, 1), 1, 'never scales up');
  t.equal(clipFactor(0, 1), 1);
  const g = Float32Array.from([3, 4, 12, 5]);
  const total = Math.sqrt(squaredNorm(g, 0, 2) + squaredNorm(g, 2, 3)); // two ranks' shares: 13
  scaleRange(g, 0, 3, clipFactor(total, 6.5));
  const r = allClose(g, [1.5, 2, 6, 5], 1e-6, 0);
  t.ok(r.ok, `the range is scaled to norm 6.5, the rest untouched: ${r.message}`);
});
