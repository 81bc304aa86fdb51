// Balanced micro-batches against plain threads (@recur/parallel, Note [balanced micro-batches]):
// fits of the same workload on threads(W) plain, threads(W, { accumulate: A }) and threads(W,
// { accumulate: A, balance: true }) alternated round by round in this one process, so that the
// machine's drift (±25% within a minute on these 2-vCPU machines) falls on all of them alike.
//
//   pnpm exec turbo run build
//   node scripts/bench-balance.mjs [--workloads lstm-big] [--threads 2] [--accumulate 8]
//                                  [--rounds 8] [--steps 6] [--warmup 2]
//
// Per fit: the median timed step (ms, between fit's onBatchEnd callbacks), the process's CPU ms
// per timed step (every thread: process.cpuUsage()), and per step the ranks' mean compute and
// barrier wait (their shared timings) and the micro-batches moved between ranks. The summary per
// workload: each variant's medians over rounds and in how many rounds balanced beat plain.
import { parseArgs } from 'node:util';
import { threads } from '@recur/parallel';
import { dataFor, median, standardModel, timedFit, WORKLOADS } from './workloads.mjs';

const { values } = parseArgs({
  options: {
    workloads: { type: 'string', default: 'lstm-big' },
    threads: { type: 'string', default: '2' },
    accumulate: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '8' },
    steps: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' },
  },
});
const [W, A, rounds, steps, warmup] = ['threads', 'accumulate', 'rounds', 'steps', 'warmup'].map((k) =>
  Number(values[k]),
);
const names = values.workloads.split(',');
const valid =
  names.every((n) => n in WORKLOADS) &&
  [W, A, rounds, steps, warmup].every((n) => Number.isInteger(n) && n >= 1) &&
  W >= 2 &&
  steps >= 3;
if (!valid) {
  console.error(
    `usage: --workloads of ${Object.keys(WORKLOADS).join(', ')}; --threads ≥ 2, --accumulate, --rounds, ` +
      '--warmup ≥ 1, --steps ≥ 3 (integers)',
  );
  process.exit(2);
}

const VARIANTS = {
  plain: () => threads(W),
  accumulate: () => threads(W, { accumulate: A }),
  balanced: () => threads(W, { accumulate: A, balance: true }),
};

/** One fit of warm-up + timed steps: median step, CPU, compute, wait and moved micro-batches per step. */
async function fitOnce(w, data, strategy) {
  let cpuStart = null;
  let before = null;
  const stamps = await timedFit(standardModel(w), data, w, strategy, (k) => {
    if (k !== warmup) return;
    cpuStart = process.cpuUsage();
    before = strategy.timings();
  });
  const cpu = process.cpuUsage(cpuStart);
  const after = strategy.timings();
  const perStep = (key) => after.reduce((a, r, i) => a + r[key] - before[i][key], 0) / after.length / steps;
  return {
    stepMs: median(stamps.slice(warmup)),
    cpuMs: (cpu.user + cpu.system) / 1000 / steps,
    computeMs: perStep('computeMs'),
    waitMs: perStep('waitMs'),
    moved: perStep('stolen') * after.length,
  };
}

const fmt = (x) => x.toFixed(x < 10 ? 2 : 1);
console.log(
  `threads(${W}): plain, accumulate ${A}, balanced ${A}; ${rounds} rounds of ${warmup} + ${steps} steps`,
);
for (const name of names) {
  const w = WORKLOADS[name];
  const data = dataFor(w, warmup + steps);
  const runs = Object.fromEntries(Object.keys(VARIANTS).map((v) => [v, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [v, make] of Object.entries(VARIANTS)) runs[v].push(await fitOnce(w, data, make()));
    const cells = Object.keys(VARIANTS).map((v) => {
      const f = runs[v][r];
      return `${v} ${fmt(f.stepMs)} ms (cpu ${fmt(f.cpuMs)}, compute ${fmt(f.computeMs)}, wait ${fmt(f.waitMs)}, moved ${fmt(f.moved)})`;
    });
    console.log(`${name} round ${r + 1}: ${cells.join(' | ')}`);
  }
  const med = (v, key) => fmt(median(runs[v].map((f) => f[key])));
  for (const v of Object.keys(VARIANTS)) {
    console.log(
      `${name} ${v.padEnd(10)} median step ${med(v, 'stepMs')} ms, cpu ${med(v, 'cpuMs')}, wait ${med(v, 'waitMs')}, moved ${med(v, 'moved')}`,
    );
  }
  const wins = runs.balanced.filter((f, r) => f.stepMs < runs.plain[r].stepMs).length;
  console.log(`${name} balanced faster than plain in ${wins} of ${rounds} rounds`);
}
