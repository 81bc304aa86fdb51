// A small many-to-one task for the tests: x (N, T, 2) two waves per sample, y (N, 1) the next
// value of the first. N = 45 with batches of 12 gives three full batches and an uneven last one.
import type { ArrayData } from '@recur/nn';

export function wavesTask(N: number, T: number): { x: ArrayData; y: ArrayData } {
  const x = new Float32Array(N * T * 2);
  const y = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < T; t++) {
      x[(n * T + t) * 2] = Math.sin(0.4 * (n + t));
      x[(n * T + t) * 2 + 1] = Math.cos(0.7 * (n + t) + 0.1 * n);
    }
    y[n] = Math.sin(0.4 * (n + T));
  }
  return { x: { data: x, shape: [N, T, 2] }, y: { data: y, shape: [N, 1] } };
}
