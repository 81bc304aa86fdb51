// Elementwise activations and the row softmax, forward and backward, over Float32Array views.
//
// Is: the activations of dense layers and recurrent cells (linear, tanh, sigmoid, relu, hard
// sigmoid) and a numerically stable softmax over the last axis. Is not: a loss (softmax cross
// entropy fuses softmax with its loss in losses.ts, which is both cheaper and more accurate).
//
// Backward kernels compute the derivative from the activation's OUTPUT y, so forward may run in
// place (y aliasing x) and backward needs no copy of the pre-activation. They accumulate (+=).
// n is the number of elements; rows and cols the shape of a softmax input.

export type Activation = 'linear' | 'tanh' | 'sigmoid' | 'relu' | 'hardSigmoid';

/** Logistic sigmoid, stable for large |x|: exp is only taken of a non-positive number. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * Porting note: hard sigmoid is clip(x/6 + 1/2, 0, 1) as PyTorch's `nn.Hardsigmoid` and Keras 3;
 * Keras 2 used clip(0.2·x + 0.5, 0, 1), so Keras 2 models ported here change slightly.
 */
export function hardSigmoid(x: number): number {
  return Math.min(1, Math.max(0, x / 6 + 0.5));
}

/** y (n) = f(x (n)); y may alias x (in place). */
export function activationForward(kind: Activation, y: Float32Array, x: Float32Array, n: number): void {
  switch (kind) {
    case 'linear':
      if (y !== x) for (let i = 0; i < n; i++) y[i] = x[i];
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) y[i] = sigmoid(x[i]);
      return;
    case 'relu':
      for (let i = 0; i < n; i++) y[i] = Math.max(x[i], 0);
      return;
    case 'hardSigmoid':
      for (let i = 0; i < n; i++) y[i] = hardSigmoid(x[i]);
      return;
  }
}

/**
 * dx (n) += dy (n) · f'(x), with f' written in terms of the output y (n): tanh 1 − y², sigmoid
 * y(1 − y), relu [y > 0], hard sigmoid 1/6 where 0 < y < 1 (zero on the flat parts and at the
 * kinks, as PyTorch).
 */
export function activationBackward(
  kind: Activation,
  dx: Float32Array,
  y: Float32Array,
  dy: Float32Array,
  n: number,
): void {
  switch (kind) {
    case 'linear':
      for (let i = 0; i < n; i++) dx[i] += dy[i];
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) dx[i] += dy[i] * (1 - y[i] * y[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) dx[i] += dy[i] * y[i] * (1 - y[i]);
      return;
    case 'relu':
      for (let i = 0; i < n; i++) if (y[i] > 0) dx[i] += dy[i];
      return;
    case 'hardSigmoid':
      for (let i = 0; i < n; i++) if (y[i] > 0 && y[i] < 1) dx[i] += dy[i] / 6;
      return;
  }
}

/** y (rows, cols) = softmax of each row of x (rows, cols), max-subtracted; y may alias x. */
export function softmaxForward(y: Float32Array, x: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < cols; j++) if (x[o + j] > max) max = x[o + j];
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(x[o + j] - max);
      y[o + j] = e;
      sum += e;
    }
    const inverse = 1 / sum;
    for (let j = 0; j < cols; j++) y[o + j] *= inverse;
  }
}

/** dx (rows, cols) += y ⊙ (dy − Σ_j dy_j·y_j) per row, from the softmax output y (rows, cols). */
export function softmaxBackward(
  dx: Float32Array,
  y: Float32Array,
  dy: Float32Array,
  rows: number,
  cols: number,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let inner = 0;
    for (let j = 0; j < cols; j++) inner += dy[o + j] * y[o + j];
    for (let j = 0; j < cols; j++) dx[o + j] += y[o + j] * (dy[o + j] - inner);
  }
}
