// bidirectional: runs a recurrent layer both ways over each sample's real steps and merges the
// two outputs ('concat' default, 'sum', 'mul', 'ave'), as Keras' Bidirectional. The reversed
// copy's outputs are kept in time order, so step t of both halves describes the same input step.
// Parameter rows are the two copies' rows prefixed `forward.` and `backward.` (PyTorch's
// `_reverse` names are produced by interop).
import type { FloatAllocator } from '../arena.js';
import { fail, NnErrorCode } from '../errors.js';
import type { Flow, Layer, LayerConfig, ParamRow, ParamViews, ShapeSpec, StepContext } from '../layer.js';
import { knownKeys, oneOf } from '../validate.js';
import { Recurrent, type RecurrentOptions } from './recurrent.js';

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';

export interface BidirectionalOptions {
  mergeMode?: MergeMode;
}

/** Keeps the entries of `views` under `prefix.`, without the prefix. */
function scoped(views: ParamViews, prefix: string): ParamViews {
  const out: ParamViews = new Map();
  for (const [name, view] of views)
    if (name.startsWith(`${prefix}.`)) out.set(name.slice(prefix.length + 1), view);
  return out;
}

export class Bidirectional implements Layer {
  readonly kind = 'bidirectional';
  readonly mergeMode: MergeMode;
  readonly forwardLayer: Recurrent;
  readonly backwardLayer: Recurrent;
  private H = 0;
  private sequences = false;
  private merged!: Float32Array; // (T, B, 2H) or (T, B, H); (B, ·) without sequences
  private dForward!: Float32Array; // like one half's output
  private dBackward!: Float32Array;
  private dx!: Float32Array; // (T, B, I)
  private outF: Flow | null = null;
  private outB: Flow | null = null;
  private input: Flow | null = null;
  private readonly output: Flow = { data: new Float32Array(0), ids: null, T: 0, B: 0, lengths: null };

  constructor(layer: Recurrent, options: BidirectionalOptions = {}) {
    knownKeys('bidirectional', options, ['mergeMode'], '{ mergeMode? }');
    if (!(layer instanceof Recurrent)) {
      fail(NnErrorCode.BAD_OPTION, 'bidirectional: wraps a simpleRNN, lstm or gru layer');
    }
    if (layer.options.goBackwards || layer.options.stateful || layer.options.returnState) {
      fail(
        NnErrorCode.BAD_OPTION,
        'bidirectional: the wrapped layer must not set goBackwards, stateful or returnState',
      );
    }
    this.mergeMode =
      options.mergeMode === undefined
        ? 'concat'
        : oneOf('bidirectional', 'mergeMode', options.mergeMode, ['concat', 'sum', 'mul', 'ave']);
    const base = layer.config().options as unknown as RecurrentOptions;
    this.forwardLayer = new Recurrent(layer.kind, { ...base, goBackwards: false });
    this.backwardLayer = new Recurrent(layer.kind, { ...base, goBackwards: true }, false);
  }

  get inputShape(): [number, number] | null {
    return this.forwardLayer.inputShape;
  }

  build(input: ShapeSpec, where: string): ShapeSpec {
    const half = this.forwardLayer.build(input, `${where}.forward`);
    this.backwardLayer.build(input, `${where}.backward`);
    this.H = half.features;
    this.sequences = half.steps !== null;
    return { ...half, features: this.mergeMode === 'concat' ? 2 * half.features : half.features };
  }

  paramRows(): ParamRow[] {
    const prefix = (p: string, rows: ParamRow[]) => rows.map((r) => ({ ...r, name: `${p}.${r.name}` }));
    return [
      ...prefix('forward', this.forwardLayer.paramRows()),
      ...prefix('backward', this.backwardLayer.paramRows()),
    ];
  }

  bind(params: ParamViews, grads: ParamViews, allocator: FloatAllocator, maxBatch: number): void {
    this.forwardLayer.bind(scoped(params, 'forward'), scoped(grads, 'forward'), allocator, maxBatch);
    this.backwardLayer.bind(scoped(params, 'backward'), scoped(grads, 'backward'), allocator, maxBatch);
    const rows = (this.sequences ? this.stepsOf() : 1) * maxBatch;
    const width = this.mergeMode === 'concat' ? 2 * this.H : this.H;
    this.merged = allocator.allocate(rows * width);
    this.dForward = allocator.allocate(rows * this.H);
    this.dBackward = allocator.allocate(rows * this.H);
    this.dx = allocator.allocate(this.stepsOf() * maxBatch * this.inputFeatures());
  }

  private stepsOf(): number {
    return this.forwardLayer.maxSteps;
  }

  private inputFeatures(): number {
    return this.forwardLayer.inputFeatures;
  }

  forward(input: Flow, ctx: StepContext): Flow {
    this.input = input;
    this.outF = this.forwardLayer.forward(input, ctx);
    this.outB = this.backwardLayer.forward(input, ctx);
    const rows = this.outF.T * input.B;
    this.merge(this.merged, this.outF.data, this.outB.data, rows);
    const out = this.output;
    out.data = this.merged;
    out.T = this.outF.T;
    out.B = input.B;
    out.lengths = this.outF.lengths;
    return out;
  }

  /** out (rows, 2H or H) from the two halves (rows, H). */
  private merge(out: Float32Array, f: Float32Array, b: Float32Array, rows: number): void {
    const H = this.H;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < H; j++) {
        const x = f[r * H + j];
        const y = b[r * H + j];
        if (this.mergeMode === 'concat') {
          out[r * 2 * H + j] = x;
          out[r * 2 * H + H + j] = y;
        } else {
          out[r * H + j] =
            this.mergeMode === 'sum' ? x + y : this.mergeMode === 'mul' ? x * y : 0.5 * (x + y);
        }
      }
    }
  }

  /** dForward, dBackward (rows, H) from dOut (rows, 2H or H). */
  private split(dOut: Float32Array, rows: number): void {
    const H = this.H;
    const f = (this.outF as Flow).data;
    const b = (this.outB as Flow).data;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < H; j++) {
        const i = r * H + j;
        if (this.mergeMode === 'concat') {
          this.dForward[i] = dOut[r * 2 * H + j];
          this.dBackward[i] = dOut[r * 2 * H + H + j];
        } else {
          const d = dOut[i];
          const scale = this.mergeMode === 'ave' ? 0.5 : 1;
          this.dForward[i] = this.mergeMode === 'mul' ? d * b[i] : d * scale;
          this.dBackward[i] = this.mergeMode === 'mul' ? d * f[i] : d * scale;
        }
      }
    }
  }

  backward(dOutput: Float32Array, ctx: StepContext, inputGradient = true): Float32Array | null {
    const input = this.input as Flow;
    const rows = (this.outF as Flow).T * input.B;
    this.split(dOutput, rows);
    const dxF = this.forwardLayer.backward(this.dForward, ctx, inputGradient);
    const dxB = this.backwardLayer.backward(this.dBackward, ctx, inputGradient);
    if (dxF === null || dxB === null) return null;
    const n = input.T * input.B * this.inputFeatures();
    for (let i = 0; i < n; i++) this.dx[i] = dxF[i] + dxB[i];
    return this.dx;
  }

  config(): LayerConfig {
    return { kind: this.kind, options: { mergeMode: this.mergeMode, layer: this.forwardLayer.config() } };
  }
}

export const bidirectional = (layer: Recurrent, options?: BidirectionalOptions) =>
  new Bidirectional(layer, options);
