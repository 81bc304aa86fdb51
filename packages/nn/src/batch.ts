// A batch as a model receives it (batch-major, right-padded, as users and data sets hold it) and
// the time-major copies of its ids and masks that the kernels read (DESIGN.md, "Sequences and
// randomness": users speak [B, T, I], kernels work on [T, B, I]).

/** A batch as users and data sets hold it: batch-major, right-padded. */
export interface Batch {
  B: number;
  /** steps in this batch (≤ the model's input steps); 1 for vector input */
  T: number;
  x: Float32Array | null; // (B, T, F) or (B, F)
  ids: Int32Array | null; // (B, T)
  lengths: Int32Array | null; // (B)
  target: Float32Array | Int32Array | null; // (B, [T,] O) floats or (B[, T]) labels
  sampleIndex: Int32Array; // (B) global sample indices (dropout keys)
}

/** out (T, B) = x (B, T) for ints. */
export function transposeInts(out: Int32Array, x: Int32Array, B: number, T: number): void {
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out[t * B + b] = x[b * T + t];
}

/** mask (T·B) = 1 where t < lengths[b] (all ones without lengths). */
export function fillMask(mask: Float32Array, T: number, B: number, lengths: Int32Array | null): void {
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) mask[t * B + b] = lengths === null || t < lengths[b] ? 1 : 0;
  }
}
