// Thread-scaling benchmark for @recur/parallel (issue 5): samples/s of the standard workloads
// (BENCHMARKS.md in the team's shared folder) trained by @recur/nn's fit on the calling thread
// and on threads(W) for W = 1 … cores, the scaling factor against W = 1, the share of a step
// the ranks spend waiting at barriers and reducing, and the all-reduce bandwidth beside a plain
// memory copy of the same size measured in the same run.
//
//   pnpm exec turbo run build
//   node scripts/bench-threads.mjs [--workloads lstm-std,gru-std,lstm-big] [--steps 6] [--json]
//
// A sample is one whole sequence. Each run fits one epoch of warm-up + --steps batches of random
// normal data (fixed seed); a step's time is the wall time between fit's onBatchEnd callbacks on
// the main thread (so it includes filling the batch buffers and waking the threads); the figure
// is batch ÷ the median step time of the timed steps. Runs are interleaved: W = 1, 2, … for one
// workload, then the next workload.
//
// barrier+reduce share = (wait + reduce) ÷ (compute + wait + reduce + update) over the timed
// steps, the mean over ranks of the per-rank sums the ranks keep in shared memory (timings()). Wait includes a
// fast rank waiting for a slow one, so it also measures imbalance.
// Where a step's time goes (threads(W) rows, ms per timed step): compute (forward, backward: the
// gemm, gate math and head), wait (barriers), reduce (the all-reduce), update (clipping and the
// optimizer) — each the mean over ranks of their per-step times — and rest = the mean step time
// on the main thread − the busiest rank's compute + wait + reduce + update: filling the batch
// buffers from the data set, waking the ranks and fit's own bookkeeping. With RECUR_KERNELS=ts,
// wasm or native the same table per kernel backend.
// all-reduce GB/s = (W + 1)·P·4 bytes (W slots read, one written) ÷ the median per-step reduce
// time of the slowest rank; memcpy GB/s = the same byte count copied with TypedArray.set.
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { threads } from '@recur/parallel';
import { dataFor, median, standardModel, timedFit, WORKLOADS } from './workloads.mjs';

const { values } = parseArgs({
  options: {
    workloads: { type: 'string', default: 'lstm-std,gru-std,lstm-big' },
    steps: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' },
    threads: { type: 'string', default: '' },
    json: { type: 'boolean', default: false },
  },
});
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const names = values.workloads.split(',');
for (const name of names) {
  if (!(name in WORKLOADS)) {
    console.error(`unknown workload ${name}; choose from ${Object.keys(WORKLOADS).join(', ')}`);
    process.exit(2);
  }
}
if (!Number.isInteger(steps) || steps < 3 || !Number.isInteger(warmup) || warmup < 1) {
  console.error('--steps must be an integer >= 3 and --warmup >= 1');
  process.exit(2);
}
const cores = availableParallelism();
const worlds = values.threads
  ? values.threads.split(',').map(Number)
  : Array.from({ length: cores }, (_, i) => i + 1);

