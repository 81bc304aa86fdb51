// Optimizers as users write them ('adam', { kind: 'sgd', lr: 0.1, momentum: 0.9 }), validated and
// resolved to PyTorch's defaults, over the update kernels of @recur/kernels (optim.ts).
//
// Is: the spec types, their validation (coded errors naming the option), the resolved
// hyperparameters (JSON-safe, for checkpoints) and an `update` over a range [start, end) of the
// flat params, grads and state buffers, so that each rank updates its own chunk. Is not: the
// learning-rate schedule (schedules.ts gives `lr` per step), clipping, or where the state buffers
// live (the arena sizes `stateCount()` buffers of P floats each, zeroed before the first step).
//
// State buffer order, P floats each: sgd [momentum] (only when momentum > 0); adam and adamw
// [m, v]; rmsprop [squareAvg, gradAvg (centered only), momentum (momentum > 0 only)].
//
// Porting note: defaults are torch.optim's (1.13): SGD lr 0.01; Adam lr 1e-3, betas 0.9/0.999,
// eps 1e-8; AdamW the same with weightDecay 0.01; RMSprop lr 0.01, alpha 0.99, eps 1e-8. PyTorch's
// `betas=(b1, b2)` is spelled beta1, beta2 here (Keras' names). Ranges follow torch's checks,
// tightened where torch accepts values that only diverge or divide by zero: momentum, beta1,
// beta2 and alpha in [0, 1), dampening in [0, 1], eps > 0.
import { type AdamOptions, kernelBackend, type RmspropOptions, type SgdOptions } from '@recur/kernels';
import { fail, NnErrorCode, RecurError } from '../errors.js';
import { boolean, describe, knownKeys, numberInRange, oneOf } from '../validate.js';

export type OptimizerKind = 'sgd' | 'adam' | 'adamw' | 'rmsprop';
export const OPTIMIZER_KINDS: readonly OptimizerKind[] = ['sgd', 'adam', 'adamw', 'rmsprop'];

export interface SgdSpec {
  kind: 'sgd';
  lr?: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  /** coupled L2 (added to the gradient) */
  weightDecay?: number;
}

export interface AdamSpec {
  kind: 'adam' | 'adamw';
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** adam: coupled L2; adamw: decoupled decay p *= 1 − lr·weightDecay */
  weightDecay?: number;
}

export interface RmspropSpec {
  kind: 'rmsprop';
  lr?: number;
  /** smoothing constant of the running averages */
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
}

export type OptimizerSpec = OptimizerKind | SgdSpec | AdamSpec | RmspropSpec;

/** Resolved hyperparameters: every option with its value, JSON-safe. */
export type OptimizerHyper = Readonly<Record<string, number | boolean>>;

