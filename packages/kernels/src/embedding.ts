// Embedding lookup: a gather of table rows by integer id, and its scatter-add backward.
//
// Is: the lookup of token ids in a (V, D) table. Is not: validation. Ids must lie in [0, V);
// the layer above checks them (with a coded error naming the bad id) before calling, because
// kernels never throw. An out-of-range id here reads NaN or touches another row.
//
// Dimension letters: N looked-up ids (batch, or steps × batch), V vocabulary, D embedding width.
//
// Porting note: as PyTorch's `nn.Embedding` (no padding_idx, no max_norm) and Keras' Embedding.

/** y (N, D) = table (V, D) rows ids (N). */
export function embeddingForward(
  y: Float32Array,
  ids: Int32Array,
  table: Float32Array,
  N: number,
  D: number,
): void {
  for (let n = 0; n < N; n++) {
    const from = ids[n] * D;
    const to = n * D;
    for (let d = 0; d < D; d++) y[to + d] = table[from + d];
  }
}

/** dTable (V, D) rows ids[n] += dy (N, D) row n; repeated ids add up. */
export function embeddingBackward(
  dTable: Float32Array,
  ids: Int32Array,
  dy: Float32Array,
  N: number,
  D: number,
): void {
  for (let n = 0; n < N; n++) {
    const to = ids[n] * D;
    const from = n * D;
    for (let d = 0; d < D; d++) dTable[to + d] += dy[from + d];
  }
}