/** One fit of warm-up + timed steps; world 0 = the calling thread (fit's default strategy). */
async function runOnce(w, data, world) {
  const model = standardModel(w);
  const strategy = world === 0 ? undefined : threads(world);
  let reduceMs = [];
  let lastReduce = 0;
  let afterWarmup = null; // each rank's timings when the warm-up steps are done
  const stamps = await timedFit(model, data, w, strategy, (k) => {
    if (strategy === undefined) return;
    const slowest = Math.max(...strategy.timings().map((r) => r.reduceMs));
    reduceMs.push(slowest - lastReduce);
    lastReduce = slowest;
    if (k === warmup) afterWarmup = strategy.timings();
  });
  const timed = stamps.slice(warmup);
  reduceMs = reduceMs.slice(warmup);
  const result = {
    world,
    P: model.layout.size,
    samplesPerSecond: w.B / (median(timed) / 1000),
    medianStepMs: median(timed),
  };
  if (strategy !== undefined) {
    // the timed steps only: the warm-up steps (wasm tiers, first touches) are subtracted
    const t = strategy.timings().map((r, i) => {
      const w0 = afterWarmup?.[i] ?? { computeMs: 0, waitMs: 0, reduceMs: 0, updateMs: 0 };
      return {
        computeMs: r.computeMs - w0.computeMs,
        waitMs: r.waitMs - w0.waitMs,
        reduceMs: r.reduceMs - w0.reduceMs,
        updateMs: r.updateMs - w0.updateMs,
      };
    });
    const total = (r) => r.computeMs + r.waitMs + r.reduceMs + r.updateMs;
    const perStep = (key) => t.reduce((a, r) => a + r[key], 0) / t.length / timed.length;
    const meanStep = timed.reduce((a, x) => a + x, 0) / timed.length;
    result.phasesMs = {
      compute: perStep('computeMs'),
      wait: perStep('waitMs'),
      reduce: perStep('reduceMs'),
      update: perStep('updateMs'),
      rest: meanStep - Math.max(...t.map(total)) / timed.length,
    };
    result.barrierReduceShare = t.reduce((a, r) => a + (r.waitMs + r.reduceMs) / total(r), 0) / t.length;
    const bytes = (world + 1) * model.layout.size * 4;
    result.allReduceGBs = bytes / (median(reduceMs) / 1000) / 1e9;
  }
  return result;
}

/** GB/s of copying `bytes` with TypedArray.set (median of 21). */
function memcpyGBs(bytes) {
  const a = new Float32Array(bytes / 4);
  const b = new Float32Array(bytes / 4);
  const times = [];
  for (let i = 0; i < 21; i++) {
    const t0 = performance.now();
    b.set(a);
    times.push(performance.now() - t0);
  }
  return bytes / (median(times.slice(1)) / 1000) / 1e9;
}

const report = { node: process.version, cores, steps, warmup, workloads: {} };
for (const name of names) {
  const w = WORKLOADS[name];
  const data = dataFor(w, warmup + steps);
  const runs = [];
  for (const world of [0, ...worlds]) {
    runs.push(await runOnce(w, data, world));
    if (!values.json) process.stderr.write(`${name} ${world === 0 ? 'calling thread' : `W=${world}`} done\n`);
  }
  const one = runs.find((r) => r.world === 1);
  for (const r of runs) {
    r.scaling = r.samplesPerSecond / one.samplesPerSecond;
    if (r.world > 0) r.memcpyGBs = memcpyGBs((r.world + 1) * r.P * 4);
  }
  report.workloads[name] = runs;
}

if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log(
    `threads, samples/s (median of ${steps} steps after ${warmup} warm-up), node ${process.version}, ${cores} cores`,
  );
  console.log(
    'workload   strategy        samples/s  step ms  ×W=1   barrier+reduce  all-reduce GB/s  memcpy GB/s',
  );
  for (const [name, runs] of Object.entries(report.workloads)) {
    for (const r of runs) {
      const who = r.world === 0 ? 'calling thread' : `threads(${r.world})`;
      const share = r.barrierReduceShare === undefined ? '' : `${(100 * r.barrierReduceShare).toFixed(1)}%`;
      const ar = r.allReduceGBs === undefined ? '' : r.allReduceGBs.toFixed(1);
      const mc = r.memcpyGBs === undefined ? '' : r.memcpyGBs.toFixed(1);
      console.log(
        `${name.padEnd(10)} ${who.padEnd(15)} ${r.samplesPerSecond.toFixed(1).padStart(9)}  ${r.medianStepMs.toFixed(0).padStart(7)}  ` +
          `${r.scaling.toFixed(2).padStart(4)}×  ${share.padStart(14)}  ${ar.padStart(15)}  ${mc.padStart(11)}`,
      );
    }
  }
  console.log('\nms per step (mean over ranks): compute, wait, reduce, update, rest (filling, waking, fit)');
  for (const [name, runs] of Object.entries(report.workloads)) {
    for (const r of runs) {
      if (r.phasesMs === undefined) continue;
      const cells = Object.values(r.phasesMs).map((v) => v.toFixed(2).padStart(8));
      console.log(`${name.padEnd(10)} threads(${r.world})  ${cells.join('  ')}`);
    }
  }
}
