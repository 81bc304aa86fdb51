// WebAssembly SIMD gemm (AssemblyScript, compiled by `npm run build:wasm` to dist/kernels.wasm):
// C = alpha · op(A) · op(B) + beta · C over row-major f32 matrices that lie in the module's
// imported (shared) memory. Every pointer is a byte offset into that memory; the TypeScript
// wrapper (src/wasm/kernels.ts) turns Float32Array views into these offsets.
//
// op(A) is (M, K): A is (M, K), or (K, M) when transA. op(B) is (K, N): B is (K, N), or (N, K)
// when transB. lda, ldb, ldc are row strides in elements. beta = 0 ignores C (NaN included).
//
// Same scheme as the TypeScript gemm (Note [gemm blocking] in src/gemm.ts): op(B) blocks of
// (KC, NC) packed into NR-wide column panels, op(A) blocks of (MC, KC) into MR-tall row panels,
// then a 4 × 8 register tile of f32x4 accumulators (8 vectors + 2 of B + 1 broadcast of A: V8
// has 16 vector registers, bigger tiles spill). Transposes are folded into packing; where the
// packed dimension is strided, packing reads 4 × 4 blocks and transposes them with shuffles.
// Accumulation is f32 (the TypeScript gemm accumulates in f64): results differ by rounding.
//
// The pack buffers live in a per-instance scratch region (setScratch), never in static data:
// every thread instantiates this module on the same shared memory, and each needs its own.

const MR = 4;
const NR = 8;
export const MC: i32 = 64;
export const KC: i32 = 256;
export const NC: i32 = 512;

/** Bytes of scratch one instance needs: packed A (MC·KC), packed B (KC·NC), one (MR, NR) tile. */
export const SCRATCH_BYTES: i32 = (MC * KC + KC * NC + MR * NR) * 4;

let packedA: usize = 0; // (MC / MR panels, KC, MR) f32
let packedB: usize = 0; // (NC / NR panels, KC, NR) f32
let tile: usize = 0; // (MR, NR) f32, edge tiles only

/** Points this instance's pack buffers at SCRATCH_BYTES bytes from `ptr` (16-byte aligned). */
export function setScratch(ptr: usize): void {
  packedA = ptr;
  packedB = ptr + <usize>(MC * KC * 4);
  tile = packedB + <usize>(KC * NC * 4);
}

/** The first byte past the module's static data: the arena and scratch go above it. */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * Packs a (width, depth) block whose element (r, k) is at src + 4·(r·rowStride + k·depthStride)
 * into panels of R rows: (r, k) lands at dst + 4·(⌊r / R⌋·depth·R + k·R + r mod R); the last
 * panel is zero-padded to R rows.
 */
@inline
function packPanels(
  dst: usize,
  src: usize,
  rowStride: i32,
  depthStride: i32,
  width: i32,
  depth: i32,
  R: i32,
): void {
  let o = dst;
  for (let r0 = 0; r0 < width; r0 += R) {
    const rows = min(R, width - r0);
    const s = src + <usize>(r0 * rowStride) * 4;
    if (rows === R && depthStride === 1) packTransposed(o, s, rowStride, depth, R);
    else if (rows === R && rowStride === 1) packContiguous(o, s, depthStride, depth, R);
    else packPartial(o, s, rowStride, depthStride, depth, rows, R);
    o += <usize>(depth * R) * 4;
  }
}

/** A full panel whose R rows are contiguous at each k: one or two vector copies per k. */
function packContiguous(o: usize, s: usize, depthStride: i32, depth: i32, R: i32): void {
  const step = <usize>depthStride * 4;
  if (R === 8) {
    for (let k = 0; k < depth; k++) {
      v128.store(o, v128.load(s));
      v128.store(o, v128.load(s, 16), 16);
      o += 32;
      s += step;
    }
  } else {
    for (let k = 0; k < depth; k++) {
      v128.store(o, v128.load(s));
      o += 16;
      s += step;
    }
  }
}

