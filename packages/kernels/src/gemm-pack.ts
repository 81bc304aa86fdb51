// The inner pieces of the tuned gemm (gemm.ts, Note [gemm blocking]): block sizes, the packed
// panel buffers, packing, the macro kernel and the MR × NR register-tiled micro kernel.
//
// Is: machinery private to gemm.ts (index.ts does not re-export it). Is not: reentrant. The pack
// buffers are module-level and shared by every call; that is safe because gemm never calls out
// while it holds them, and each worker thread loads its own instance of this module.
//
// Packed layout: a block of `width` rows (of op(A)) or columns (of op(B)) and `depth` k-values
// becomes ceil(width / R) panels of (depth, R), R = MR or NR; the panel dimension is fastest,
// so the micro kernel reads both operands sequentially. The last panel is zero-padded to R, so
// the micro kernel never branches on edges; storeTile drops the padded rows and columns.
// Values are widened to float64 once while packing, since JavaScript arithmetic is float64.
//
// Measured choices (Node 20, one core, lstm-std shapes; scripts/bench-kernels.mjs): 4×4, 4×8,
// 8×4 and 2×8 tiles, Float32 packing and other block sizes all land within noise of each other
// (about 5 GFLOP/s); 4×4 is the smallest. What did matter: the hot loops must read module-private
// bindings. Exporting MR/NR or the pack buffers and using them from gemm.ts cost 30–40%, since
// V8 then reads them through a module cell on every access instead of folding them. Unrolling the
// full-panel packing gained 5–10% (packing was a quarter of the time at N = 32); unrolling the
// tile store did not measurably help.

/** Register tile: MR rows of op(A) times NR columns of op(B); private on purpose (see above). */
const MR = 4;
const NR = 4;
/** Cache blocks: rows of op(A), depth, and columns of op(B) packed at a time. */
export const MC = 64;
export const KC = 256;
export const NC = 512;

/** (MC / MR panels, KC, MR) packed block of op(A); allocated once, never grows. */
const packedA = new Float64Array(MC * KC);
/** (NC / NR panels, KC, NR) packed block of op(B). */
const packedB = new Float64Array(KC * NC);
/** (MR, NR) accumulators of the last micro-kernel call. */
const tile = new Float64Array(MR * NR);

/**
 * Packs a (width, depth) block whose element (r, k) is src[start + r·rowStride + k·depthStride]
 * into panels of R rows: (r, k) lands at dst[⌊r / R⌋·depth·R + k·R + r mod R].
 */
function packPanels(
  dst: Float64Array,
  src: Float32Array,
  start: number,
  rowStride: number,
  depthStride: number,
  width: number,
  depth: number,
  R: number,
): void {
  let o = 0;
  for (let r0 = 0; r0 < width; r0 += R) {
    const rows = Math.min(R, width - r0);
    const s = start + r0 * rowStride;
    if (rows === 4 && R === 4) packPanelOf4(dst, o, src, s, rowStride, depthStride, depth);
    else packPartialPanel(dst, o, src, s, rowStride, depthStride, depth, rows, R);
    o += depth * R;
  }
}

/** One full panel of 4 rows (the common case, unrolled): dst[o + k·4 + r] = src[s + r·rowStride + k·depthStride]. */
function packPanelOf4(
  dst: Float64Array,
  o: number,
  src: Float32Array,
  s: number,
  rowStride: number,
  depthStride: number,
  depth: number,
): void {
  const s1 = rowStride;
  const s2 = 2 * rowStride;
  const s3 = 3 * rowStride;
  for (let k = 0; k < depth; k++) {
    dst[o] = src[s];
    dst[o + 1] = src[s + s1];
    dst[o + 2] = src[s + s2];
    dst[o + 3] = src[s + s3];
    o += 4;
    s += depthStride;
  }
}

/** One panel of any `rows` <= R rows, zero-padded to R. */
function packPartialPanel(
  dst: Float64Array,
  o: number,
  src: Float32Array,
  s: number,
  rowStride: number,
  depthStride: number,
  depth: number,
  rows: number,
  R: number,
): void {
  for (let k = 0; k < depth; k++) {
    for (let r = 0; r < rows; r++) dst[o + r] = src[s + r * rowStride];
    for (let r = rows; r < R; r++) dst[o + r] = 0;
    o += R;
    s += depthStride;
  }
}

