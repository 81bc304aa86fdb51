// embedding: token ids (T, B) → vectors (T, B, D), with `maskZero` turning id 0 into padding.
// Porting note: weight (V, D) as PyTorch's nn.Embedding; `inputDim`, `outputDim`, `maskZero` as
// Keras. A Keras mask is reduced to per-sample lengths: with maskZero a sample ends at its first
// id 0 (right padding), so ids after a 0 are ignored.
import { kernelBackend } from '@recur/kernels';
import type { FloatAllocator } from '../arena.js';
import { fail, NnErrorCode } from '../errors.js';
import type { Flow, Layer, LayerConfig, ParamRow, ParamViews, ShapeSpec, StepContext } from '../layer.js';
import { boolean, describe, knownKeys, positiveInteger } from '../validate.js';
import { describeShape } from './recurrent.js';

export interface EmbeddingOptions {
  /** vocabulary size V: ids lie in [0, V) */
  inputDim: number;
  /** vector width D */
  outputDim: number;
  /** id 0 is padding: each sample ends at its first 0; default false */
  maskZero?: boolean;
  /** [steps] of the model's input, on a first layer */
  inputShape?: [number];
}

export class Embedding implements Layer {
  readonly kind = 'embedding';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  readonly inputShape: [number] | null;
  private steps = 0;
  private table!: Float32Array; // (V, D)
  private dTable!: Float32Array; // (V, D)
  private y!: Float32Array; // (T, B, D)
  private lengths!: Int32Array; // (B)
  private input: Flow | null = null;
  private readonly output: Flow = { data: new Float32Array(0), ids: null, T: 0, B: 0, lengths: null };

  constructor(options: EmbeddingOptions) {
    const where = 'embedding';
    knownKeys(
      where,
      options,
      ['inputDim', 'outputDim', 'maskZero', 'inputShape'],
      'with at least { inputDim, outputDim }',
    );
    this.inputDim = positiveInteger(where, 'inputDim', options.inputDim);
    this.outputDim = positiveInteger(where, 'outputDim', options.outputDim);
    this.maskZero = options.maskZero === undefined ? false : boolean(where, 'maskZero', options.maskZero);
    if (
      options.inputShape !== undefined &&
      (!Array.isArray(options.inputShape) || options.inputShape.length !== 1)
    ) {
      fail(
        NnErrorCode.BAD_OPTION,
        `embedding: inputShape must be [steps], got ${describe(options.inputShape)}`,
      );
    }
    this.inputShape =
      options.inputShape === undefined
        ? null
        : [positiveInteger(where, 'inputShape[0] (steps)', options.inputShape[0])];
  }

  build(input: ShapeSpec, where: string): ShapeSpec {
    if (!input.ids || input.steps === null) {
      fail(
        NnErrorCode.BAD_MODEL,
        `${where} (embedding): needs token ids [steps] as input, got ${describeShape(input)}`,
      );
    }
    this.steps = input.steps;
    return { steps: input.steps, features: this.outputDim, ids: false };
  }

  paramRows(): ParamRow[] {
    return [{ name: 'weight', shape: [this.inputDim, this.outputDim], init: 'uniformFanIn' }];
  }

  bind(params: ParamViews, grads: ParamViews, allocator: FloatAllocator, maxBatch: number): void {
    this.table = params.get('weight') as Float32Array;
    this.dTable = grads.get('weight') as Float32Array;
    this.y = allocator.allocate(this.steps * maxBatch * this.outputDim);
    this.lengths = new Int32Array(maxBatch);
  }

  forward(input: Flow, _ctx: StepContext): Flow {
    this.input = input;
    const ids = input.ids as Int32Array;
    const { T, B } = input;
    kernelBackend().embeddingForward(this.y, ids, this.table, T * B, this.outputDim);
    const out = this.output;
    out.data = this.y;
    out.T = T;
    out.B = B;
    out.lengths = this.maskZero ? this.lengthsFromIds(ids, T, B, input.lengths) : input.lengths;
    return out;
  }

  /** Each sample's steps before its first id 0 (and within its given length, if any). */
  private lengthsFromIds(ids: Int32Array, T: number, B: number, given: Int32Array | null): Int32Array {
    for (let b = 0; b < B; b++) {
      const limit = given === null ? T : given[b];
      let len = 0;
      while (len < limit && ids[len * B + b] !== 0) len++;
      this.lengths[b] = len;
    }
    return this.lengths;
  }

  backward(dOutput: Float32Array, _ctx: StepContext): null {
    const input = this.input as Flow;
    const ids = input.ids as Int32Array;
    kernelBackend().embeddingBackward(this.dTable, ids, dOutput, input.T * input.B, this.outputDim);
    return null;
  }

  config(): LayerConfig {
    const options: Record<string, unknown> = {
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      maskZero: this.maskZero,
    };
    if (this.inputShape !== null) options.inputShape = this.inputShape;
    return { kind: this.kind, options };
  }
}

export const embedding = (options: EmbeddingOptions) => new Embedding(options);
