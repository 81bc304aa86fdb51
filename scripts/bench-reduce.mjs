// All-reduce benchmark, one thread: @recur/kernels' reduceSlots (phase 3 of a data-parallel step,
// what @recur/parallel's reduceChunk calls) on each kernel backend, for W = 2 and 4 slots of P
// floats. GB/s = bytes moved per call ((W + 1)·4·P: W slots read, slot 0 written) / seconds;
// each figure is the median of --reps samples after warm-up, a sample repeating the call until it
// has used ≥ 20 ms of this process's CPU time (the machines are shared: wall time would count
// the time the process waits for a core). The slots are refilled from a copy before every sample (the reduce overwrites
// slot 0), outside the timing. Backends run side by side in one process, so their ratio holds
// on a busy machine even when the absolute figures do not.
//
//   pnpm exec turbo run build   # the script imports the built dist of @recur/kernels
//   node scripts/bench-reduce.mjs [--reps 5] [--P 1000000]
import { parseArgs } from 'node:util';
import { nativeKernels, referenceKernels } from '@recur/kernels';

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

function measure(kernels, W) {
  const source = Array.from({ length: W }, (_, r) =>
    Float32Array.from({ length: P }, (_, i) => Math.sin(i * 0.37 + r)),
  );
  const slots = source.map((s) => s.slice());
  const times = [];
  for (let rep = 0; rep < reps + 2; rep++) {
    slots[0].set(source[0]);
    const seconds = sample(() => kernels.reduceSlots(slots, 0, P, 64));
    if (rep >= 2) times.push(seconds);
  }
  times.sort((a, b) => a - b);
  return ((W + 1) * 4 * P) / times[Math.floor(times.length / 2)] / 1e9;
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
