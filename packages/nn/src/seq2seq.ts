// encoderDecoder: the classic seq2seq model. An encoder reads the input sequence; its final
// state starts a decoder that emits the output sequence one step at a time, and a dense head
// turns each decoder step into an output. Training uses teacher forcing (the decoder reads the
// previous TRUE output); predict decodes step by step from its own previous output.
//
// Decoder input at step t: zeros at t = 0 (the start), then the previous step's output — the
// target's values for regression, or the one-hot of the previous label for sparse
// classification (at inference: the previous prediction, or the one-hot of its argmax).
import type { FloatAllocator } from './arena.js';
import { Model, type ModelConfig } from './base-model.js';
import type { Batch } from './batch.js';
import { fail, NnErrorCode } from './errors.js';
import type { Flow, StepContext } from './layer.js';
import { Dense } from './layers/dense.js';
import { type CellKind, Recurrent, resolveInputShape } from './layers/recurrent.js';
import type { InitialState } from './states.js';
import { takesLabels } from './training/loss.js';
import { knownKeys, nonNegativeInteger, oneOf, positiveInteger } from './validate.js';

export interface EncoderDecoderOptions {
  cell: CellKind;
  units: number;
  /** [steps, features] of the input sequence */
  inputShape: [number, number];
  /** steps the decoder emits */
  outputSteps: number;
  /** values per output step (classes, for the cross-entropy losses) */
  outputFeatures: number;
  seed?: number;
}

interface Buffers {
  decoderInput: Float32Array; // (T_out, B, O) teacher-forced inputs
  stepInput: Float32Array; // (B, O) inference: the next decoder input
  decoded: Float32Array; // (T_out, B, O) inference outputs
}

export class EncoderDecoder extends Model {
  readonly cell: CellKind;
  readonly units: number;
  readonly outputSteps: number;
  readonly outputFeatures: number;
  readonly encoder: Recurrent;
  readonly decoder: Recurrent;
  readonly head: Dense;
  private buffers!: Buffers;
  private lastBatch = 0;
  private readonly decoded: Flow = { data: new Float32Array(0), ids: null, T: 0, B: 0, lengths: null };

  constructor(options: EncoderDecoderOptions) {
    const where = 'encoderDecoder';
    knownKeys(where, options, ['cell', 'units', 'inputShape', 'outputSteps', 'outputFeatures', 'seed'], '');
    const cell = oneOf(where, 'cell', options.cell, ['simpleRNN', 'lstm', 'gru'] as const);
    const units = positiveInteger(where, 'units', options.units);
    const inputShape = resolveInputShape(where, options.inputShape);
    if (inputShape === null)
      fail(NnErrorCode.BAD_OPTION, `${where}: inputShape [steps, features] is required`);
    const outputSteps = positiveInteger(where, 'outputSteps', options.outputSteps);
    const O = positiveInteger(where, 'outputFeatures', options.outputFeatures);
    const seed = options.seed === undefined ? 0 : nonNegativeInteger(where, 'seed', options.seed);
    const encoder = new Recurrent(cell, { units, returnState: true });
    const decoder = new Recurrent(cell, { units, returnSequences: true });
    const head = new Dense({ units: O });
    const inputSpec = { steps: inputShape[0], features: inputShape[1], ids: false };
    const shapes = [
      encoder.build(inputSpec, 'encoder'),
      decoder.build({ steps: outputSteps, features: O, ids: false }, 'decoder'),
    ];
    shapes.push(head.build(shapes[1], 'head'));
    super({
      layers: [encoder, decoder, head],
      prefixes: ['encoder.', 'decoder.', 'head.'],
      shapes,
      inputSpec,
      outputSpec: shapes[2],
      seed,
    });
    this.cell = cell;
    this.units = units;
    this.outputSteps = outputSteps;
    this.outputFeatures = O;
    this.encoder = encoder;
    this.decoder = decoder;
    this.head = head;
  }

  protected override allocateExtra(allocator: FloatAllocator, maxBatch: number): void {
    const O = this.outputFeatures;
    this.buffers = {
      decoderInput: allocator.allocate(this.outputSteps * maxBatch * O),
      stepInput: allocator.allocate(maxBatch * O),
      decoded: allocator.allocate(this.outputSteps * maxBatch * O),
    };
  }

  /** The encoder (layer 0) takes an initial state; the decoder always starts from the encoder's. */
  override setInitialState(layerIndex: number, state: InitialState | null): void {
    if (layerIndex === 1 && state !== null) {
      fail(
        NnErrorCode.BAD_OPTION,
        "setInitialState: layer 1 is the encoderDecoder's decoder, which starts from the encoder's final state; set layer 0 (the encoder)",
      );
    }
    super.setInitialState(layerIndex, state);
  }

