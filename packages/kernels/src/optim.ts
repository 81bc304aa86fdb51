// Optimizer updates (SGD, Adam, AdamW, RMSprop) and the pieces of global-norm gradient clipping.
//
// Is: one update of a half-open range [start, end) of flat parameter, gradient and state
// buffers, so that each thread updates its own chunk (DESIGN.md Note [step phases], step 5).
// params, grads and every state buffer are parallel Float32Arrays of the same length P, views of
// the arena; the update never modifies grads. Is not: learning-rate schedules, parameter groups,
// the reduction of gradients across ranks, or the decision whether to clip (the trainer sums
// the ranks' squaredNorm in rank order, takes clipFactor once, and every rank scales its chunk).
//
// `step` is the 1-based count of updates taken so far, this one included. Hyperparameters come
// in small option objects the caller creates once (no allocation per step).
//
// Porting note: every update follows torch.optim (1.13, single-tensor path) formula by formula
// and in the same order, checked against fixtures from scripts/fixtures/gen_optim_fixtures.py.
// Arithmetic runs in float64 between a load and a store; a state value is read back after it is
// stored, so a run resumed from a checkpoint of the float32 state is bit-identical.

export interface SgdOptions {
  readonly lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
}

export interface AdamOptions {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
}

export interface RmspropOptions {
  readonly lr: number;
  /** smoothing constant of the running averages */
  readonly alpha: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly momentum: number;
  readonly centered: boolean;
}

/**
 * torch.optim.SGD. params, momentumBuf, grads (P); momentumBuf may be null when momentum is 0.
 * Porting note: torch initialises the momentum buffer to the (decayed) gradient at the first step
 * (no dampening then); here that is step === 1, so the buffer's old contents are ignored then.
 * Weight decay is coupled (added to the gradient).
 */
export function sgdUpdate(
  params: Float32Array,
  momentumBuf: Float32Array | null,
  grads: Float32Array,
  start: number,
  end: number,
  step: number,
  o: SgdOptions,
): void {
  const { lr, momentum, dampening, nesterov, weightDecay } = o;
  const buf = momentum !== 0 ? momentumBuf : null;
  for (let i = start; i < end; i++) {
    let d = grads[i];
    if (weightDecay !== 0) d += weightDecay * params[i];
    if (buf !== null) {
      buf[i] = step === 1 ? d : momentum * buf[i] + (1 - dampening) * d;
      d = nesterov ? d + momentum * buf[i] : buf[i];
    }
    params[i] -= lr * d;
  }
}

