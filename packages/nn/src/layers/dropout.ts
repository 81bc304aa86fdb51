// dropout: zeroes a fraction `rate` of the values while training and scales the rest by
// 1/(1 − rate) (inverted dropout, as Keras and PyTorch); the identity at evaluation.
// Each sample's mask is drawn from the counter-based generator keyed by (seed, epoch, the
// sample's global index), so splitting a batch across threads or machines cannot change the
// mask a sample gets (DESIGN.md, "Sequences and randomness"). Each dropout layer draws from its
// own stream: its position in the model is folded into the seed.
import { fillDropoutMask } from '@recur/kernels';
import type { FloatAllocator } from '../arena.js';
import { fail, NnErrorCode } from '../errors.js';
import type { Flow, Layer, LayerConfig, ParamRow, ParamViews, ShapeSpec, StepContext } from '../layer.js';
import { knownKeys, numberInRange } from '../validate.js';
import { describeShape } from './recurrent.js';

export interface DropoutOptions {
  /** fraction of values zeroed while training, in [0, 1) */
  rate: number;
}

/** A small stable number for a layer's place in the model (FNV-1a of its path, 20 bits). */
function streamOf(where: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < where.length; i++) hash = Math.imul(hash ^ where.charCodeAt(i), 0x01000193);
  return (hash >>> 0) & 0xfffff;
}

export class Dropout implements Layer {
  readonly kind = 'dropout';
  readonly rate: number;
  private stream = 0;
  private steps = 1;
  private features = 0;
  private mask!: Float32Array; // (B, T·F) per-sample masks, T the longest sequence
  private sampleMasks: Float32Array[] = []; // B views (T·F) into mask, made once at bind
  private y!: Float32Array; // like the input
  private dx!: Float32Array;
  private active = false;
  private input: Flow | null = null;
  private readonly output: Flow = { data: new Float32Array(0), ids: null, T: 0, B: 0, lengths: null };

  constructor(options: DropoutOptions) {
    knownKeys('dropout', options, ['rate'], '{ rate }');
    this.rate = numberInRange('dropout', 'rate', options.rate, 0, 1, { maxInclusive: false });
  }

  build(input: ShapeSpec, where: string): ShapeSpec {
    if (input.ids) fail(NnErrorCode.BAD_MODEL, `${where} (dropout): cannot take ${describeShape(input)}`);
    this.stream = streamOf(where);
    this.steps = input.steps ?? 1;
    this.features = input.features;
    return input;
  }

  paramRows(): ParamRow[] {
    return [];
  }

  bind(_params: ParamViews, _grads: ParamViews, allocator: FloatAllocator, maxBatch: number): void {
    const n = this.steps * maxBatch * this.features;
    this.mask = allocator.allocate(n);
    const perSample = this.steps * this.features;
    this.sampleMasks = Array.from({ length: maxBatch }, (_, b) =>
      this.mask.subarray(b * perSample, (b + 1) * perSample),
    );
    this.y = allocator.allocate(n);
    this.dx = allocator.allocate(n);
  }

  forward(input: Flow, ctx: StepContext): Flow {
    this.input = input;
    this.active = ctx.training && this.rate > 0;
    if (!this.active) return input;
    const { T, B } = input;
    // A sample's mask covers the longest sequence, so a value's mask does not depend on T.
    const seed = (ctx.seed % 2 ** 32) + this.stream * 2 ** 32;
    for (let b = 0; b < B; b++) {
      fillDropoutMask(this.sampleMasks[b], 1 - this.rate, seed, ctx.epoch, ctx.sampleIndex[b]);
    }
    this.applyMask(this.y, input.data, T, B);
    const out = this.output;
    out.data = this.y;
    out.T = T;
    out.B = B;
    out.lengths = input.lengths;
    return out;
  }

  /** out (T, B, F) = x ⊙ mask, with sample b's mask laid out (T_max, F). */
  private applyMask(out: Float32Array, x: Float32Array, T: number, B: number): void {
    const F = this.features;
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const o = (t * B + b) * F;
        const m = (b * this.steps + t) * F;
        for (let f = 0; f < F; f++) out[o + f] = x[o + f] * this.mask[m + f];
      }
    }
  }

  backward(dOutput: Float32Array, _ctx: StepContext): Float32Array {
    if (!this.active) return dOutput;
    const input = this.input as Flow;
    this.applyMask(this.dx, dOutput, input.T, input.B);
    return this.dx;
  }

  config(): LayerConfig {
    return { kind: this.kind, options: { rate: this.rate } };
  }
}

export const dropout = (options: DropoutOptions) => new Dropout(options);
