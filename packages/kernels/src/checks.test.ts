// Every backend refuses the same wrong calls with the same code, naming the same argument
// (checks.ts for 'ts' and 'wasm', native/src/args.h for 'native'), before any work: a wasm
// call with a short view in the kernel memory leaves the memory after the view untouched.
import t from 'tap';
import { type KernelBackend, nativeKernels, referenceKernels, wasmKernels } from './backend.js';
import { allocateGruCache, allocateGruWorkspace } from './cells/gru-cell.js';
import { allocateLstmCache, allocateLstmWorkspace } from './cells/lstm-cell.js';
import { allocateRnnCache, allocateRnnWorkspace } from './cells/rnn-cell.js';
import type { Allocate, RecurrentGrads, RecurrentWeights, SequenceDims } from './sequence.js';
import { wasmTestBackend } from './testing/backends.js';
import { wasmSimdSupported } from './wasm/module.js';

const SHORT = 'ERR_KERNELS_VIEW_TOO_SHORT';
const BAD = 'ERR_KERNELS_BAD_ARGUMENT';

/** A backend as this test calls it: its functions and buffers it accepts. */
interface Subject {
  name: string;
  k: KernelBackend;
  a: Allocate;
}

function subjects(): Subject[] {
  const out: Subject[] = [{ name: 'ts', k: referenceKernels, a: (n) => new Float32Array(n) }];
  if (wasmSimdSupported()) {
    const memory = wasmTestBackend(); // views in a registered kernel memory: the wasm path runs
    out.push({ name: 'wasm', k: wasmKernels, a: memory.allocate });
  }
  const native = nativeKernels();
  if (native.kernels !== null) out.push({ name: 'native', k: native.kernels, a: (n) => new Float32Array(n) });
  return out;
}

const dims = (over: Partial<SequenceDims> = {}): SequenceDims => ({
  T: 2,
  B: 2,
  I: 3,
  H: 2,
  reverse: false,
  lengths: null,
  ...over,
});

const weights = (a: Allocate, G: number, I: number, H: number): RecurrentWeights => ({
  wIh: a(G * I),
  wHh: a(G * H),
  bIh: a(G),
  bHh: a(G),
});

const grads = (a: Allocate, G: number, I: number, H: number): RecurrentGrads => ({
  dWIh: a(G * I),
  dWHh: a(G * H),
  dBIh: a(G),
  dBHh: a(G),
});

const sgd = { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 };
const adam = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
const rmsprop = { lr: 1e-3, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0.5, centered: true };

/** [what, code, the argument named, the call] */
type Case = [string, string, string, (k: KernelBackend, a: Allocate) => unknown];

