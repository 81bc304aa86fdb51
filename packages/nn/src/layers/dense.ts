// dense: a fully connected layer with an activation, on vectors (B, F) or on every step of a
// sequence (T, B, F) — Keras' TimeDistributed(Dense) — since both are rows of a matrix.
// Porting note: weight (units, in) and bias as PyTorch's nn.Linear (Keras' kernel is (in, units)).
import { type Activation, activationBackward, activationForward, kernelBackend } from '@recur/kernels';
import type { FloatAllocator } from '../arena.js';
import { fail, NnErrorCode } from '../errors.js';
import type {
  Flow,
  Initializer,
  Layer,
  LayerConfig,
  ParamRow,
  ParamViews,
  ShapeSpec,
  StepContext,
} from '../layer.js';
import { boolean, describe, knownKeys, oneOf, positiveInteger } from '../validate.js';
import { describeShape } from './recurrent.js';

const ACTIVATIONS: Activation[] = ['linear', 'tanh', 'sigmoid', 'relu', 'hardSigmoid'];

export interface DenseOptions {
  units: number;
  /** default 'linear' (logits for the cross-entropy losses) */
  activation?: Activation;
  useBias?: boolean;
  kernelInitializer?: Initializer;
  /** [features] or [steps, features] of the model's input, on a first layer */
  inputShape?: number[];
}

export class Dense implements Layer {
  readonly kind = 'dense';
  readonly units: number;
  readonly activation: Activation;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly inputShape: number[] | null;
  private inFeatures = 0;
  private w!: Float32Array; // (O, In)
  private b: Float32Array | null = null; // (O)
  private dw!: Float32Array;
  private db: Float32Array | null = null;
  private y!: Float32Array; // (rows, O)
  private dPre!: Float32Array; // (rows, O)
  private dx!: Float32Array; // (rows, In)
  private input: Flow | null = null;
  private readonly output: Flow = { data: new Float32Array(0), ids: null, T: 0, B: 0, lengths: null };
  private steps: number | null = null;

  constructor(options: DenseOptions) {
    const where = 'dense';
    knownKeys(
      where,
      options,
      ['units', 'activation', 'useBias', 'kernelInitializer', 'inputShape'],
      'with at least { units }',
    );
    this.units = positiveInteger(where, 'units', options.units);
    this.activation =
      options.activation === undefined
        ? 'linear'
        : oneOf(where, 'activation', options.activation, ACTIVATIONS);
    this.useBias = options.useBias === undefined ? true : boolean(where, 'useBias', options.useBias);
    this.kernelInitializer =
      options.kernelInitializer === undefined
        ? 'glorotUniform'
        : oneOf(where, 'kernelInitializer', options.kernelInitializer, [
            'glorotUniform',
            'uniformFanIn',
            'zeros',
            'orthogonal',
          ]);
    this.inputShape = denseInputShape(options.inputShape);
  }

  build(input: ShapeSpec, where: string): ShapeSpec {
    if (input.ids)
      fail(
        NnErrorCode.BAD_MODEL,
        `${where} (dense): cannot take ${describeShape(input)}; put an embedding first`,
      );
    this.inFeatures = input.features;
    this.steps = input.steps;
    return { steps: input.steps, features: this.units, ids: false };
  }

  paramRows(): ParamRow[] {
    const rows: ParamRow[] = [
      { name: 'weight', shape: [this.units, this.inFeatures], init: this.kernelInitializer },
    ];
    if (this.useBias) rows.push({ name: 'bias', shape: [this.units], init: 'zeros' });
    return rows;
  }

  bind(params: ParamViews, grads: ParamViews, allocator: FloatAllocator, maxBatch: number): void {
    this.w = params.get('weight') as Float32Array;
    this.dw = grads.get('weight') as Float32Array;
    this.b = this.useBias ? (params.get('bias') as Float32Array) : null;
    this.db = this.useBias ? (grads.get('bias') as Float32Array) : null;
    const rows = (this.steps ?? 1) * maxBatch;
    this.y = allocator.allocate(rows * this.units);
    this.dPre = allocator.allocate(rows * this.units);
    this.dx = allocator.allocate(rows * this.inFeatures);
  }

  forward(input: Flow, _ctx: StepContext): Flow {
    this.input = input;
    const rows = input.T * input.B;
    kernelBackend().denseForward(this.y, input.data, this.w, this.b, rows, this.inFeatures, this.units);
    activationForward(this.activation, this.y, this.y, rows * this.units);
    const out = this.output;
    out.data = this.y;
    out.T = input.T;
    out.B = input.B;
    out.lengths = input.lengths;
    return out;
  }

  backward(dOutput: Float32Array, _ctx: StepContext): Float32Array {
    const input = this.input as Flow;
    const rows = input.T * input.B;
    const n = rows * this.units;
    this.dPre.fill(0, 0, n);
    activationBackward(this.activation, this.dPre, this.y, dOutput, n);
    this.dx.fill(0, 0, rows * this.inFeatures);
    kernelBackend().denseBackward(
      this.dx,
      this.dw,
      this.db,
      input.data,
      this.w,
      this.dPre,
      rows,
      this.inFeatures,
      this.units,
    );
    return this.dx;
  }

  config(): LayerConfig {
    const options: Record<string, unknown> = {
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
    };
    if (this.inputShape !== null) options.inputShape = this.inputShape;
    return { kind: this.kind, options };
  }
}

/**
 * [features] or [steps, features] of positive integers, or null when not given.
 * Fix (tests): inputShape was copied unchecked, so [0] or a string built a broken model.
 */
function denseInputShape(shape: unknown): number[] | null {
  if (shape === undefined) return null;
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > 2) {
    fail(
      NnErrorCode.BAD_OPTION,
      `dense: inputShape must be [features] or [steps, features], got ${describe(shape)}`,
    );
  }
  return shape.map((d, i) => positiveInteger('dense', `inputShape[${i}]`, d));
}

export const dense = (options: DenseOptions) => new Dense(options);
