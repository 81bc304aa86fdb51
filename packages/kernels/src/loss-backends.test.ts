// The losses and the embedding on every backend (testBackends()) against the TypeScript
// reference: MSE and the embedding bit for bit; the softmax cross entropies (float polynomial
// exp on native) to float32 rounding, with masks (masked rows hold NaN and must get exactly zero
// gradient), both reductions, a null gradient, wide rows and large logits. Native's coded errors
// for ids and labels outside [0, V).
import t, { type Test } from 'tap';
import { embeddingBackward, embeddingForward } from './embedding.js';
import { mseLoss, type Reduction, softmaxCrossEntropy, sparseSoftmaxCrossEntropy } from './losses.js';
import { allClose, testRandom } from './testing/arrays.js';
import { type TestBackend, testBackends } from './testing/backends.js';

const SHAPES = [
  [7, 5],
  [33, 1000],
] as const;
const MASKS = ['none', 'some'] as const;
const REDUCTIONS: Reduction[] = ['mean', 'sum'];

/** Logits (N, V) in [-scale, scale), NaN in the masked rows (which must not matter). */
function logits(
  backend: TestBackend,
  N: number,
  V: number,
  mask: Float32Array | null,
  scale: number,
  seed: number,
) {
  const x = backend.random(N * V, testRandom(seed), -scale, scale);
  if (mask !== null) for (let n = 0; n < N; n++) if (mask[n] === 0) x.fill(Number.NaN, n * V, (n + 1) * V);
  return x;
}

function maskFor(backend: TestBackend, kind: (typeof MASKS)[number], N: number): Float32Array | null {
  return kind === 'none' ? null : backend.copy(Array.from({ length: N }, (_, n) => (n % 3 === 1 ? 0 : 1)));
}

/** Exactly zero gradient on masked rows. */
function maskedRowsZero(d: Float32Array, mask: Float32Array | null, N: number, V: number): boolean {
  if (mask === null) return true;
  for (let n = 0; n < N; n++) {
    if (mask[n] !== 0) continue;
    for (let j = 0; j < V; j++) if (!Object.is(d[n * V + j], 0)) return false;
  }
  return true;
}

/**
 * A backend's cross entropy against the reference's: the loss to 1e-6 relative, the gradient (into
 * d) to 1e-5, exactly zero on masked rows. Returns the backend's loss.
 */
function checkCrossEntropy(
  t: Test,
  d: Float32Array,
  mask: Float32Array | null,
  N: number,
  V: number,
  loss: (d: Float32Array) => number,
  reference: (d: Float32Array) => number,
): number {
  const expected = new Float32Array(N * V);
  const got = loss(d);
  const ref = reference(expected);
  t.ok(Math.abs(got - ref) <= 1e-6 * Math.abs(ref), `loss ${got} vs ${ref}`);
  const r = allClose(d, expected, 1e-5, 1e-7);
  t.ok(r.ok, r.message);
  t.ok(maskedRowsZero(d, mask, N, V), 'masked rows get zero gradient');
  return got;
}

