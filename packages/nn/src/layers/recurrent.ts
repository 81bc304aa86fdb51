// simpleRNN, lstm and gru layers: one class over the three kernels of @recur/kernels. The class
// owns what is common (options, direction, returnSequences, state handling); the cell kernels
// own the math. Note [time-major sequences] in @recur/kernels describes padding and reverse.
//
// Porting note: options follow Keras (units, returnSequences, returnState, goBackwards,
// stateful, unitForgetBias, resetAfter, initializers); weights follow PyTorch's layout and names
// (weight_ih, weight_hh, bias_ih, bias_hh), which is what interop and checkpoints use.
import { kernelBackend, type RecurrentGrads, type RecurrentWeights, type SequenceDims } from '@recur/kernels';
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
import { type BoundCell, CELLS, type CellFunctions } from './recurrent-cells.js';
import { type CellKind, type RecurrentOptions, type Resolved, resolve } from './recurrent-options.js';
import { flipSequences } from './sequence-ops.js';

export { type CellKind, type RecurrentOptions, resolveInputShape } from './recurrent-options.js';

/** A user's initial state (model.setInitialState): `rows` rows of H each; 1 row serves every sample. */
export interface GivenState {
  h: Float32Array; // (rows, H)
  c: Float32Array | null; // (rows, H), LSTM only; null = zeros
  rows: number;
}

/** Buffers of one bound layer, sized for the largest batch. */
interface Buffers {
  y: Float32Array; // (T, B, H) outputs in time order
  flipped: Float32Array | null; // (T, B, H) goBackwards + returnSequences: outputs in reading order
  hT: Float32Array; // (B, H)
  cT: Float32Array; // (B, H), LSTM only
  h0: Float32Array; // (B, H) initial state (stateful carry or given)
  c0: Float32Array; // (B, H)
  dx: Float32Array; // (T, B, I)
  dh0: Float32Array; // (B, H)
  dc0: Float32Array; // (B, H)
  dhT: Float32Array; // (B, H) gradient arriving at the final state from outside (encoder–decoder)
  dcT: Float32Array; // (B, H)
  dhLast: Float32Array; // (B, H) scratch: the last output's gradient plus dhT
  dyFlipped: Float32Array | null; // (T, B, H)
}

export class Recurrent implements Layer {
  readonly kind: CellKind;
  readonly options: Resolved;
  /** the kind's entry in the cell table: gate width, allocation, forward and backward */
  private readonly cellFunctions: CellFunctions;
  private dims!: SequenceDims;
  private weights!: RecurrentWeights;
  private grads!: RecurrentGrads;
  private buffers!: Buffers;
  /** the cell bound to this layer's cache and workspace (by bind) */
  private cell!: BoundCell;
  private input: Flow | null = null;
  private readonly output: Flow = { data: new Float32Array(0), ids: null, T: 0, B: 0, lengths: null };
  /** Set by a model before forward: use h0/c0 as the initial state (else zeros or the stateful carry). */
  useInitialState = false;
  /** Set by a model before backward: add dhT/dcT to the final state's gradient. */
  useFinalStateGradient = false;
  /** Carry the state across forward calls like a stateful layer (generation sets it). */
  carry = false;
  private carryValid = false;
  /** the user's initial state, used wherever the layer would otherwise start from zeros */
  private given: GivenState | null = null;
  /** the layer's name in its model, e.g. `layers.0` (set by build) */
  private where = '';
  /** the longest sequence and the input width, fixed by build */
  maxSteps = 0;
  inputFeatures = 0;

  /**
   * @param flipReversed with goBackwards and returnSequences, return outputs in reading order
   *   (Keras). Bidirectional passes false: it wants the reversed direction in time order.
   */
  constructor(
    kind: CellKind,
    options: RecurrentOptions,
    private readonly flipReversed = true,
  ) {
    this.kind = kind;
    this.options = resolve(kind, options);
    this.cellFunctions = CELLS[kind];
  }

  get units(): number {
    return this.options.units;
  }

  get inputShape(): [number, number] | null {
    return this.options.inputShape;
  }

  build(input: ShapeSpec, where: string): ShapeSpec {
    if (input.steps === null || input.ids) {
      fail(
        NnErrorCode.BAD_MODEL,
        `${where} (${this.kind}): needs a sequence of floats [steps, features] as input, got ${describeShape(input)}`,
      );
    }
    const H = this.options.units;
    this.where = where;
    this.maxSteps = input.steps;
    this.inputFeatures = input.features;
    this.dims = {
      T: input.steps,
      B: 0,
      I: input.features,
      H,
      reverse: this.options.goBackwards,
      lengths: null,
    };
    return this.options.returnSequences
      ? { steps: input.steps, features: H, ids: false }
      : { steps: null, features: H, ids: false };
  }

