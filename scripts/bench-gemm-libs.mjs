// A library's gemm beside recur's native one at the workloads' shapes (gemm-products.mjs), for the
// kernels README's choice between our micro-kernels and a library. Compiles bench-gemm-libs.c when
// OpenBLAS' headers are there (Debian: libopenblas-dev; libxsmm-dev adds libxsmm) and runs it on
// one thread (OPENBLAS_NUM_THREADS=1) beside the native addon, 3 interleaved rounds, best of each,
// on this process's CPU clock; then the addon's register-only FMA peak. OpenBLAS runs once per
// core type in RECUR_OPENBLAS_CORETYPES (default: Haswell, which these machines set because older
// builds compute wrong results here, and SkylakeX, its AVX-512 kernels), each with its worst error
// against float64. Nothing here is a build dependency: without the headers it exits 0.
//
//   node scripts/bench-gemm-libs.mjs
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GEMM_PRODUCTS } from './gemm-products.mjs';

const here = new URL('.', import.meta.url).pathname;
if (!existsSync('/usr/include/x86_64-linux-gnu/cblas.h') && !existsSync('/usr/include/cblas.h')) {
  console.log('bench-gemm-libs: no cblas.h (apt-get install libopenblas-dev); nothing measured');
  process.exit(0);
}
const binary = join(tmpdir(), 'recur-bench-gemm-libs');
const xsmm = existsSync('/usr/include/libxsmm.h') && existsSync('/usr/lib/libxsmm.a');
const flags = xsmm ? ['-DWITH_LIBXSMM', '/usr/lib/libxsmm.a', '/usr/lib/libxsmmext.a'] : [];
execFileSync('cc', [
  '-O2',
  join(here, 'bench-gemm-libs.c'),
  ...flags,
  '-o',
  binary,
  '-lopenblas',
  '-lm',
  '-lpthread',
  '-ldl',
]);
const addon = createRequire(import.meta.url)(
  join(here, '../packages/kernels/dist/native/recur_kernels.node'),
);
const coreTypes = (process.env.RECUR_OPENBLAS_CORETYPES ?? 'Haswell,SkylakeX').split(',');
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** The native gemm's best GFLOP/s over 40 samples of ≥ 3 ms of CPU time (as the C side). */
function native(M, N, K, ta, tb, a, b, c) {
  let best = 0;
  for (let rep = 0; rep < 40; rep++) {
    let calls = 0;
    const t0 = cpu();
    let el = 0;
    while (el < 3) {
      addon.gemm(M, N, K, ta, tb, 1, 0, ta ? M : K, tb ? K : N, N, c, a, b);
      calls++;
      el = cpu() - t0;
    }
    best = Math.max(best, (2 * M * N * K) / (el / calls) / 1e6);
  }
  return best;
}
const peak = () => {
  let best = 0;
  for (let i = 0; i < 20; i++) {
    const t0 = cpu();
    const flops = addon.fmaPeak(2_000_000);
    best = Math.max(best, flops / (cpu() - t0) / 1e6);
  }
  return best;
};
const fma = peak();
console.log(`OpenBLAS core types ${coreTypes.join(', ')}; FMA peak ${fma.toFixed(1)} GFLOP/s`);
for (const [label, M, N, K, ta, tb] of GEMM_PRODUCTS) {
  const a = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i));
  const b = Float32Array.from({ length: K * N }, (_, i) => Math.cos(i));
  const c = new Float32Array(M * N);
  const best = {};
  const errors = { native: '' };
  for (let round = 0; round < 3; round++) {
    best.native = Math.max(best.native ?? 0, native(M, N, K, ta, tb, a, b, c));
    for (const core of coreTypes) {
      const env = {
        ...process.env,
        OPENBLAS_NUM_THREADS: '1',
        OMP_NUM_THREADS: '1',
        OPENBLAS_CORETYPE: core,
      };
      const out = execFileSync(binary, [M, N, K, +ta, +tb].map(String), { env }).toString();
      for (const line of out.trim().split('\n')) {
        const [name, value, error] = line.split(' ');
        const key = `${name}:${core}`;
        best[key] = Math.max(best[key] ?? 0, Number(value));
        errors[key] = error;
      }
    }
  }
  const cells = Object.entries(best).map(
    ([n, v]) =>
      `${n} ${v.toFixed(1)} (${((100 * v) / fma).toFixed(0)}%${errors[n] ? ` err ${errors[n]}` : ''})`,
  );
  console.log(`${label.padEnd(40)} ${cells.join('  ')}`);
}
console.log(`FMA peak after: ${peak().toFixed(1)} GFLOP/s`);
