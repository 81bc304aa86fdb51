// Native gemm A/B: two builds of the native addon (recur_kernels.node files) side by side in one
// process, on the products of scripts/bench-kernels.mjs (lstm-std's shapes and BENCHMARKS.md's
// three), so a change to native/src/isa/gemm.cc is judged by ratios from the same run on a
// machine whose load changes from second to second. Each figure: the best of `--rounds` samples
// (default 30), a sample repeating the call until it has used ≥ 4 ms of this process's CPU time
// after one untimed call; the rounds run base, new, base, new, … and each round visits every
// product, so a busy spell of the machine lands on both builds and all products alike. (Medians
// of 25 ms samples, product after product, gave 0.73–1.15× for a build against itself on the
// shared 2-core machine; these best-of figures stay within ±3.5%.) Then the register-only FMA
// peak (best of 8), and each figure as % of it; the geometric mean of the ratios last.
//
//   cp packages/kernels/dist/native/recur_kernels.node /tmp/base.node   # before the change
//   pnpm --filter @recur/kernels build                                   # after it
//   taskset -c 1 node scripts/bench-native-ab.mjs /tmp/base.node packages/kernels/dist/native/recur_kernels.node
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { GEMM_PRODUCTS, lineAligned } from './gemm-products.mjs';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const roundsAt = args.indexOf('--rounds');
const ROUNDS = roundsAt >= 0 ? Number(args.splice(roundsAt, 2)[1]) : 30;
if (args.length < 2 || !(ROUNDS > 0)) {
  console.error('usage: node scripts/bench-native-ab.mjs <base.node> <new.node> [--rounds R]');
  process.exit(2);
}
const builds = [require(resolve(args[0])), require(resolve(args[1]))];
const SAMPLE_MS = 4;
/** This process's CPU time in ms. */
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** `x` with x[i] = f(i), in place (map would make a new, unaligned array). */
const filled = (x, f) => {
  for (let i = 0; i < x.length; i++) x[i] = f(i);
  return x;
};
/** Operands of every product: op(A) (M, K), op(B) (K, N), and one C per build. */
const cases = GEMM_PRODUCTS.map(([label, M, N, K, ta, tb]) => ({
  label,
  dims: [M, N, K, ta, tb, 1, 0, ta ? M : K, tb ? K : N, N],
  flops: 2 * M * N * K,
  a: filled(lineAligned(M * K), Math.sin),
  b: filled(lineAligned(K * N), Math.cos),
  c: builds.map(() => lineAligned(M * N)),
  best: builds.map(() => Number.POSITIVE_INFINITY), // ms per call
}));
/** One sample of `build` on `x`: ms of CPU time per call. */
function sample(build, x, which) {
  const call = () => build.gemm(...x.dims, x.c[which], x.a, x.b);
  call();
  let calls = 0;
  const t0 = cpu();
  let elapsed = 0;
  while (elapsed < SAMPLE_MS) {
    call();
    calls++;
    elapsed = cpu() - t0;
  }
  return elapsed / calls;
}
for (let round = 0; round < ROUNDS; round++) {
  for (const x of cases) {
    for (let j = 0; j < builds.length; j++) {
      const which = (j + round) % builds.length; // alternate which build goes first
      x.best[which] = Math.min(x.best[which], sample(builds[which], x, which));
    }
  }
}
let peak = 0;
for (let r = 0; r < 8; r++) {
  const t0 = cpu();
  const flops = builds[1].fmaPeak(2e6);
  peak = Math.max(peak, flops / ((cpu() - t0) / 1000) / 1e9);
}
let logSum = 0;
for (const x of cases) {
  const [before, after] = x.best.map((ms) => x.flops / (ms / 1000) / 1e9);
  const same = x.c[0].every((v, i) => Object.is(v, x.c[1][i])) ? '' : '  (results differ)';
  const pct = (g) => `${g.toFixed(0).padStart(4)} (${((100 * g) / peak).toFixed(0)}%)`;
  logSum += Math.log(after / before);
  console.log(
    `${x.label.padEnd(40)} base ${pct(before)}  new ${pct(after)}  ${(after / before).toFixed(2)}x${same}`,
  );
}
console.log(
  `fma peak GFLOP/s ${peak.toFixed(0)}; geometric mean new/base ${Math.exp(logSum / cases.length).toFixed(3)}`,
);
