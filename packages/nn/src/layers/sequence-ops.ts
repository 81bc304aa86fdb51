// Small reorderings of time-major batches that several layers and models need.

/**
 * out (T, B, F) = each sample's real steps in reverse order, zeros after them:
 * out[s, b] = x[len_b − 1 − s, b] for s < len_b. Its own inverse.
 * Porting note: Keras' go_backwards reverses the padded sequence as a whole; with right padding
 * we reverse only the real steps, so padding stays at the end.
 */
export function flipSequences(
  out: Float32Array,
  x: Float32Array,
  T: number,
  B: number,
  F: number,
  lengths: Int32Array | null,
): void {
  for (let b = 0; b < B; b++) {
    const len = lengths === null ? T : lengths[b];
    for (let s = 0; s < T; s++) {
      const o = (s * B + b) * F;
      if (s >= len) {
        out.fill(0, o, o + F);
        continue;
      }
      const i = ((len - 1 - s) * B + b) * F;
      for (let f = 0; f < F; f++) out[o + f] = x[i + f];
    }
  }
}

/** out (T, B, F) = x (B, T, F): batch-major to time-major (or back, swapping T and B). */
export function transposeBatchTime(
  out: Float32Array,
  x: Float32Array,
  B: number,
  T: number,
  F: number,
): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const from = (b * T + t) * F;
      const to = (t * B + b) * F;
      for (let f = 0; f < F; f++) out[to + f] = x[from + f];
    }
  }
}
