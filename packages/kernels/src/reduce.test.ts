// The rank-ordered all-reduce of a chunk (reduceSlots): every native ISA build gives the
// reference's bits — the mean written to slot 0 and the squared norm — on random data of wide
// range, for W = 1, 2, 3 and 5, odd lengths and chunk ends off any vector boundary, count 0,
// non-finite values, and slots in a SharedArrayBuffer; bad slot lists are coded errors.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { nativeAddon } from './native/addon.js';
import { nativeBackend } from './native/kernels.js';
import { reduceSlots } from './reduce.js';
import { testRandom } from './testing/arrays.js';

/** W slots of `length` floats from `seed`: signs and magnitudes over 10^-6 … 10^6. */
function makeSlots(W: number, length: number, seed: number, shared = false): Float32Array[] {
  const random = testRandom(seed);
  return Array.from({ length: W }, () => {
    const slot = shared ? new Float32Array(new SharedArrayBuffer(length * 4)) : new Float32Array(length);
    for (let i = 0; i < length; i++) slot[i] = (random() - 0.5) * 10 ** Math.floor(random() * 13 - 6);
    return slot;
  });
}

const copy = (slots: Float32Array[]) => slots.map((s) => s.slice());

const flags = new Set(
  (readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/),
);
const load = nativeAddon();
if (load.addon === null) {
  t.pass(`the native addon does not load here (${load.reason}); the reference alone is in use`);
} else {
  const addon = load.addon;
  const widest = load.isa;
  const isas = [
    'generic',
    ...(flags.has('avx2') && flags.has('fma') ? ['avx2'] : []),
    ...(['avx512f', 'avx512bw', 'avx512vl', 'fma'].every((f) => flags.has(f)) ? ['avx512'] : []),
  ];
  const chunks: [number, number, number][] = [
    // [length, start, end]
    [1, 0, 1],
    [17, 0, 17],
    [1037, 16, 1037],
    [1037, 3, 1001],
    [4099, 0, 4099],
    [700, 512, 700],
    [700, 300, 300],
  ];

  for (const isa of isas) {
    t.test(`[${isa}] reduceSlots equals the reference bit for bit`, async (t) => {
      addon.selectIsa(isa);
      const k = nativeBackend(addon, isa);
      let seed = 1;
      for (const W of [1, 2, 3, 5]) {
        for (const [length, start, end] of chunks) {
          for (const count of [77, 1, 0]) {
            const mine = makeSlots(W, length, seed++, W === 2);
            const reference = copy(mine);
            const norm = k.reduceSlots(mine, start, end, count);
            const expected = reduceSlots(reference, start, end, count);
            const what = `W=${W} [${start}, ${end}) of ${length}, count ${count}`;
            t.ok(Object.is(norm, expected), `${what}: norm ${norm} = ${expected}`);
            t.same(mine[0], reference[0], `${what}: slot 0`);
            for (let r = 1; r < W; r++) t.same(mine[r], reference[r], `${what}: slot ${r} untouched`);
          }
        }
      }
      addon.selectIsa(widest);
    });
  }

  t.test('non-finite values and signed zeros come out as in the reference', async (t) => {
    const k = nativeBackend(addon, widest);
    const slots = [
      Float32Array.from([Number.NaN, Infinity, -0, 3e38, -Infinity, 1]),
      Float32Array.from([1, -Infinity, -0, 3e38, 2, 2 ** -149]),
    ];
    const reference = copy(slots);
    t.ok(Object.is(k.reduceSlots(slots, 0, 6, 3), reduceSlots(reference, 0, 6, 3)), 'the same norm (NaN)');
    t.same(slots[0], reference[0]);
    t.ok(Object.is(slots[0][2], -0), '-0 + -0 stays -0');
  });

  t.test('bad slot lists are coded errors and change nothing', async (t) => {
    const x = Float32Array.from([1, 2, 3]);
    t.throws(() => addon.reduceSlots(0, 3, 1, []), { code: 'ERR_KERNELS_BAD_ARGUMENT' }, 'no slots');
    t.throws(
      () => addon.reduceSlots(0, 3, 1, [x, new Float64Array(3) as unknown as Float32Array]),
      { code: 'ERR_KERNELS_BAD_ARGUMENT' },
      'a slot that is not a Float32Array',
    );
    t.throws(
      () => addon.reduceSlots(0, 3, 1, [x, new Float32Array(2)]),
      { code: 'ERR_KERNELS_VIEW_TOO_SHORT' },
      'a slot shorter than end',
    );
    t.same(x, Float32Array.from([1, 2, 3]), 'slot 0 as before');
  });
}