  get gateWidth(): number {
    return this.cellFunctions.gates * this.options.units;
  }

  paramRows(): ParamRow[] {
    const { I, H } = this.dims;
    const G = this.gateWidth;
    const o = this.options;
    const biasIh: Initializer =
      this.kind === 'lstm' && o.unitForgetBias ? 'unitForgetBias' : o.biasInitializer;
    return [
      { name: 'weight_ih', shape: [G, I], init: o.kernelInitializer },
      { name: 'weight_hh', shape: [G, H], init: o.recurrentInitializer },
      { name: 'bias_ih', shape: [G], init: biasIh },
      { name: 'bias_hh', shape: [G], init: o.biasInitializer },
    ];
  }

  bind(params: ParamViews, grads: ParamViews, allocator: FloatAllocator, maxBatch: number): void {
    const get = (views: ParamViews, name: string) => views.get(name) as Float32Array;
    this.weights = {
      wIh: get(params, 'weight_ih'),
      wHh: get(params, 'weight_hh'),
      bIh: get(params, 'bias_ih'),
      bHh: get(params, 'bias_hh'),
    };
    this.grads = {
      dWIh: get(grads, 'weight_ih'),
      dWHh: get(grads, 'weight_hh'),
      dBIh: get(grads, 'bias_ih'),
      dBHh: get(grads, 'bias_hh'),
    };
    const { I, H } = this.dims;
    const T = this.maxSteps;
    const dims: SequenceDims = { ...this.dims, T, B: maxBatch };
    const allocate = (n: number) => allocator.allocate(n);
    const flips = this.flipReversed && this.options.goBackwards && this.options.returnSequences;
    this.buffers = {
      y: allocate(T * maxBatch * H),
      flipped: flips ? allocate(T * maxBatch * H) : null,
      hT: allocate(maxBatch * H),
      cT: allocate(maxBatch * H),
      h0: allocate(maxBatch * H),
      c0: allocate(maxBatch * H),
      dx: allocate(T * maxBatch * I),
      dh0: allocate(maxBatch * H),
      dc0: allocate(maxBatch * H),
      dhT: allocate(maxBatch * H),
      dcT: allocate(maxBatch * H),
      dhLast: allocate(maxBatch * H),
      dyFlipped: flips ? allocate(T * maxBatch * H) : null,
    };
    this.cell = this.cellFunctions.bind(dims, allocate, this.options);
    this.carryValid = false;
  }

  /** The state buffers a model reads and writes around forward and backward (B, H) each. */
  get state(): Pick<Buffers, 'h0' | 'c0' | 'hT' | 'cT' | 'dh0' | 'dc0' | 'dhT' | 'dcT'> {
    return this.buffers;
  }

  /** Forget the carried state (stateful layers): the next batch starts from zeros (or the given state). */
  resetStates(): void {
    this.carryValid = false;
  }

  /** The user's initial state (checked by the model's setInitialState), or null for zeros. */
  get givenState(): GivenState | null {
    return this.given;
  }

  set givenState(state: GivenState | null) {
    this.given = state;
  }

  forward(input: Flow, ctx: StepContext): Flow {
    const { dims, buffers: buf, weights: w } = this;
    dims.T = input.T;
    dims.B = input.B;
    dims.lengths = input.lengths;
    this.input = input;
    const carries = this.options.stateful || this.carry;
    const carried = carries && this.carryValid;
    const given = !this.useInitialState && !carried && this.given !== null;
    if (given) this.fillGiven(this.given as GivenState, ctx.sampleIndex, input.B);
    const initial = this.useInitialState || carried || given;
    const h0 = initial ? buf.h0 : null;
    const c0 = initial ? buf.c0 : null;
    // Note: the wasm backend runs where the arena lies in its memory
    this.cell.forward(kernelBackend(), buf.y, buf.hT, buf.cT, input.data, h0, c0, w, dims);
    if (carries) this.carryState();
    return this.describeOutput(input);
  }