for (const backend of testBackends()) {
  const k = backend.kernels;
  const name = (s: string) => `[${backend.name}] ${s}`;
  for (const [N, V] of SHAPES) {
    for (const maskKind of MASKS) {
      for (const reduction of REDUCTIONS) {
        const label = `N=${N} V=${V} mask ${maskKind} ${reduction}`;
        t.test(name(`sparse softmax cross entropy matches the reference, ${label}`), async (t) => {
          backend.fresh();
          const mask = maskFor(backend, maskKind, N);
          const x = logits(backend, N, V, mask, 30, N + V);
          const labels = Int32Array.from({ length: N }, (_, n) => (n * 7919) % V);
          const loss = checkCrossEntropy(
            t,
            backend.allocate(N * V),
            mask,
            N,
            V,
            (d) => k.sparseSoftmaxCrossEntropy(d, x, labels, mask, N, V, reduction),
            (d) => sparseSoftmaxCrossEntropy(d, x, labels, mask, N, V, reduction),
          );
          t.equal(
            k.sparseSoftmaxCrossEntropy(null, x, labels, mask, N, V, reduction),
            loss,
            'null gradient: same loss',
          );
        });
        t.test(name(`softmax cross entropy (probabilities) matches the reference, ${label}`), async (t) => {
          backend.fresh();
          const random = testRandom(V - N);
          const mask = maskFor(backend, maskKind, N);
          const x = logits(backend, N, V, mask, 5, V);
          const target = backend.allocate(N * V);
          for (let n = 0; n < N; n++) {
            target[n * V + ((n * 31) % V)] = 0.75; // two classes per row, the rest exactly 0
            target[n * V + ((n * 17 + 3) % V)] += 0.25 * random();
          }
          checkCrossEntropy(
            t,
            backend.allocate(N * V),
            mask,
            N,
            V,
            (d) => k.softmaxCrossEntropy(d, x, target, mask, N, V, reduction),
            (d) => softmaxCrossEntropy(d, x, target, mask, N, V, reduction),
          );
        });
        t.test(name(`MSE is bit for bit the reference, ${label}`), async (t) => {
          backend.fresh();
          const random = testRandom(N * V);
          const mask = maskFor(backend, maskKind, N);
          const pred = backend.random(N * V, random);
          const target = backend.random(N * V, random);
          const d = backend.allocate(N * V).fill(Number.NaN);
          const expected = new Float32Array(N * V);
          t.equal(
            k.mseLoss(d, pred, target, mask, N, V, reduction),
            mseLoss(expected, pred, target, mask, N, V, reduction),
          );
          t.same(Array.from(d), Array.from(expected));
          t.equal(
            k.mseLoss(null, pred, target, mask, N, V, reduction),
            mseLoss(null, pred, target, mask, N, V, reduction),
          );
        });
      }
    }
  }

  t.test(
    name('embedding forward and backward are bit for bit the reference (repeated ids add up)'),
    async (t) => {
      backend.fresh();
      const random = testRandom(5);
      const [V, D, N] = [11, 37, 60];
      const table = backend.random(V * D, random);
      const ids = Int32Array.from({ length: N }, (_, n) => (n * 5) % V);
      const y = backend.allocate(N * D);
      const yRef = new Float32Array(N * D);
      k.embeddingForward(y, ids, table, N, D);
      embeddingForward(yRef, ids, table, N, D);
      t.same(Array.from(y), Array.from(yRef));
      const dy = backend.random(N * D, random);
      const dTable = backend.random(V * D, random);
      const dRef = Float32Array.from(dTable);
      k.embeddingBackward(dTable, ids, dy, N, D);
      embeddingBackward(dRef, ids, dy, N, D);
      t.same(Array.from(dTable), Array.from(dRef));
    },
  );

  if (backend.name !== 'native') continue;
  t.test(name('ids and labels outside [0, V), and V = 0, are coded errors and write nothing'), async (t) => {
    backend.fresh();
    const table = backend.allocate(4 * 3).fill(1);
    const y = backend.allocate(2 * 3);
    const code = { code: 'ERR_KERNELS_BAD_ARGUMENT' };
    t.throws(() => k.embeddingForward(y, Int32Array.from([0, 4]), table, 2, 3), code);
    t.throws(() => k.embeddingForward(y, Int32Array.from([-1, 0]), table, 2, 3), code);
    t.same(Array.from(y), [0, 0, 0, 0, 0, 0], 'y untouched');
    t.throws(() => k.embeddingBackward(table, Int32Array.from([3, 4]), y, 2, 3), code);
    t.same(Array.from(table), Array(12).fill(1), 'table untouched');
    const d = backend.allocate(2 * 3);
    t.throws(() => k.sparseSoftmaxCrossEntropy(d, y, Int32Array.from([0, 3]), null, 2, 3, 'sum'), code);
    t.throws(() => k.softmaxCrossEntropy(d, y, y, null, 2, 0, 'sum'), code, 'V = 0 classes');
  });
}
