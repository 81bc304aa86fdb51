// Finite-difference checks of every recurrent backward kernel: SimpleRNN (tanh, relu), LSTM, GRU
// (reset after and before), forwards and reversed, full and padded batches, B = 1, T = 1, I ≠ H.
// The scalar loss is L = Σ y·Gy + Σ hT·Gh (+ Σ cT·Gc) with fixed random G's, so the backward
// kernels receive dy = Gy, dhT = Gh, dcT = Gc. Every case runs on each backend (testBackends()).
import t, { type Test } from 'tap';
import type { DyMode, SequenceDims } from './sequence.js';
import { testRandom } from './testing/arrays.js';
import { type TestBackend, testBackends } from './testing/backends.js';
import { dot, gradcheck } from './testing/gradcheck.js';
import {
  CELL_KINDS,
  type CellKind,
  makeProblem,
  makeRunner,
  preactivationMargin,
  type RecurrentProblem,
  zeroGrads,
} from './testing/recurrent-harness.js';

const EPSILON = 3e-3;

interface Shape {
  T: number;
  B: number;
  I: number;
  H: number;
  lengths: number[] | null;
}

const SHAPES: Shape[] = [
  { T: 1, B: 1, I: 3, H: 2, lengths: null },
  { T: 4, B: 3, I: 2, H: 5, lengths: null },
  { T: 5, B: 4, I: 4, H: 3, lengths: [5, 2, 0, 4] },
  { T: 3, B: 1, I: 2, H: 4, lengths: [2] },
];

function checkCase(
  t: Test,
  backend: TestBackend,
  kind: CellKind,
  shape: Shape,
  reverse: boolean,
  dyMode: DyMode,
  seed: number,
) {
  backend.fresh();
  const random = testRandom(seed);
  const dims: SequenceDims = {
    T: shape.T,
    B: shape.B,
    I: shape.I,
    H: shape.H,
    reverse,
    lengths: shape.lengths === null ? null : Int32Array.from(shape.lengths),
  };
  let p = makeProblem(kind, dims, random, backend);
  // relu has a kink at 0: redraw until no pre-activation lies within a few difference steps of it.
  while (kind === 'rnn-relu' && preactivationMargin(p) < 4 * EPSILON)
    p = makeProblem(kind, dims, random, backend);
  const runner = makeRunner(kind, dims, backend);
  const { T, B, I, H } = dims;
  const gy = backend.random(dyMode === 'all' ? T * B * H : B * H, random);
  const gh = backend.random(B * H, random);
  const gc = backend.random(B * H, random);
  const isLstm = kind === 'lstm';
  const loss = (): number => {
    runner.forward(p);
    const outputTerm = dyMode === 'all' ? dot(p.y, gy) : dot(p.hT, gy);
    return outputTerm + dot(p.hT, gh) + (isLstm ? dot(p.cT, gc) : 0);
  };

  loss();
  const dx = backend.allocate(T * B * I);
  const dh0 = backend.allocate(B * H);
  const dc0 = backend.allocate(B * H);
  const grads = zeroGrads(p.w, backend);
  runner.backward(p, dx, dh0, dc0, grads, gy, dyMode, gh, isLstm ? gc : null);

  const checks: [string, Float32Array, Float32Array][] = [
    ['x', p.x, dx],
    ['h0', p.h0, dh0],
    ['weight_ih', p.w.wIh, grads.dWIh],
    ['weight_hh', p.w.wHh, grads.dWHh],
    ['bias_ih', p.w.bIh, grads.dBIh],
    ['bias_hh', p.w.bHh, grads.dBHh],
  ];
  if (isLstm) checks.push(['c0', p.c0, dc0]);
  for (const [name, input, analytic] of checks) {
    const result = gradcheck(input, analytic, loss, { epsilon: EPSILON });
    t.ok(result.ok, `d${name}: ${result.message}`);
  }
}

function label(shape: Shape): string {
  const lengths = shape.lengths === null ? 'full' : `lengths [${shape.lengths.join(',')}]`;
  return `T${shape.T} B${shape.B} I${shape.I} H${shape.H} ${lengths}`;
}

for (const backend of testBackends())
  for (const kind of CELL_KINDS) {
    t.test(`[${backend.name}] ${kind}: finite differences`, async (t) => {
      let seed = 1;
      for (const shape of SHAPES) {
        for (const reverse of [false, true]) {
          t.test(`${label(shape)}${reverse ? ' reversed' : ''}`, async (t) => {
            checkCase(t, backend, kind, shape, reverse, 'all', seed++);
          });
        }
      }
      t.test(`${label(SHAPES[2])} with dy at the last step only`, async (t) => {
        checkCase(t, backend, kind, SHAPES[2], false, 'last', 99);
        checkCase(t, backend, kind, SHAPES[2], true, 'last', 98);
      });
    });
  }

/** The "last output" of each sample is its final state, forwards and reversed. */
function lastOutputIsFinalState(p: RecurrentProblem): boolean {
  const { T, B, H, reverse, lengths } = p.dims;
  for (let b = 0; b < B; b++) {
    const steps = lengths === null ? T : lengths[b];
    if (steps === 0) continue;
    const t = reverse ? 0 : steps - 1;
    for (let j = 0; j < H; j++) if (p.y[(t * B + b) * H + j] !== p.hT[b * H + j]) return false;
  }
  return true;
}

for (const backend of testBackends())
  for (const kind of CELL_KINDS) {
    t.test(`[${backend.name}] ${kind}: padding semantics`, async (t) => {
      backend.fresh();
      const dims: SequenceDims = {
        T: 5,
        B: 3,
        I: 2,
        H: 3,
        reverse: false,
        lengths: Int32Array.from([5, 2, 0]),
      };
      for (const reverse of [false, true]) {
        const p = makeProblem(kind, { ...dims, reverse }, testRandom(7), backend);
        makeRunner(kind, p.dims, backend).forward(p);
        t.ok(lastOutputIsFinalState(p), `last real output equals the final state (reverse ${reverse})`);
        const padded = [...p.y.subarray((2 * 3 + 1) * 3, (2 * 3 + 1) * 3 + 3)];
        t.same(padded, [0, 0, 0], 'a padded step outputs zeros');
        t.same(
          [...p.hT.subarray(6, 9)],
          [...p.h0.subarray(6, 9)],
          'a sample of length 0 keeps its initial state',
        );
      }
    });
  }
