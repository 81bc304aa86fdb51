// Shapes, weights and caches shared by the recurrent kernels (rnn.ts, lstm.ts, gru.ts, cells/).
//
// Dimension letters, used in every shape comment of this package:
//   B batch, T steps, I input width, H hidden width,
//   G gate width (4H LSTM, 3H GRU, H SimpleRNN), V vocabulary, W world size.
//
// Note [time-major sequences]: the recurrent kernels read time-major input (T, B, I), so each
// step's B rows are contiguous; the model's first layer transposes users' batch-major
// (B, T, I) into this layout. Variable lengths are right-padded with per-sample `lengths`:
//   - steps t >= lengths[b] keep sample b's state, write a zero output and get no gradient;
//   - with `reverse`, sample b starts at its last real step lengths[b] - 1 and ends at t = 0;
//   - the final state (hT, cT) is the state after each sample's last processed step, so the
//     "last output" of a sample always equals its final hidden state.
// Porting note: zero outputs at padded steps follow PyTorch's pad_packed_sequence; Keras
// repeats the previous output instead. Losses mask those steps either way.

/** The shape of one recurrent run. Reused across calls: create it once per layer. */
export interface SequenceDims {
  /** steps */
  T: number;
  /** batch rows */
  B: number;
  /** input width */
  I: number;
  /** hidden width */
  H: number;
  /** run from t = T - 1 down to 0 (each sample from its last real step) */
  reverse: boolean;
  /** (B) real steps per sample, each in [0, T]; null means every sample has T steps */
  lengths: Int32Array | null;
}

/**
 * Porting note: PyTorch's layout. Gate blocks are stacked along G in PyTorch order
 * (LSTM i,f,g,o; GRU r,z,n), and both biases are kept even where they only add up.
 */
export interface RecurrentWeights {
  wIh: Float32Array; // (G, I)
  wHh: Float32Array; // (G, H)
  bIh: Float32Array; // (G)
  bHh: Float32Array; // (G)
}

/** Gradients of RecurrentWeights, same shapes; backward kernels accumulate into them. */
export interface RecurrentGrads {
  dWIh: Float32Array; // (G, I)
  dWHh: Float32Array; // (G, H)
  dBIh: Float32Array; // (G)
  dBHh: Float32Array; // (G)
}

/** Where a kernel takes its buffers from: the arena in @recur/nn, plain arrays in tests. */
export type Allocate = (length: number) => Float32Array;
export const allocateFloat32: Allocate = (length) => new Float32Array(length);

/** Number of real steps of sample b. */
export function stepsOf(dims: SequenceDims, b: number): number {
  return dims.lengths === null ? dims.T : dims.lengths[b];
}

/** True when step t of sample b is a real (not padded) step. */
export function isRealStep(dims: SequenceDims, t: number, b: number): boolean {
  return dims.lengths === null || t < dims.lengths[b];
}

/** Which gradient of the outputs a backward kernel receives. */
export type DyMode =
  /** dy is (T, B, H): the gradient of every step's output */
  | 'all'
  /** dy is (B, H): the gradient of each sample's last output, which is its final state */
  | 'last';

/**
 * Per-step (B, X) views of a time-major (T, B, X) buffer, so the step loop hands gemm a view
 * without allocating one per step. Views are made once per step and remade only when the batch
 * size changes (the last, smaller batch of an epoch).
 */
export class StepViews {
  private views: Float32Array[] = [];
  private rows = -1;

  constructor(
    readonly data: Float32Array,
    readonly width: number,
  ) {}

  /** The (B, width) rows of step t. */
  at(t: number, B: number): Float32Array {
    if (B !== this.rows) {
      this.views = [];
      this.rows = B;
    }
    const stride = B * this.width;
    let view = this.views[t];
    if (view === undefined) {
      view = this.data.subarray(t * stride, (t + 1) * stride);
      this.views[t] = view;
    }
    return view;
  }
}

/** Processing position s (0 = first step run) to time index t. */
export function timeAt(s: number, dims: SequenceDims): number {
  return dims.reverse ? dims.T - 1 - s : s;
}

/**
 * out[offset, offset + length) = source[0, length). Buffers may be longer than this batch needs
 * (sized for the largest batch), so kernels copy exactly the rows in use.
 */
export function copyInto(out: Float32Array, offset: number, source: Float32Array, length: number): void {
  for (let i = 0; i < length; i++) out[offset + i] = source[i];
}

/** Writes `state` (B, H), or zeros when null, into `out` (B, H). */
export function copyState(out: Float32Array, state: Float32Array | null, length: number): void {
  if (state === null) out.fill(0, 0, length);
  else for (let i = 0; i < length; i++) out[i] = state[i];
}

const tailViews = new WeakMap<Float32Array, Map<number, Float32Array>>();

/**
 * `array.subarray(offset)`, made once per (array, offset) and reused, so kernels can hand gemm a
 * block of a wider matrix (with a leading dimension) without allocating a view per call.
 */
export function viewFrom(array: Float32Array, offset: number): Float32Array {
  let views = tailViews.get(array);
  if (views === undefined) {
    views = new Map();
    tailViews.set(array, views);
  }
  let view = views.get(offset);
  if (view === undefined) {
    view = array.subarray(offset);
    views.set(offset, view);
  }
  return view;
}

/**
 * out (T, B, F) = x (B, T, F): batch-major to time-major (or back, swapping T and B): the copy
 * of Note [time-major sequences]. `out` and `x` must not overlap. Every backend's
 * `transposeBatchTime` gives these bits (a copy); native copies each F-float row with memcpy.
 */
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