// T B I H = 2 2 3 2: steps T·B·H = 8, states B·H = 4, input T·B·I = 12
const cases: Case[] = [
  ['gemm: C one short', SHORT, 'C', (k, a) => k.gemm(a(3), a(4), a(4), 2, 2, 2, false, false)],
  [
    'gemm: A a plain array',
    BAD,
    'A',
    (k, a) => k.gemm(a(4), [1, 2, 3, 4] as never, a(4), 2, 2, 2, false, false),
  ],
  ['gemm: B transposed, short', SHORT, 'B', (k, a) => k.gemm(a(4), a(6), a(5), 2, 2, 3, false, true)],
  ['gemm: a fractional M', BAD, 'M', (k, a) => k.gemm(a(4), a(4), a(4), 1.5, 2, 2, false, false)],
  [
    'gemm: a negative leading dimension',
    BAD,
    'ldc',
    (k, a) => k.gemm(a(4), a(4), a(4), 2, 2, 2, false, false, 1, 0, 2, 2, -1),
  ],
  ['gemm: transA not a flag', BAD, 'transA', (k, a) => k.gemm(a(4), a(4), a(4), 2, 2, 2, 1 as never, false)],
  ['denseForward: y short', SHORT, 'y', (k, a) => k.denseForward(a(5), a(6), a(6), a(2), 3, 2, 2)],
  ['denseForward: b short', SHORT, 'b', (k, a) => k.denseForward(a(6), a(6), a(6), a(1), 3, 2, 2)],
  [
    'denseBackward: dw null',
    BAD,
    'dw',
    (k, a) => k.denseBackward(a(6), null as never, a(2), a(6), a(4), a(6), 3, 2, 2),
  ],
  [
    'denseBackward: dy short',
    SHORT,
    'dy',
    (k, a) => k.denseBackward(null, a(4), null, a(6), a(4), a(5), 3, 2, 2),
  ],
  [
    'lstmForward: hT short',
    SHORT,
    'hT',
    (k, a) => {
      const d = dims();
      k.lstmForward(a(8), a(3), a(4), allocateLstmCache(d, a), a(12), null, null, weights(a, 8, 3, 2), d);
    },
  ],
  [
    'lstmForward: cache.tanhC short',
    SHORT,
    'cache.tanhC',
    (k, a) => {
      const d = dims();
      const cache = { ...allocateLstmCache(d, a), tanhC: a(7) };
      k.lstmForward(a(8), a(4), a(4), cache, a(12), null, null, weights(a, 8, 3, 2), d);
    },
  ],
  [
    'lstmForward: lengths a Float32Array',
    BAD,
    'lengths',
    (k, a) => {
      const d = dims({ lengths: new Float32Array(2) as never });
      k.lstmForward(
        a(8),
        a(4),
        a(4),
        allocateLstmCache(dims(), a),
        a(12),
        null,
        null,
        weights(a, 8, 3, 2),
        d,
      );
    },
  ],
  [
    'lstmForward: wHh short',
    SHORT,
    'wHh',
    (k, a) => {
      const d = dims();
      const w = { ...weights(a, 8, 3, 2), wHh: a(15) };
      k.lstmForward(a(8), a(4), a(4), allocateLstmCache(d, a), a(12), null, null, w, d);
    },
  ],
  [
    'lstmBackward: work.dc short',
    SHORT,
    'work.dc',
    (k, a) => {
      const d = dims();
      const work = { ...allocateLstmWorkspace(d, a), dc: a(3) };
      const cache = allocateLstmCache(d, a);
      const g = grads(a, 8, 3, 2);
      k.lstmBackward(
        null,
        null,
        null,
        g,
        work,
        cache,
        a(12),
        weights(a, 8, 3, 2),
        a(8),
        'all',
        null,
        null,
        d,
      );
    },
  ],
  [
    "lstmBackward: dy (B, H) short for 'last'",
    SHORT,
    'dy',
    (k, a) => {
      const d = dims();
      const work = allocateLstmWorkspace(d, a);
      const cache = allocateLstmCache(d, a);
      const g = grads(a, 8, 3, 2);
      k.lstmBackward(
        a(12),
        a(4),
        a(4),
        g,
        work,
        cache,
        a(12),
        weights(a, 8, 3, 2),
        a(3),
        'last',
        null,
        null,
        d,
      );
    },
  ],
  [
    'gruForward: cache.hProj short',
    SHORT,
    'cache.hProj',
    (k, a) => {
      const d = dims();
      const cache = { ...allocateGruCache(d, a), hProj: a(11) };
      k.gruForward(a(8), a(4), cache, a(12), null, weights(a, 6, 3, 2), d, true);
    },
  ],
  [
    'gruBackward: dWIh short',
    SHORT,
    'dWIh',
    (k, a) => {
      const d = dims();
      const g = { ...grads(a, 6, 3, 2), dWIh: a(17) };
      const work = allocateGruWorkspace(d, a);
      k.gruBackward(
        null,
        null,
        g,
        work,
        allocateGruCache(d, a),
        a(12),
        weights(a, 6, 3, 2),
        a(8),
        'all',
        null,
        d,
        false,
      );
    },
  ],
  [
    'rnnForward: x short',
    SHORT,
    'x',
    (k, a) => {
      const d = dims();
      k.rnnForward(a(8), a(4), allocateRnnCache(d, a), a(11), null, weights(a, 2, 3, 2), d, 'tanh');
    },
  ],
  [
    'rnnBackward: dx short',
    SHORT,
    'dx',
    (k, a) => {
      const d = dims();
      const work = allocateRnnWorkspace(d, a);
      k.rnnBackward(
        a(11),
        null,
        grads(a, 2, 3, 2),
        work,
        allocateRnnCache(d, a),
        a(12),
        weights(a, 2, 3, 2),
        a(8),
        'all',
        null,
        d,
        'relu',
      );
    },
  ],
  ['sgdUpdate: grads short', SHORT, 'grads', (k, a) => k.sgdUpdate(a(8), a(8), a(7), 0, 8, 1, sgd)],
  [
    'sgdUpdate: lr not a number',
    BAD,
    'lr',
    (k, a) => k.sgdUpdate(a(8), a(8), a(8), 0, 8, 1, { ...sgd, lr: '0.1' as never }),
  ],
  ['adamUpdate: v short', SHORT, 'v', (k, a) => k.adamUpdate(a(8), a(8), a(7), a(8), 2, 8, 1, adam)],
  [
    'adamwUpdate: a negative start',
    BAD,
    'start',
    (k, a) => k.adamwUpdate(a(8), a(8), a(8), a(8), -1, 8, 1, adam),
  ],
  [
    'rmspropUpdate: gradAvg short (centered)',
    SHORT,
    'gradAvg',
    (k, a) => k.rmspropUpdate(a(8), a(8), a(4), a(8), a(8), 0, 8, 1, rmsprop),
  ],
  ['reduceSlots: slot 1 short', SHORT, 'slots[r]', (k, a) => k.reduceSlots([a(8), a(6)], 0, 8, 2)],
  ['reduceSlots: no slots', BAD, 'slots', (k) => k.reduceSlots([], 0, 8, 2)],
  ['mseLoss: target short', SHORT, 'target', (k, a) => k.mseLoss(null, a(6), a(5), null, 3, 2, 'mean')],
  ['mseLoss: mask short', SHORT, 'mask', (k, a) => k.mseLoss(a(6), a(6), a(6), a(2), 3, 2, 'sum')],
  [
    'softmaxCrossEntropy: logits short',
    SHORT,
    'logits',
    (k, a) => k.softmaxCrossEntropy(null, a(5), a(6), null, 2, 3, 'mean'),
  ],
  [
    'sparseSoftmaxCrossEntropy: labels float',
    BAD,
    'labels',
    (k, a) => k.sparseSoftmaxCrossEntropy(null, a(6), a(2) as never, null, 2, 3, 'mean'),
  ],
  [
    'embeddingForward: ids short',
    SHORT,
    'ids',
    (k, a) => k.embeddingForward(a(6), new Int32Array(2), a(12), 3, 2),
  ],
  [
    'embeddingBackward: dy short',
    SHORT,
    'dy',
    (k, a) => k.embeddingBackward(a(12), new Int32Array(3), a(5), 3, 2),
  ],
  [
    'embeddingForward: an id past the table',
    BAD,
    'ids',
    (k, a) => k.embeddingForward(a(4), Int32Array.of(0, 3), a(6), 2, 2),
  ],
  [
    'embeddingBackward: a negative id',
    BAD,
    'ids',
    (k, a) => k.embeddingBackward(a(6), Int32Array.of(-1, 0), a(4), 2, 2),
  ],
  [
    'sparseSoftmaxCrossEntropy: a label ≥ V',
    BAD,
    'labels',
    (k, a) => k.sparseSoftmaxCrossEntropy(null, a(6), Int32Array.of(1, 3), null, 2, 3, 'mean'),
  ],
  [
    'softmaxCrossEntropy: V = 0',
    BAD,
    'V',
    (k, a) => k.softmaxCrossEntropy(null, a(0), a(0), null, 2, 0, 'mean'),
  ],
  ['transposeBatchTime: out short', SHORT, 'out', (k, a) => k.transposeBatchTime(a(11), a(12), 2, 2, 3)],
];