  /** Runs the encoder and hands its final state to the decoder. */
  private encode(batch: Batch, ctx: StepContext): void {
    this.lastBatch = batch.B;
    this.encoder.forward(this.inputFlow(batch), ctx);
    const n = batch.B * this.units;
    const from = this.encoder.state;
    const to = this.decoder.state;
    for (let i = 0; i < n; i++) {
      to.h0[i] = from.hT[i];
      to.c0[i] = from.cT[i];
    }
    this.decoder.useInitialState = true;
  }

  /** Teacher forcing: every step at once, reading the previous true output. */
  forward(batch: Batch, ctx: StepContext): Flow {
    if (batch.target === null)
      return fail(NnErrorCode.BAD_DATA, 'encoderDecoder: training and evaluation need targets');
    this.encode(batch, ctx);
    this.teacherInputs(batch);
    const input: Flow = {
      data: this.buffers.decoderInput,
      ids: null,
      T: this.outputSteps,
      B: batch.B,
      lengths: null,
    };
    return this.head.forward(this.decoder.forward(input, ctx), ctx);
  }

  /** decoderInput (T_out, B, O): zeros, then each sample's previous target step. */
  private teacherInputs(batch: Batch): void {
    const { B } = batch;
    const O = this.outputFeatures;
    const T = this.outputSteps;
    const labels = this.compiled !== null && takesLabels(this.compiled.loss);
    const input = this.buffers.decoderInput;
    input.fill(0, 0, T * B * O);
    for (let t = 1; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const o = (t * B + b) * O;
        if (labels) input[o + (batch.target as Int32Array)[b * T + t - 1]] = 1;
        else
          for (let f = 0; f < O; f++) input[o + f] = (batch.target as Float32Array)[(b * T + t - 1) * O + f];
      }
    }
  }

  protected backward(dOutput: Float32Array, ctx: StepContext): void {
    // layers: [encoder, decoder, head] (Note [final layers])
    const dDecoded = this.head.backward(dOutput, ctx);
    ctx.backwardProgress?.layerFinal(2);
    this.decoder.backward(dDecoded, ctx, false); // its inputs are the batch's (teacher forcing)
    ctx.backwardProgress?.layerFinal(1);
    // The decoder's initial-state gradient is the encoder's final-state gradient.
    const n = this.lastBatch * this.units;
    const enc = this.encoder.state;
    const dec = this.decoder.state;
    for (let i = 0; i < n; i++) enc.dcT[i] = dec.dc0[i];
    this.encoder.useFinalStateGradient = true;
    this.encoder.backward(dec.dh0, ctx, false);
    ctx.backwardProgress?.layerFinal(0);
  }

  /** Decodes step by step, feeding each prediction back in. */
  override inferBatch(batch: Batch, ctx: StepContext): Flow {
    this.encode(batch, ctx);
    const { B } = batch;
    const O = this.outputFeatures;
    const { stepInput, decoded } = this.buffers;
    const oneHot =
      this.compiled !== null &&
      (this.compiled.loss === 'sparseCategoricalCrossentropy' ||
        this.compiled.loss === 'categoricalCrossentropy');
    stepInput.fill(0, 0, B * O);
    const step: Flow = { data: stepInput, ids: null, T: 1, B, lengths: null };
    for (let t = 0; t < this.outputSteps; t++) {
      const out = this.head.forward(this.decoder.forward(step, ctx), ctx);
      decoded.set(out.data.subarray(0, B * O), t * B * O);
      nextInput(stepInput, out.data, B, O, oneHot);
      this.carryDecoderState(B);
    }
    const flow = this.decoded;
    flow.data = decoded;
    flow.T = this.outputSteps;
    flow.B = B;
    return flow;
  }

  private carryDecoderState(B: number): void {
    const s = this.decoder.state;
    for (let i = 0; i < B * this.units; i++) {
      s.h0[i] = s.hT[i];
      s.c0[i] = s.cT[i];
    }
  }

  config(): ModelConfig {
    const spec = this.inputSpec;
    return {
      kind: 'encoderDecoder',
      seed: this.seed,
      cell: this.cell,
      units: this.units,
      inputShape: [spec.steps as number, spec.features],
      outputSteps: this.outputSteps,
      outputFeatures: this.outputFeatures,
    };
  }
}

/** next (B, O) = the prediction itself, or the one-hot of its argmax for classification. */
function nextInput(next: Float32Array, out: Float32Array, B: number, O: number, oneHot: boolean): void {
  for (let b = 0; b < B; b++) {
    if (!oneHot) {
      for (let f = 0; f < O; f++) next[b * O + f] = out[b * O + f];
      continue;
    }
    let best = 0;
    for (let f = 1; f < O; f++) if (out[b * O + f] > out[b * O + best]) best = f;
    next.fill(0, b * O, (b + 1) * O);
    next[b * O + best] = 1;
  }
}

export const encoderDecoder = (options: EncoderDecoderOptions) => new EncoderDecoder(options);