  /** h0, c0 (B, H) = each sample's row of the given state (row 0 when it has one row). */
  private fillGiven(state: GivenState, sampleIndex: Int32Array, B: number): void {
    const H = this.options.units;
    const { h0, c0 } = this.buffers;
    for (let b = 0; b < B; b++) {
      const row = state.rows === 1 ? 0 : sampleIndex[b];
      if (row >= state.rows) {
        fail(
          NnErrorCode.BAD_DATA,
          `${this.where} (${this.kind}): the initial state has ${state.rows} rows (one per sample) but sample ${row} ran; ` +
            'give one row per sample of x, or a single row (H) for every sample',
        );
      }
      h0.set(state.h.subarray(row * H, (row + 1) * H), b * H);
      if (state.c === null) c0.fill(0, b * H, (b + 1) * H);
      else c0.set(state.c.subarray(row * H, (row + 1) * H), b * H);
    }
  }

  /** Stateful: this batch's final state is the next batch's initial state (no gradient flows back). */
  private carryState(): void {
    const n = this.dims.B * this.dims.H;
    const { h0, c0, hT, cT } = this.buffers;
    for (let i = 0; i < n; i++) {
      h0[i] = hT[i];
      c0[i] = cT[i];
    }
    this.carryValid = true;
  }

  private describeOutput(input: Flow): Flow {
    const out = this.output;
    out.B = input.B;
    if (!this.options.returnSequences) {
      out.data = this.buffers.hT;
      out.T = 1;
      out.lengths = null;
      return out;
    }
    out.T = input.T;
    out.lengths = input.lengths;
    out.data = this.buffers.y;
    if (this.buffers.flipped !== null) {
      flipSequences(this.buffers.flipped, this.buffers.y, input.T, input.B, this.dims.H, input.lengths);
      out.data = this.buffers.flipped;
    }
    return out;
  }

  backward(dOutput: Float32Array, _ctx: StepContext, inputGradient = true): Float32Array | null {
    const { dims, buffers: buf, weights: w, grads } = this;
    const input = this.input;
    if (input === null) fail(NnErrorCode.NOT_READY, `${this.kind}: backward called before forward`);
    const { T, B, I, H } = dims;
    // Without a reader of dx the kernels skip its product (dGates · W_ih over all T·B rows).
    const dx = inputGradient ? buf.dx : null;
    dx?.fill(0, 0, T * B * I);
    buf.dh0.fill(0, 0, B * H);
    buf.dc0.fill(0, 0, B * H);
    let dy: Float32Array | null = dOutput;
    let dhT: Float32Array | null = this.useFinalStateGradient ? buf.dhT : null;
    const dcT: Float32Array | null = this.useFinalStateGradient ? buf.dcT : null;
    const mode = this.options.returnSequences ? 'all' : 'last';
    if (mode === 'last') {
      // The last output is the final state: fold dy into dhT.
      dhT = addInto(buf.dhLast, dy, dhT, B * H);
      dy = null;
    } else if (buf.dyFlipped !== null) {
      flipSequences(buf.dyFlipped, dOutput, T, B, H, input.lengths);
      dy = buf.dyFlipped;
    }
    this.cell.backward(kernelBackend(), dx, buf.dh0, buf.dc0, grads, input.data, w, dy, dhT, dcT, dims);
    return dx;
  }

  config(): LayerConfig {
    const { inputShape, ...rest } = this.options;
    const options: Record<string, unknown> = { ...rest };
    if (this.kind !== 'simpleRNN') delete options.activation;
    if (this.kind !== 'lstm') delete options.unitForgetBias;
    if (this.kind !== 'gru') delete options.resetAfter;
    if (inputShape !== null) options.inputShape = inputShape;
    return { kind: this.kind, options };
  }
}

/** scratch (B, H) = dy + extra (extra may be null); returns scratch. */
function addInto(
  scratch: Float32Array,
  dy: Float32Array,
  extra: Float32Array | null,
  n: number,
): Float32Array {
  for (let i = 0; i < n; i++) scratch[i] = dy[i] + (extra === null ? 0 : extra[i]);
  return scratch;
}

export function describeShape(shape: ShapeSpec): string {
  if (shape.steps === null) return `a vector of ${shape.features}`;
  return `${shape.ids ? 'token ids' : 'a sequence'} [${shape.steps}, ${shape.features}]`;
}

export const simpleRNN = (options: RecurrentOptions) => new Recurrent('simpleRNN', options);
export const lstm = (options: RecurrentOptions) => new Recurrent('lstm', options);
export const gru = (options: RecurrentOptions) => new Recurrent('gru', options);
