// Recurrent parity with PyTorch: every case of fixtures/recurrent.json (written by
// scripts/fixtures/gen_rnn_fixtures.py from torch 1.13 in float64: nn.RNN tanh/relu, nn.LSTM,
// nn.GRU, and a hand-written reset-before GRU checked there against nn.GRU) runs through our
// float32 forward and backward kernels, and y, hT, cT and every gradient must match.
// Cases: B = 1, T = 1, I ≠ H; zero and random initial state; padded lengths (one of them 0);
// reversed; dyMode 'all' (dy = Gy, dhT = Gh, dcT = Gc) and 'last' (dy = Gl, dhT = dcT = null).
// Every case runs on each backend (testBackends()): the TypeScript reference and WebAssembly SIMD.
// Not here: finite-difference checks (recurrent-gradcheck.test.ts).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { allocateGruCache, allocateGruWorkspace } from './cells/gru-cell.js';
import { allocateLstmCache, allocateLstmWorkspace } from './cells/lstm-cell.js';
import { allocateRnnCache, allocateRnnWorkspace, type RnnActivation } from './cells/rnn-cell.js';
import type { DyMode, RecurrentGrads, RecurrentWeights, SequenceDims } from './sequence.js';
import { allClose } from './testing/arrays.js';
import { type TestBackend, testBackends } from './testing/backends.js';
import { readSafetensors } from './testing/safetensors.js';

// One tolerance for outputs and gradients: |ours - torch| <= 1e-6 + 1e-5·|torch|. The inputs are
// exact float32 values, so the gap is float32 rounding only: sums of at most 16 products per
// gate and step, and T·B products per weight gradient, carried through at most 7 steps. The
// worst element over all cases used 17% of this budget when it was written (a weight gradient
// of the T4B4I8H8 tanh RNN, off by 2.3e-7), which leaves room for a different summation order.
const RTOL = 1e-5;
const ATOL = 1e-6;

interface FixtureCase {
  name: string;
  cell: 'rnn' | 'lstm' | 'gru';
  activation: RnnActivation | null;
  resetAfter: boolean | null;
  T: number;
  B: number;
  I: number;
  H: number;
  reverse: boolean;
  hasLengths: boolean;
  hasInitialState: boolean;
  dyMode: DyMode;
  tensors: Record<string, string>;
}

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const index = JSON.parse(readFileSync(fixture('recurrent.json'), 'utf8')) as { cases: FixtureCase[] };
const tensors = readSafetensors(fixture('recurrent.safetensors'));

/** The float64 tensor playing `role` in case c (its name comes from the index). */
function expected(c: FixtureCase, role: string): Float64Array {
  const found = tensors.get(c.tensors[role]);
  if (found === undefined) throw new Error(`${c.name}: recurrent.safetensors has no tensor for "${role}"`);
  return found.data as Float64Array;
}

/** Our kernels' results for one case. */
interface Results {
  y: Float32Array; // (T, B, H)
  hT: Float32Array; // (B, H)
  cT: Float32Array; // (B, H), LSTM only
  dx: Float32Array; // (T, B, I)
  dh0: Float32Array; // (B, H)
  dc0: Float32Array; // (B, H), LSTM only
  grads: RecurrentGrads;
}

function run(c: FixtureCase, backend: TestBackend): Results {
  backend.fresh();
  /** An input, rounded to float32 (the generator stored float32 values, so this is exact). */
  const input = (c: FixtureCase, role: string) => backend.copy(expected(c, role));
  const optionalInput = (c: FixtureCase, role: string) => (role in c.tensors ? input(c, role) : null);
  const { allocate } = backend;
  const { lstmForward, lstmBackward, gruForward, gruBackward, rnnForward, rnnBackward } = backend.kernels;
  const { T, B, I, H } = c;
  const lengths = c.hasLengths ? Int32Array.from(expected(c, 'lengths')) : null;
  const dims: SequenceDims = { T, B, I, H, reverse: c.reverse, lengths };
  const x = input(c, 'x'); // (T, B, I)
  const h0 = optionalInput(c, 'h0'); // (B, H) or null for zeros
  const c0 = optionalInput(c, 'c0'); // (B, H) or null for zeros
  const w: RecurrentWeights = {
    wIh: input(c, 'weight_ih_l0'),
    wHh: input(c, 'weight_hh_l0'),
    bIh: input(c, 'bias_ih_l0'),
    bHh: input(c, 'bias_hh_l0'),
  };
  const last = c.dyMode === 'last';
  const dy = last ? input(c, 'gl') : input(c, 'gy'); // (B, H) or (T, B, H)
  const dhT = last ? null : input(c, 'gh'); // (B, H)
  const dcT = last ? null : optionalInput(c, 'gc'); // (B, H)
  const r: Results = {
    y: allocate(T * B * H),
    hT: allocate(B * H),
    cT: allocate(B * H),
    dx: allocate(T * B * I),
    dh0: allocate(B * H),
    dc0: allocate(B * H),
    grads: {
      dWIh: allocate(w.wIh.length),
      dWHh: allocate(w.wHh.length),
      dBIh: allocate(w.bIh.length),
      dBHh: allocate(w.bHh.length),
    },
  };
  if (c.cell === 'lstm') {
    const cache = allocateLstmCache(dims, allocate);
    lstmForward(r.y, r.hT, r.cT, cache, x, h0, c0, w, dims);
    const work = allocateLstmWorkspace(dims, allocate);
    lstmBackward(r.dx, r.dh0, r.dc0, r.grads, work, cache, x, w, dy, c.dyMode, dhT, dcT, dims);
  } else if (c.cell === 'gru') {
    const resetAfter = c.resetAfter === true;
    const cache = allocateGruCache(dims, allocate);
    gruForward(r.y, r.hT, cache, x, h0, w, dims, resetAfter);
    const work = allocateGruWorkspace(dims, allocate);
    gruBackward(r.dx, r.dh0, r.grads, work, cache, x, w, dy, c.dyMode, dhT, dims, resetAfter);
  } else {
    const activation = c.activation ?? 'tanh';
    const cache = allocateRnnCache(dims, allocate);
    rnnForward(r.y, r.hT, cache, x, h0, w, dims, activation);
    const work = allocateRnnWorkspace(dims, allocate);
    rnnBackward(r.dx, r.dh0, r.grads, work, cache, x, w, dy, c.dyMode, dhT, dims, activation);
  }
  return r;
}

for (const backend of testBackends())
  for (const c of index.cases) {
    t.test(`[${backend.name}] ${c.name}`, async (t) => {
      const r = run(c, backend);
      const compare = (role: string, actual: Float32Array) => {
        const result = allClose(actual, expected(c, role), RTOL, ATOL);
        t.ok(result.ok, `${role}: ${result.message}`);
      };
      compare('y', r.y);
      compare('h_n', r.hT);
      if (c.cell === 'lstm') compare('c_n', r.cT);
      compare('grad.x', r.dx);
      compare('grad.h0', r.dh0);
      if (c.cell === 'lstm') compare('grad.c0', r.dc0);
      compare('grad.weight_ih_l0', r.grads.dWIh);
      compare('grad.weight_hh_l0', r.grads.dWHh);
      compare('grad.bias_ih_l0', r.grads.dBIh);
      compare('grad.bias_hh_l0', r.grads.dBHh);
    });
  }