/** Packs rows of op(A) into packedA (see packPanels for the arguments). */
export function packA(
  a: Float32Array,
  start: number,
  rowStride: number,
  depthStride: number,
  mc: number,
  kc: number,
): void {
  packPanels(packedA, a, start, rowStride, depthStride, mc, kc, MR);
}

/** Packs columns of op(B) into packedB (see packPanels for the arguments). */
export function packB(
  b: Float32Array,
  start: number,
  colStride: number,
  depthStride: number,
  nc: number,
  kc: number,
): void {
  packPanels(packedB, b, start, colStride, depthStride, nc, kc, NR);
}

/** Updates the (mc, nc) block of C at cStart from the packed blocks, one MR × NR tile at a time. */
export function macroKernel(
  c: Float32Array,
  cStart: number,
  ldc: number,
  mc: number,
  nc: number,
  kc: number,
  alpha: number,
  beta: number,
): void {
  for (let j = 0; j < nc; j += NR) {
    const nr = Math.min(NR, nc - j);
    for (let i = 0; i < mc; i += MR) {
      microKernel(kc, i * kc, j * kc);
      storeTile(c, cStart + i * ldc + j, ldc, Math.min(MR, mc - i), nr, alpha, beta);
    }
  }
}

/**
 * tile (MR, NR) = Σ_k packedA panel (k, ·) ⊗ packedB panel (k, ·) over kc steps, from offsets
 * ai into packedA and bi into packedB. Sixteen scalar accumulators (V8 spills some to the stack).
 */
function microKernel(kc: number, ai: number, bi: number): void {
  let c00 = 0;
  let c01 = 0;
  let c02 = 0;
  let c03 = 0;
  let c10 = 0;
  let c11 = 0;
  let c12 = 0;
  let c13 = 0;
  let c20 = 0;
  let c21 = 0;
  let c22 = 0;
  let c23 = 0;
  let c30 = 0;
  let c31 = 0;
  let c32 = 0;
  let c33 = 0;
  for (let p = 0; p < kc; p++) {
    const a0 = packedA[ai];
    const a1 = packedA[ai + 1];
    const a2 = packedA[ai + 2];
    const a3 = packedA[ai + 3];
    const b0 = packedB[bi];
    c00 += a0 * b0;
    c10 += a1 * b0;
    c20 += a2 * b0;
    c30 += a3 * b0;
    const b1 = packedB[bi + 1];
    c01 += a0 * b1;
    c11 += a1 * b1;
    c21 += a2 * b1;
    c31 += a3 * b1;
    const b2 = packedB[bi + 2];
    c02 += a0 * b2;
    c12 += a1 * b2;
    c22 += a2 * b2;
    c32 += a3 * b2;
    const b3 = packedB[bi + 3];
    c03 += a0 * b3;
    c13 += a1 * b3;
    c23 += a2 * b3;
    c33 += a3 * b3;
    ai += MR;
    bi += NR;
  }
  tile[0] = c00;
  tile[1] = c01;
  tile[2] = c02;
  tile[3] = c03;
  tile[4] = c10;
  tile[5] = c11;
  tile[6] = c12;
  tile[7] = c13;
  tile[8] = c20;
  tile[9] = c21;
  tile[10] = c22;
  tile[11] = c23;
  tile[12] = c30;
  tile[13] = c31;
  tile[14] = c32;
  tile[15] = c33;
}

/** C[ci + r·ldc + q] = alpha · tile (r, q) + beta · C[…] for r < mr, q < nr (beta = 0: C unread). */
function storeTile(
  c: Float32Array,
  ci: number,
  ldc: number,
  mr: number,
  nr: number,
  alpha: number,
  beta: number,
): void {
  for (let r = 0; r < mr; r++) {
    const row = ci + r * ldc;
    for (let q = 0; q < nr; q++) {
      const value = alpha * tile[r * NR + q];
      c[row + q] = beta === 0 ? value : value + beta * c[row + q];
    }
  }
}
