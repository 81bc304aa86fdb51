// Thread scaling on a shared machine: where a threads(W) step's time goes per thread, from
// Linux's per-thread scheduler statistics (/proc/self/task/<tid>/schedstat: nanoseconds on a CPU
// and nanoseconds runnable but waiting for one). On a loaded machine a step's wall time is mostly
// the ranks waiting in the run queue; the on-CPU times say what the step would take on an idle
// machine: the busiest rank's time plus the main thread's (filling the batch buffers, waking the
// ranks, fit), since the main thread runs while the ranks wait for it and the other way round.
// idle estimate ×W=1 = (busiest rank + main at W = 1) ÷ (the same at W). Linux only.
//
//   pnpm exec turbo run build
//   node scripts/bench-threads-cpu.mjs [--workloads gru-std,lstm-std] [--threads 1,2] [--steps 40]
//   RECUR_KERNELS=wasm node scripts/bench-threads-cpu.mjs      # another kernel backend
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fillNormal, kernelBackend, RandomPurpose } from '@recur/kernels';
import { dense, gru, lstm, sequential } from '@recur/nn';
import { threads } from '@recur/parallel';

const WORKLOADS = {
  'lstm-std': { cell: lstm, B: 64, T: 50, I: 32, H: 128 },
  'gru-std': { cell: gru, B: 64, T: 50, I: 32, H: 128 },
  'lstm-big': { cell: lstm, B: 256, T: 100, I: 64, H: 256 },
};
const WARMUP = 5;
const { values } = parseArgs({
  options: {
    workloads: { type: 'string', default: 'gru-std,lstm-std' },
    threads: { type: 'string', default: '1,2' },
    steps: { type: 'string', default: '40' },
  },
});
const steps = Number(values.steps);
const worlds = values.threads.split(',').map(Number);

/** [on-CPU ms, run-queue ms] of every thread of this process, by thread id. */
function schedstats() {
  const out = new Map();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      out.set(tid, [run / 1e6, wait / 1e6]);
    } catch {} // the thread ended between the listing and the read
  }
  return out;
}

/** Per timed step: wall ms, the main thread's and the W busiest other threads' [on-CPU, queued] ms. */
async function measure(w, world) {
  const N = w.B * (WARMUP + steps);
  const x = new Float32Array(N * w.T * w.I);
  const y = new Float32Array(N);
  fillNormal(x, 1, RandomPurpose.sample, 0, 0, 0, 1);
  fillNormal(y, 1, RandomPurpose.sample, 0, 1, 0, 1);
  const model = sequential([w.cell({ units: w.H }), dense({ units: 1 })], {
    inputShape: [w.T, w.I],
    seed: 1,
  });
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 1e-3 } });
  let before;
  let after;
  let t0 = 0;
  let t1 = 0;
  await model.fit(
    { data: x, shape: [N, w.T, w.I] },
    { data: y, shape: [N, 1] },
    {
      epochs: 1,
      batchSize: w.B,
      shuffle: false,
      strategy: threads(world),
      callbacks: {
        onBatchEnd: (b) => {
          if (b === WARMUP - 1) [before, t0] = [schedstats(), performance.now()];
          if (b === WARMUP + steps - 1) [after, t1] = [schedstats(), performance.now()];
        },
      },
    },
  );
  const delta = [...after].map(([tid, [run, wait]]) => {
    const [run0, wait0] = before.get(tid) ?? [0, 0];
    return { tid, run: (run - run0) / steps, wait: (wait - wait0) / steps };
  });
  const main = delta.find((d) => d.tid === String(process.pid));
  const ranks = delta
    .filter((d) => d !== main)
    .sort((a, b) => b.run - a.run)
    .slice(0, world);
  return { wall: (t1 - t0) / steps, main, ranks, idle: Math.max(...ranks.map((r) => r.run)) + main.run };
}

const f = (x) => x.toFixed(2).padStart(7);
console.log(
  `kernels ${kernelBackend().name} ${kernelBackend().isa}; ms per step, ${steps} timed steps after ${WARMUP}`,
);
console.log(
  'workload   strategy    wall ms  main cpu  rank cpu (each)      rank queued (each)    idle est.  idle ×W=1',
);
for (const name of values.workloads.split(',')) {
  let base = 0;
  for (const world of worlds) {
    const m = await measure(WORKLOADS[name], world);
    if (world === 1) base = m.idle;
    const each = (k) =>
      m.ranks
        .map((r) => r[k].toFixed(2))
        .join(' ')
        .padEnd(20);
    const scale = base > 0 ? `${(base / m.idle).toFixed(2)}×` : '—';
    console.log(
      `${name.padEnd(10)} threads(${world})  ${f(m.wall)}  ${f(m.main.run)}  ${each('run')} ${each('wait')} ${f(m.idle)}  ${scale.padStart(9)}`,
    );
  }
}
