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