const all = subjects();
t.comment(`backends: ${all.map((s) => s.name).join(', ')}`);

for (const s of all) {
  t.test(`${s.name}: every wrong call is refused with its code, naming the argument`, async (t) => {
    for (const [what, code, name, call] of cases) {
      t.throws(
        () => call(s.k, s.a),
        { code, message: new RegExp(`^${s.name} kernels: ${name.replace(/[[\]]/g, '\\$&')} must be `) },
        what,
      );
    }
  });
}

t.test('the same calls with the views made long enough run on every backend', async (t) => {
  for (const s of all) {
    const { k, a } = s;
    const d = dims();
    t.doesNotThrow(() => k.gemm(a(4), a(6), a(6), 2, 2, 3, false, true), `${s.name} gemm`);
    t.doesNotThrow(() => k.denseForward(a(6), a(6), a(4), a(2), 3, 2, 2), `${s.name} denseForward`);
    t.doesNotThrow(
      () =>
        k.lstmForward(a(8), a(4), a(4), allocateLstmCache(d, a), a(12), null, null, weights(a, 8, 3, 2), d),
      `${s.name} lstmForward`,
    );
    t.doesNotThrow(
      () => k.rmspropUpdate(a(8), a(8), a(8), a(8), a(8), 0, 8, 1, rmsprop),
      `${s.name} rmsprop`,
    );
    t.doesNotThrow(
      () => k.sgdUpdate(a(8), null as never, a(8), 0, 8, 1, { ...sgd, momentum: 0 }),
      `${s.name} sgd, no momentum buffer`,
    );
  }
});

const noWasm = wasmSimdSupported() ? false : 'this runtime has no WebAssembly SIMD';
t.test(
  'wasm: a short view in the kernel memory is refused before anything past it is written',
  { skip: noWasm },
  async (t) => {
    const { allocate } = wasmTestBackend();
    const d = dims();
    const w = weights(allocate, 8, 3, 2);
    for (const v of [w.wIh, w.wHh]) v.fill(0.5);
    const cache = allocateLstmCache(d, allocate);
    const x = allocate(12).fill(1);
    const y = allocate(16);
    const short = y.subarray(0, 7); // the first 7 of the 8 floats the call writes
    const after = y.subarray(7);
    t.throws(() => wasmKernels.lstmForward(short, allocate(4), allocate(4), cache, x, null, null, w, d), {
      code: SHORT,
    });
    t.same(Array.from(after), new Array(9).fill(0), 'nothing written past the view');
    wasmKernels.lstmForward(y.subarray(0, 8), allocate(4), allocate(4), cache, x, null, null, w, d);
    t.ok(
      y.subarray(0, 8).every((v) => v !== 0),
      'the call with the right view writes all of it',
    );
  },
);