/**
 * A full panel whose rows are contiguous along k (depthStride 1): 4 × 4 blocks (4 rows, 4 k)
 * are loaded as 4 vectors and transposed with shuffles into 4 vectors of 4 rows each.
 */
function packTransposed(o: usize, s: usize, rowStride: i32, depth: i32, R: i32): void {
  const row = <usize>rowStride * 4;
  const k4 = depth & ~3;
  for (let g = 0; g < R; g += 4) {
    const s0 = s + <usize>g * row;
    const s1 = s0 + row;
    const s2 = s1 + row;
    const s3 = s2 + row;
    let d = o + <usize>g * 4;
    const dStep = <usize>R * 4;
    for (let k = 0; k < k4; k += 4) {
      const off = <usize>k * 4;
      const v0 = v128.load(s0 + off);
      const v1 = v128.load(s1 + off);
      const v2 = v128.load(s2 + off);
      const v3 = v128.load(s3 + off);
      const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5);
      const t1 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
      const t2 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
      const t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
      v128.store(d, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
      v128.store(d + dStep, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
      v128.store(d + 2 * dStep, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
      v128.store(d + 3 * dStep, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
      d += 4 * dStep;
    }
    for (let k = k4; k < depth; k++) {
      const off = <usize>k * 4;
      store<f32>(d, load<f32>(s0 + off));
      store<f32>(d, load<f32>(s1 + off), 4);
      store<f32>(d, load<f32>(s2 + off), 8);
      store<f32>(d, load<f32>(s3 + off), 12);
      d += dStep;
    }
  }
}

/** Any panel of `rows` <= R rows, element by element, zero-padded to R. */
function packPartial(
  o: usize,
  s: usize,
  rowStride: i32,
  depthStride: i32,
  depth: i32,
  rows: i32,
  R: i32,
): void {
  for (let k = 0; k < depth; k++) {
    const sk = s + <usize>(k * depthStride) * 4;
    for (let r = 0; r < rows; r++) store<f32>(o + <usize>r * 4, load<f32>(sk + <usize>(r * rowStride) * 4));
    for (let r = rows; r < R; r++) store<f32>(o + <usize>r * 4, 0);
    o += <usize>R * 4;
  }
}

/**
 * The 4 × 8 tile at C (row stride ldc elements) += over kc steps of the packed A panel at ap
 * and the packed B panel at bp; stores alpha·acc + beta·C for the mr × nr corner in use.
 */
function microKernel(
  kc: i32,
  ap: usize,
  bp: usize,
  c: usize,
  ldc: i32,
  mr: i32,
  nr: i32,
  alpha: f32,
  beta: f32,
): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = f32x4.add(c00, f32x4.mul(a, b0));
    c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 4);
    c10 = f32x4.add(c10, f32x4.mul(a, b0));
    c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 8);
    c20 = f32x4.add(c20, f32x4.mul(a, b0));
    c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 12);
    c30 = f32x4.add(c30, f32x4.mul(a, b0));
    c31 = f32x4.add(c31, f32x4.mul(a, b1));
    ap += 16;
    bp += 32;
  }
  const va = f32x4.splat(alpha);
  const row = <usize>ldc * 4;
  if (mr === MR && nr === NR) {
    storeRow(c, f32x4.mul(va, c00), f32x4.mul(va, c01), beta);
    storeRow(c + row, f32x4.mul(va, c10), f32x4.mul(va, c11), beta);
    storeRow(c + 2 * row, f32x4.mul(va, c20), f32x4.mul(va, c21), beta);
    storeRow(c + 3 * row, f32x4.mul(va, c30), f32x4.mul(va, c31), beta);
    return;
  }
  // Edge tile: through the (MR, NR) scratch tile, then element by element.
  v128.store(tile, f32x4.mul(va, c00));
  v128.store(tile, f32x4.mul(va, c01), 16);
  v128.store(tile, f32x4.mul(va, c10), 32);
  v128.store(tile, f32x4.mul(va, c11), 48);
  v128.store(tile, f32x4.mul(va, c20), 64);
  v128.store(tile, f32x4.mul(va, c21), 80);
  v128.store(tile, f32x4.mul(va, c30), 96);
  v128.store(tile, f32x4.mul(va, c31), 112);
  for (let r = 0; r < mr; r++) {
    const cr = c + <usize>r * row;
    const tr = tile + <usize>(r * NR) * 4;
    for (let q = 0; q < nr; q++) {
      const value = load<f32>(tr + <usize>q * 4);
      const at = cr + <usize>q * 4;
      store<f32>(at, beta === 0 ? value : value + beta * load<f32>(at));
    }
  }
}

