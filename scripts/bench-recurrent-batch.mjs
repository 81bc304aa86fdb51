// Native recurrent layer calls at two batch sizes, one thread: how a rank's share of a batch
// (threads(2) gives each rank B/2 samples) costs against the whole batch on one thread, split into
// the layer's forward and backward call, for one or two builds of the addon side by side in one
// process (their calls interleaved, so both see the same load). Shapes: lstm-std's and gru-std's
// layer (T 50, I 32, H 128), inputs from a fixed generator, dyMode 'all', no dx (a first layer).
// Each figure: the first quartile of the per-call wall times over the run (ms).
//
//   node scripts/bench-recurrent-batch.mjs [--cell lstm|gru] [--batches 32,64] [--ms 4000]
//                                          [--addons a.node,b.node]
// Without --addons it times the built addon (packages/kernels/dist/native/recur_kernels.node).
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { allocateGruCache, allocateGruWorkspace } from '../packages/kernels/dist/cells/gru-cell.js';
import { allocateLstmCache, allocateLstmWorkspace } from '../packages/kernels/dist/cells/lstm-cell.js';
import { nativeBackend } from '../packages/kernels/dist/native/kernels.js';
import { nativeTestBackend } from '../packages/kernels/dist/testing/backends.js';

const { values } = parseArgs({
  options: {
    cell: { type: 'string', default: 'lstm' },
    batches: { type: 'string', default: '32,64' },
    ms: { type: 'string', default: '4000' },
    addons: { type: 'string', default: 'packages/kernels/dist/native/recur_kernels.node' },
  },
});
const require = createRequire(import.meta.url);
const paths = values.addons.split(',');
const backends = paths.map((p) => {
  const addon = require(resolve(p));
  return nativeBackend(addon, addon.selectIsa(''));
});
const arena = nativeTestBackend(256 * 1024 * 1024);
if (arena === null) throw new Error('the native addon does not load here');
let seed = 1;
/** A fixed linear congruential generator: the same inputs on every run. */
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

/** One layer's buffers at batch B; returns (kernels) => [forward ms, backward ms]. */
function layerAt(cell, B) {
  const [T, I, H, G] = [50, 32, 128, cell === 'lstm' ? 4 : 3];
  const dims = { T, B, I, H, reverse: false, lengths: null };
  const { allocate } = arena;
  const x = arena.random(T * B * I, random); // (T, B, I)
  const w = {
    wIh: arena.random(G * H * I, random, -0.1, 0.1),
    wHh: arena.random(G * H * H, random, -0.1, 0.1),
    bIh: arena.random(G * H, random),
    bHh: arena.random(G * H, random),
  };
  const [y, hT, cT, dy] = [
    allocate(T * B * H),
    allocate(B * H),
    allocate(B * H),
    arena.random(T * B * H, random),
  ];
  const [dh0, dc0] = [allocate(B * H), allocate(B * H)];
  const g = {
    dWIh: allocate(w.wIh.length),
    dWHh: allocate(w.wHh.length),
    dBIh: allocate(G * H),
    dBHh: allocate(G * H),
  };
  const lstm = cell === 'lstm';
  const cache = lstm ? allocateLstmCache(dims, allocate) : allocateGruCache(dims, allocate);
  const work = lstm ? allocateLstmWorkspace(dims, allocate) : allocateGruWorkspace(dims, allocate);
  return (k) => {
    const t0 = performance.now();
    if (lstm) k.lstmForward(y, hT, cT, cache, x, null, null, w, dims);
    else k.gruForward(y, hT, cache, x, null, w, dims, true);
    const t1 = performance.now();
    if (lstm) k.lstmBackward(null, dh0, dc0, g, work, cache, x, w, dy, 'all', null, null, dims);
    else k.gruBackward(null, dh0, g, work, cache, x, w, dy, 'all', null, dims, true);
    return [t1 - t0, performance.now() - t1];
  };
}

const quartile = (times) => [...times].sort((a, b) => a - b)[times.length >> 2];
const rows = [];
for (const B of values.batches.split(',').map(Number)) {
  const call = layerAt(values.cell, B);
  const times = backends.map(() => [[], []]);
  const end = performance.now() + Number(values.ms);
  while (performance.now() < end)
    backends.forEach((k, i) => {
      const [f, b] = call(k);
      times[i][0].push(f);
      times[i][1].push(b);
    });
  rows.push({ B, figures: times.map(([f, b]) => [quartile(f), quartile(b)]), calls: times[0][0].length });
}
console.log(`${values.cell}, T 50, I 32, H 128; ms per call (first quartile), one thread`);
paths.forEach((p, i) => {
  const cells = rows.map((r) => {
    const [f, b] = r.figures[i];
    return `B ${r.B}: forward ${f.toFixed(2)} backward ${b.toFixed(2)} total ${(f + b).toFixed(2)}`;
  });
  const [first, last] = [rows[0].figures[i], rows[rows.length - 1].figures[i]];
  const ratio = (first[0] + first[1]) / (last[0] + last[1]);
  console.log(
    `${p}\n  ${cells.join('\n  ')}\n  B ${rows[0].B} ÷ B ${rows[rows.length - 1].B}: ${ratio.toFixed(3)}`,
  );
});