export interface Optimizer {
  readonly kind: OptimizerKind;
  readonly hyper: OptimizerHyper;
  /** names of the state buffers, in order (for layout rows and checkpoints) */
  readonly stateNames: readonly string[];
  /** how many P-float state buffers update needs */
  stateCount(): number;
  /**
   * params, grads (P) and each state buffer (P): updates [start, end) with learning rate `lr` at
   * the 1-based `step`. Allocates nothing; never modifies grads.
   */
  update(
    params: Float32Array,
    grads: Float32Array,
    state: Float32Array[],
    start: number,
    end: number,
    step: number,
    lr: number,
  ): void;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Options = Record<string, unknown>;

const UNBOUNDED = Number.POSITIVE_INFINITY;
const SGD_KEYS = ['kind', 'lr', 'momentum', 'dampening', 'nesterov', 'weightDecay'];
const ADAM_KEYS = ['kind', 'lr', 'beta1', 'beta2', 'eps', 'weightDecay'];
const RMSPROP_KEYS = ['kind', 'lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered'];

/** Validates `spec` and builds its optimizer. */
export function createOptimizer(spec: OptimizerSpec): Optimizer {
  const options = specOptions(spec);
  const kind = oneOf('optimizer', 'kind', options.kind, OPTIMIZER_KINDS);
  const where = `optimizer '${kind}'`;
  if (kind === 'sgd') return sgdOptimizer(resolveSgd(where, options));
  if (kind === 'rmsprop') return rmspropOptimizer(resolveRmsprop(where, options));
  return adamOptimizer(kind, resolveAdam(where, kind, options));
}

/**
 * Rebuilds an optimizer from a checkpoint's `kind` and `hyper` (as written from Optimizer.kind
 * and Optimizer.hyper). Anything invalid is ERR_NN_BAD_CHECKPOINT, with the option error as cause.
 */
export function optimizerFromJSON(kind: unknown, hyper: unknown): Optimizer {
  if (typeof hyper !== 'object' || hyper === null || Array.isArray(hyper)) {
    fail(
      NnErrorCode.BAD_CHECKPOINT,
      `checkpoint: optimizer hyperparameters must be an object, got ${describe(hyper)}`,
    );
  }
  try {
    return createOptimizer({ ...hyper, kind } as OptimizerSpec);
  } catch (error) {
    if (!(error instanceof RecurError)) throw error;
    return fail(NnErrorCode.BAD_CHECKPOINT, `checkpoint: bad optimizer state: ${error.message}`, error);
  }
}

/** The spec as an options object ('adam' → { kind: 'adam' }). */
function specOptions(spec: unknown): Options {
  if (typeof spec === 'string') return { kind: spec };
  if (typeof spec === 'object' && spec !== null && !Array.isArray(spec)) return spec as Options;
  const kinds = OPTIMIZER_KINDS.map((k) => `'${k}'`).join(', ');
  return fail(
    NnErrorCode.BAD_OPTION,
    `optimizer must be one of ${kinds} or an object { kind, ...options }, got ${describe(spec)}`,
  );
}

/** options[name] when given, else the default; checked to lie in [min, max) (or [min, max]). */
function rangeOption(
  where: string,
  options: Options,
  name: string,
  fallback: number,
  min: number,
  max: number,
  bounds: { minInclusive?: boolean; maxInclusive?: boolean } = { maxInclusive: false },
): number {
  const value = options[name];
  return value === undefined ? fallback : numberInRange(where, name, value, min, max, bounds);
}

function flagOption(where: string, options: Options, name: string): boolean {
  const value = options[name];
  return value === undefined ? false : boolean(where, name, value);
}

function resolveSgd(where: string, options: Options): SgdOptions {
  knownKeys(where, options, SGD_KEYS);
  const resolved: SgdOptions = {
    lr: rangeOption(where, options, 'lr', 0.01, 0, UNBOUNDED),
    momentum: rangeOption(where, options, 'momentum', 0, 0, 1),
    dampening: rangeOption(where, options, 'dampening', 0, 0, 1, {}),
    nesterov: flagOption(where, options, 'nesterov'),
    weightDecay: rangeOption(where, options, 'weightDecay', 0, 0, UNBOUNDED),
  };
  // Porting note: torch's "Nesterov momentum requires a momentum and zero dampening".
  if (resolved.nesterov && (resolved.momentum <= 0 || resolved.dampening !== 0)) {
    fail(
      NnErrorCode.BAD_OPTION,
      `${where}: nesterov needs momentum > 0 and dampening 0, got momentum ${resolved.momentum}, dampening ${resolved.dampening}`,
    );
  }
  return resolved;
}

function resolveAdam(where: string, kind: 'adam' | 'adamw', options: Options): AdamOptions {
  knownKeys(where, options, ADAM_KEYS);
  return {
    lr: rangeOption(where, options, 'lr', 1e-3, 0, UNBOUNDED),
    beta1: rangeOption(where, options, 'beta1', 0.9, 0, 1),
    beta2: rangeOption(where, options, 'beta2', 0.999, 0, 1),
    eps: rangeOption(where, options, 'eps', 1e-8, 0, UNBOUNDED, { minInclusive: false, maxInclusive: false }),
    weightDecay: rangeOption(where, options, 'weightDecay', kind === 'adamw' ? 0.01 : 0, 0, UNBOUNDED),
  };
}

function resolveRmsprop(where: string, options: Options): RmspropOptions {
  knownKeys(where, options, RMSPROP_KEYS);
  return {
    lr: rangeOption(where, options, 'lr', 0.01, 0, UNBOUNDED),
    alpha: rangeOption(where, options, 'alpha', 0.99, 0, 1),
    eps: rangeOption(where, options, 'eps', 1e-8, 0, UNBOUNDED, { minInclusive: false, maxInclusive: false }),
    weightDecay: rangeOption(where, options, 'weightDecay', 0, 0, UNBOUNDED),
    momentum: rangeOption(where, options, 'momentum', 0, 0, 1),
    centered: flagOption(where, options, 'centered'),
  };
}

/** Throws unless `state` holds the buffers the optimizer needs (no allocation when it does). */
function checkState(kind: OptimizerKind, state: Float32Array[], count: number): void {
  if (state.length !== count) {
    fail(
      NnErrorCode.BAD_OPTION,
      `optimizer '${kind}': update needs ${count} state buffers, got ${state.length}`,
    );
  }
}

function sgdOptimizer(resolved: SgdOptions): Optimizer {
  const o: Mutable<SgdOptions> = { ...resolved };
  const stateNames = resolved.momentum > 0 ? ['momentum'] : [];
  return {
    kind: 'sgd',
    hyper: Object.freeze({ ...resolved }),
    stateNames,
    stateCount: () => stateNames.length,
    update(params, grads, state, start, end, step, lr) {
      checkState('sgd', state, stateNames.length);
      o.lr = lr;
      kernelBackend().sgdUpdate(params, stateNames.length > 0 ? state[0] : null, grads, start, end, step, o);
    },
  };
}

function adamOptimizer(kind: 'adam' | 'adamw', resolved: AdamOptions): Optimizer {
  const o: Mutable<AdamOptions> = { ...resolved };
  return {
    kind,
    hyper: Object.freeze({ ...resolved }),
    stateNames: ['m', 'v'],
    stateCount: () => 2,
    update(params, grads, state, start, end, step, lr) {
      checkState(kind, state, 2);
      o.lr = lr;
      const k = kernelBackend(); // the wasm backend runs where params lie in its memory
      if (kind === 'adam') k.adamUpdate(params, state[0], state[1], grads, start, end, step, o);
      else k.adamwUpdate(params, state[0], state[1], grads, start, end, step, o);
    },
  };
}

function rmspropOptimizer(resolved: RmspropOptions): Optimizer {
  const o: Mutable<RmspropOptions> = { ...resolved };
  const stateNames = ['squareAvg'];
  const gradAvgIndex = resolved.centered ? stateNames.push('gradAvg') - 1 : -1;
  const momentumIndex = resolved.momentum > 0 ? stateNames.push('momentum') - 1 : -1;
  return {
    kind: 'rmsprop',
    hyper: Object.freeze({ ...resolved }),
    stateNames,
    stateCount: () => stateNames.length,
    update(params, grads, state, start, end, step, lr) {
      checkState('rmsprop', state, stateNames.length);
      o.lr = lr;
      const gradAvg = gradAvgIndex < 0 ? null : state[gradAvgIndex];
      const momentum = momentumIndex < 0 ? null : state[momentumIndex];
      kernelBackend().rmspropUpdate(params, state[0], gradAvg, momentum, grads, start, end, step, o);
    },
  };
}