@inline
function storeRow(c: usize, v0: v128, v1: v128, beta: f32): void {
  if (beta !== 0) {
    const vb = f32x4.splat(beta);
    v0 = f32x4.add(v0, f32x4.mul(vb, v128.load(c)));
    v1 = f32x4.add(v1, f32x4.mul(vb, v128.load(c, 16)));
  }
  v128.store(c, v0);
  v128.store(c, v1, 16);
}

/** C (M, N) at c with row stride ldc = beta · C; beta = 0 writes zeros. */
function scaleBlock(c: usize, M: i32, N: i32, ldc: i32, beta: f32): void {
  for (let i = 0; i < M; i++) {
    const row = c + <usize>(i * ldc) * 4;
    for (let j = 0; j < N; j++) {
      const at = row + <usize>j * 4;
      store<f32>(at, beta === 0 ? 0 : beta * load<f32>(at));
    }
  }
}

/** C = alpha · op(A) · op(B) + beta · C (see the file header); pointers are byte offsets. */
export function gemm(
  c: usize,
  a: usize,
  b: usize,
  M: i32,
  N: i32,
  K: i32,
  transA: bool,
  transB: bool,
  alpha: f32,
  beta: f32,
  lda: i32,
  ldb: i32,
  ldc: i32,
): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    scaleBlock(c, M, N, ldc, beta);
    return;
  }
  for (let j0 = 0; j0 < N; j0 += NC) {
    const nc = min(NC, N - j0);
    for (let p0 = 0; p0 < K; p0 += KC) {
      const kc = min(KC, K - p0);
      // op(B)[p0.., j0..]: element (k, j) at b[k·ldb + j], or b[j·ldb + k] when transB.
      if (transB) packPanels(packedB, b + <usize>(j0 * ldb + p0) * 4, ldb, 1, nc, kc, NR);
      else packPanels(packedB, b + <usize>(p0 * ldb + j0) * 4, 1, ldb, nc, kc, NR);
      const blockBeta: f32 = p0 === 0 ? beta : 1;
      for (let i0 = 0; i0 < M; i0 += MC) {
        const mc = min(MC, M - i0);
        // op(A)[i0.., p0..]: element (i, k) at a[i·lda + k], or a[k·lda + i] when transA.
        if (transA) packPanels(packedA, a + <usize>(p0 * lda + i0) * 4, 1, lda, mc, kc, MR);
        else packPanels(packedA, a + <usize>(i0 * lda + p0) * 4, lda, 1, mc, kc, MR);
        const cBlock = c + <usize>(i0 * ldc + j0) * 4;
        for (let j = 0; j < nc; j += NR) {
          const nr = min(NR, nc - j);
          const bp = packedB + <usize>(j * kc) * 4;
          for (let i = 0; i < mc; i += MR) {
            const mr = min(MR, mc - i);
            const at = cBlock + <usize>(i * ldc + j) * 4;
            microKernel(kc, packedA + <usize>(i * kc) * 4, bp, at, ldc, mr, nr, alpha, blockBeta);
          }
        }
      }
    }
  }
}