/** The shared Adam/AdamW loop: `l2` couples weight decay into the gradient, `shrink` decays p. */
function adamLoop(
  params: Float32Array,
  m: Float32Array,
  v: Float32Array,
  grads: Float32Array,
  start: number,
  end: number,
  step: number,
  o: AdamOptions,
  l2: number,
  shrink: number,
): void {
  const { lr, beta1, beta2, eps } = o;
  const stepSize = lr / (1 - beta1 ** step);
  const correction2Sqrt = Math.sqrt(1 - beta2 ** step);
  for (let i = start; i < end; i++) {
    if (shrink !== 1) params[i] *= shrink;
    let g = grads[i];
    if (l2 !== 0) g += l2 * params[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    const denom = Math.sqrt(v[i]) / correction2Sqrt + eps;
    params[i] -= stepSize * (m[i] / denom);
  }
}

/**
 * torch.optim.Adam (amsgrad off). params, m (first moment), v (second moment), grads (P).
 * Porting note: weight decay is coupled L2 (added to the gradient before the moments), and
 * denom = sqrt(v)/sqrt(1 − β2^t) + eps, as torch (eps outside the bias correction).
 */
export function adamUpdate(
  params: Float32Array,
  m: Float32Array,
  v: Float32Array,
  grads: Float32Array,
  start: number,
  end: number,
  step: number,
  o: AdamOptions,
): void {
  adamLoop(params, m, v, grads, start, end, step, o, o.weightDecay, 1);
}

/**
 * torch.optim.AdamW (amsgrad off). Same buffers as adamUpdate.
 * Porting note: decoupled weight decay, p *= 1 − lr·wd before the Adam step, as torch.
 * torch's AdamW defaults to weightDecay 0.01; the caller's options decide here.
 */
export function adamwUpdate(
  params: Float32Array,
  m: Float32Array,
  v: Float32Array,
  grads: Float32Array,
  start: number,
  end: number,
  step: number,
  o: AdamOptions,
): void {
  adamLoop(params, m, v, grads, start, end, step, o, 0, 1 - o.lr * o.weightDecay);
}

/**
 * torch.optim.RMSprop. params, squareAvg, gradAvg, momentumBuf, grads (P); gradAvg may be null
 * unless centered, momentumBuf unless momentum > 0. `step` is unused (RMSprop has no bias
 * correction); it is there so that every update has the same shape.
 * Porting note: eps is added after the square root; centered subtracts the squared running mean
 * of the gradient; the momentum buffer starts at zero (torch's zeros_like). Where rounding makes
 * squareAvg − gradAvg² negative, it is taken as 0 (torch would give NaN there).
 */
export function rmspropUpdate(
  params: Float32Array,
  squareAvg: Float32Array,
  gradAvg: Float32Array | null,
  momentumBuf: Float32Array | null,
  grads: Float32Array,
  start: number,
  end: number,
  _step: number,
  o: RmspropOptions,
): void {
  const { lr, alpha, eps, weightDecay, momentum } = o;
  const mean = o.centered ? gradAvg : null;
  const buf = momentum > 0 ? momentumBuf : null;
  for (let i = start; i < end; i++) {
    let g = grads[i];
    if (weightDecay !== 0) g += weightDecay * params[i];
    squareAvg[i] = alpha * squareAvg[i] + (1 - alpha) * g * g;
    let variance = squareAvg[i];
    if (mean !== null) {
      mean[i] = alpha * mean[i] + (1 - alpha) * g;
      variance = Math.max(0, variance - mean[i] * mean[i]);
    }
    const avg = Math.sqrt(variance) + eps;
    if (buf !== null) {
      buf[i] = momentum * buf[i] + g / avg;
      params[i] -= lr * buf[i];
    } else {
      params[i] -= lr * (g / avg);
    }
  }
}

// Note [norm lanes]: a squared norm over [start, end) is summed in float64 in NORM_LANES = 8
// lanes (the square of element i goes to lane (i − start) mod 8), and the lanes are then added
// as ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)). In one chain in index order
// every addition waits for the one before (about 1 ns a value, whatever the memory could give);
// eight independent chains fill one AVX-512 register in native code and overlap in JavaScript.
// Every backend adds in this order (squaredNorm, reduceSlots here and in native/src/isa/
// reduce.cc), so their norms agree bit for bit.

/** The lanes a squared norm is summed in (Note [norm lanes]). */
export const NORM_LANES = 8;

/**
 * Σ x[i]² over [start, end), accumulated in float64 in lanes (Note [norm lanes]): one rank's
 * share of the global norm². The lanes are eight locals, so the additions overlap.
 */
export function squaredNorm(x: Float32Array, start: number, end: number): number {
  let l0 = 0;
  let l1 = 0;
  let l2 = 0;
  let l3 = 0;
  let l4 = 0;
  let l5 = 0;
  let l6 = 0;
  let l7 = 0;
  let i = start;
  for (; i + NORM_LANES <= end; i += NORM_LANES) {
    l0 += x[i] * x[i];
    l1 += x[i + 1] * x[i + 1];
    l2 += x[i + 2] * x[i + 2];
    l3 += x[i + 3] * x[i + 3];
    l4 += x[i + 4] * x[i + 4];
    l5 += x[i + 5] * x[i + 5];
    l6 += x[i + 6] * x[i + 6];
    l7 += x[i + 7] * x[i + 7];
  }
  // the last end − i < 8 values go to lanes 0, 1, …
  if (i < end) l0 += x[i] * x[i];
  if (i + 1 < end) l1 += x[i + 1] * x[i + 1];
  if (i + 2 < end) l2 += x[i + 2] * x[i + 2];
  if (i + 3 < end) l3 += x[i + 3] * x[i + 3];
  if (i + 4 < end) l4 += x[i + 4] * x[i + 4];
  if (i + 5 < end) l5 += x[i + 5] * x[i + 5];
  if (i + 6 < end) l6 += x[i + 6] * x[i + 6];
  return l0 + l1 + (l2 + l3) + (l4 + l5 + (l6 + l7));
}

/** x[i] *= factor over [start, end). */
export function scaleRange(x: Float32Array, start: number, end: number, factor: number): void {
  for (let i = start; i < end; i++) x[i] *= factor;
}

/**
 * The factor that clips gradients of global norm totalNorm to at most maxNorm:
 * min(1, maxNorm / (totalNorm + 1e-6)). NaN in, NaN out: the trainer decides what a non-finite
 * norm means.
 * Porting note: as torch.nn.utils.clip_grad_norm_ (clip_coef clamped to 1).
 */
export function clipFactor(totalNorm: number, maxNorm: number): number {
  return Math.min(1, maxNorm / (totalNorm + 1e-6));
}
