// All-reduce and fp16 benchmark, one thread: @recur/kernels' reduceSlots (phase 3 of a
// data-parallel step, what @recur/parallel's reduceChunk calls) on each kernel backend, for W = 2
// and 4 slots of P floats; then the fp16 conversions of the cluster's wire (@recur/protocol's
// encodeHalves / decodeHalves), the protocol's JavaScript beside the native ones that
// @recur/cluster installs (nativeHalfConversions), on P values. Reduce: GB/s = bytes moved per call ((W + 1)·4·P: W slots read, slot 0 written) / seconds; fp16: GB/s = 6·P (4 bytes of float32 and
// 2 of half per value) / seconds;
// each figure is the median of --reps samples after warm-up, a sample repeating the call until it
// has used ≥ 20 ms of this process's CPU time (the machines are shared: wall time would count
// the time the process waits for a core). The slots are refilled from a copy before every sample (the reduce overwrites
// slot 0), outside the timing. Backends run side by side in one process, so their ratio holds
// on a busy machine even when the absolute figures do not.
//
//   pnpm exec turbo run build   # the script imports the built dist of @recur/kernels
//   node scripts/bench-reduce.mjs [--reps 5] [--P 1000000]
import { parseArgs } from 'node:util';
import { nativeHalfConversions, nativeKernels, referenceKernels } from '@recur/kernels';
import { halfConversions } from '@recur/protocol';

const { values } = parseArgs({
  options: { reps: { type: 'string', default: '5' }, P: { type: 'string', default: '1000000' } },
});
const reps = Number(values.reps);
const P = Number(values.P);

/** This process's CPU time in ms: on a shared machine, time spent descheduled does not count. */
function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function sample(run) {
  let calls = 0;
  const started = cpuMs();
  let elapsed = 0;
  while (elapsed < 20) {
    run();
    calls++;
    elapsed = cpuMs() - started;
  }
  return elapsed / 1000 / calls;
}

/** The median over --reps samples (after two of warm-up) of `prepare(); time(run)`. */
function median(prepare, run) {
  const times = [];
  for (let rep = 0; rep < reps + 2; rep++) {
    prepare();
    const seconds = sample(run);
    if (rep >= 2) times.push(seconds);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function measure(kernels, W) {
  const source = Array.from({ length: W }, (_, r) =>
    Float32Array.from({ length: P }, (_, i) => Math.sin(i * 0.37 + r)),
  );
  const slots = source.map((s) => s.slice());
  const seconds = median(
    () => slots[0].set(source[0]),
    () => kernels.reduceSlots(slots, 0, P, 64),
  );
  return ((W + 1) * 4 * P) / seconds / 1e9;
}

const found = nativeKernels();
const backends = [referenceKernels, ...(found.kernels ? [found.kernels] : [])];
if (!found.kernels) console.log(`native unavailable: ${found.reason}`);
console.log(`reduceSlots, P = ${P}, median of ${reps}`);
for (const W of [2, 4]) {
  const figures = backends.map((k) => [`${k.name}/${k.isa}`, measure(k, W)]);
  const line = figures.map(([name, gbs]) => `${name} ${gbs.toFixed(1)} GB/s`).join('  ');
  const ratio = figures.length > 1 ? `  native ÷ ts ${(figures[1][1] / figures[0][1]).toFixed(2)}×` : '';
  console.log(`W=${W}: ${line}${ratio}`);
}

const halves = { js: { ...halfConversions }, native: nativeHalfConversions() };
const x = Float32Array.from({ length: P }, (_, i) => Math.sin(i * 0.37) * 100);
const h = new Uint16Array(P);
const back = new Float32Array(P);
halves.js.encode(h, x, 1 / 64);
for (const op of ['encode', 'decode']) {
  const figures = Object.entries(halves)
    .filter(([, c]) => c !== null)
    .map(([name, c]) => {
      const run = op === 'encode' ? () => c.encode(h, x, 1 / 64) : () => c.decode(back, h, 64);
      return [name, (6 * P) / median(() => {}, run) / 1e9];
    });
  const line = figures.map(([name, gbs]) => `${name} ${gbs.toFixed(1)} GB/s`).join('  ');
  const ratio = figures.length > 1 ? `  native ÷ js ${(figures[1][1] / figures[0][1]).toFixed(2)}×` : '';
  console.log(`fp16 ${op}: ${line}${ratio}`);
}
