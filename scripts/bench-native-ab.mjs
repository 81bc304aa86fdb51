// Native gemm A/B: two builds of the native addon (recur_kernels.node files) side by side in one
// process, on the products of scripts/bench-kernels.mjs (lstm-std's shapes and BENCHMARKS.md's
// three), so a change to native/src/isa/gemm.cc is judged by ratios from the same run on a
// machine whose load changes from minute to minute. Each figure: the best of 3 interleaved rounds
// (base, new, base, new, …) of the median of 5 samples, a sample repeating the call until it has
// used ≥ 25 ms of this process's CPU time; then the new build's register-only FMA peak.
//
//   cp packages/kernels/dist/native/recur_kernels.node /tmp/base.node   # before the change
//   pnpm --filter @recur/kernels build                                   # after it
//   node scripts/bench-native-ab.mjs /tmp/base.node packages/kernels/dist/native/recur_kernels.node
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { GEMM_PRODUCTS } from './gemm-products.mjs';

const require = createRequire(import.meta.url);
if (process.argv.length < 4) {
  console.error('usage: node scripts/bench-native-ab.mjs <base.node> <new.node>');
  process.exit(2);
}
const base = require(resolve(process.argv[2]));
const next = require(resolve(process.argv[3]));
const P = GEMM_PRODUCTS;
/** This process's CPU time in ms. */
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** GFLOP/s of `addon`'s gemm on one product: the median of 5 samples after 2 of warm-up. */
function rate(addon, M, N, K, ta, tb, a, b, c) {
  const lda = ta ? M : K;
  const ldb = tb ? K : N;
  const times = [];
  for (let rep = 0; rep < 7; rep++) {
    let calls = 0;
    const t0 = cpu();
    let el = 0;
    while (el < 25) {
      addon.gemm(M, N, K, ta, tb, 1, 0, lda, ldb, N, c, a, b);
      calls++;
      el = cpu() - t0;
    }
    if (rep >= 2) times.push(el / calls);
  }
  times.sort((x, y) => x - y);
  return (2 * M * N * K) / (times[2] / 1000) / 1e9;
}
for (const [label, M, N, K, ta, tb] of P) {
  const a = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i));
  const b = Float32Array.from({ length: K * N }, (_, i) => Math.cos(i));
  const c = new Float32Array(M * N);
  let before = 0;
  let after = 0;
  for (let round = 0; round < 3; round++) {
    before = Math.max(before, rate(base, M, N, K, ta, tb, a, b, c));
    after = Math.max(after, rate(next, M, N, K, ta, tb, a, b, c));
  }
  const figures = `base ${before.toFixed(0).padStart(4)}  new ${after.toFixed(0).padStart(4)}`;
  console.log(`${label.padEnd(26)} ${figures}  ${(after / before).toFixed(2)}x`);
}
const peak = () => {
  const t0 = cpu();
  const f = next.fmaPeak(2e7);
  return f / ((cpu() - t0) / 1000) / 1e9;
};
console.log('fma peak GFLOP/s', peak().toFixed(0));
