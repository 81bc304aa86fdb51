// Initial parameter values, drawn from the counter-based generator keyed by (seed, init purpose,
// row index), so a model's start depends only on its seed and layout.
//
// Porting note: the defaults follow Keras — kernels glorot uniform, recurrent kernels
// orthogonal, biases zeros, LSTM forget-gate bias 1 (`unit_forget_bias`). Our weights are stored
// transposed from Keras' (PyTorch layout (G, I)), so fan-in is shape[1] and fan-out shape[0].
// 'uniformFanIn' is PyTorch's own default for RNN layers: U(±1/sqrt(fan-in)).
import { fillNormal, fillUniform, RandomPurpose } from '@recur/kernels';
import type { Initializer } from './layer.js';

export function initialize(
  out: Float32Array,
  shape: number[],
  init: Initializer,
  seed: number,
  rowIndex: number,
): void {
  const fanOut = shape[0];
  const fanIn = shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : shape[0];
  switch (init) {
    case 'zeros':
      out.fill(0);
      return;
    case 'ones':
      out.fill(1);
      return;
    case 'unitForgetBias':
      // (4H): i, f, g, o blocks; the forget block starts at 1.
      out.fill(0);
      out.fill(1, out.length / 4, out.length / 2);
      return;
    case 'glorotUniform': {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      fillUniform(out, seed, RandomPurpose.init, 0, rowIndex, -limit, limit);
      return;
    }
    case 'uniformFanIn': {
      const limit = 1 / Math.sqrt(fanIn);
      fillUniform(out, seed, RandomPurpose.init, 0, rowIndex, -limit, limit);
      return;
    }
    case 'orthogonal':
      fillOrthogonal(out, fanOut, fanIn, seed, rowIndex);
      return;
  }
}

/**
 * A (rows, cols) matrix with orthonormal columns (rows ≥ cols) or rows (rows < cols): modified
 * Gram–Schmidt over normal draws, in float64. Porting note: Keras' Orthogonal uses a QR of a
 * normal matrix; the distribution is the same (Haar), the numbers are not.
 */
function fillOrthogonal(out: Float32Array, rows: number, cols: number, seed: number, rowIndex: number): void {
  const tall = rows >= cols;
  const n = tall ? cols : rows; // vectors to orthonormalise
  const m = tall ? rows : cols; // their length
  const draws = new Float32Array(n * m);
  fillNormal(draws, seed, RandomPurpose.init, 0, rowIndex, 0, 1);
  const vectors = Array.from({ length: n }, (_, k) => Float64Array.from(draws.subarray(k * m, (k + 1) * m)));
  for (let k = 0; k < n; k++) {
    const v = vectors[k];
    for (let p = 0; p < k; p++) {
      const u = vectors[p];
      let dot = 0;
      for (let i = 0; i < m; i++) dot += u[i] * v[i];
      for (let i = 0; i < m; i++) v[i] -= dot * u[i];
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < m; i++) v[i] /= norm;
  }
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < m; i++) {
      if (tall) out[i * cols + k] = vectors[k][i];
      else out[k * cols + i] = vectors[k][i];
    }
  }
}
