// Fused optimizer updates over a range of flat f32 buffers in the module's memory (pointers are
// byte offsets of element `start`; n elements). Arithmetic in f64 between a load and a store,
// values read back after they are stored, in the order of the reference (src/optim.ts): the
// results are bit-identical to the TypeScript backend's, given the same step constants.
// Porting note: torch.optim.Adam / AdamW (amsgrad off), single-tensor path; the caller passes
// stepSize = lr / (1 − β1^t) and correction2Sqrt = sqrt(1 − β2^t), computed in f64 as there.

/** Adam (l2 = weight decay, shrink = 1) or AdamW (l2 = 0, shrink = 1 − lr·wd). params, m, v, grads (n). */
export function adamUpdate(
  params: usize,
  m: usize,
  v: usize,
  grads: usize,
  n: i32,
  stepSize: f64,
  correction2Sqrt: f64,
  beta1: f64,
  beta2: f64,
  eps: f64,
  l2: f64,
  shrink: f64,
): void {
  const oneMinusBeta1 = 1 - beta1;
  const oneMinusBeta2 = 1 - beta2;
  for (let i = 0; i < n; i++) {
    const o = <usize>i * 4;
    if (shrink !== 1) store<f32>(params + o, <f32>(<f64>load<f32>(params + o) * shrink));
    let g = <f64>load<f32>(grads + o);
    if (l2 !== 0) g += l2 * <f64>load<f32>(params + o);
    const mi = <f32>(beta1 * <f64>load<f32>(m + o) + oneMinusBeta1 * g);
    store<f32>(m + o, mi);
    const vi = <f32>(beta2 * <f64>load<f32>(v + o) + oneMinusBeta2 * g * g);
    store<f32>(v + o, vi);
    const denom = Math.sqrt(<f64>vi) / correction2Sqrt + eps;
    store<f32>(params + o, <f32>(<f64>load<f32>(params + o) - stepSize * (<f64>mi / denom)));
  }
}

/**
 * SGD with optional momentum (buf = 0: none), dampening, Nesterov and coupled weight decay.
 * Porting note: torch initialises the buffer to the gradient at the first step (first = true).
 */
export function sgdUpdate(
  params: usize,
  buf: usize,
  grads: usize,
  n: i32,
  first: bool,
  lr: f64,
  momentum: f64,
  dampening: f64,
  nesterov: bool,
  weightDecay: f64,
): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i * 4;
    let d = <f64>load<f32>(grads + o);
    if (weightDecay !== 0) d += weightDecay * <f64>load<f32>(params + o);
    if (buf !== 0) {
      const b = first ? <f32>d : <f32>(momentum * <f64>load<f32>(buf + o) + (1 - dampening) * d);
      store<f32>(buf + o, b);
      d = nesterov ? d + momentum * <f64>b : <f64>b;
    }
    store<f32>(params + o, <f32>(<f64>load<f32>(params + o) - lr * d));
  }
}
