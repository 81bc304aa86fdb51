// What every layer is: the contract between layers and models.
//
// A model builds each layer once from its input shape, collects the layers' parameter rows into
// one layout table, sizes the arena, hands each layer its parameter and gradient views, and lets
// it allocate its workspace for the largest batch. A step then calls forward and backward with
// flows: time-major views of a batch moving through the model (Note [time-major sequences] in
// @recur/kernels' sequence.ts). Layers never allocate during a step.
import type { FloatAllocator } from './arena.js';
import type { LossSum } from './training/loss.js';

/** The shape of one sample between layers (no batch axis). */
export interface ShapeSpec {
  /** steps of a sequence (the longest allowed), or null for a vector */
  steps: number | null;
  /** values per step (or per vector) */
  features: number;
  /** token ids (embedding input) instead of floats */
  ids: boolean;
}

/** A batch between layers: time-major (T, B, F) for sequences, (B, F) for vectors. */
export interface Flow {
  /** (T, B, F) or (B, F) floats; unused when `ids` is set */
  data: Float32Array;
  /** (T, B) token ids, for the embedding input only */
  ids: Int32Array | null;
  /** steps in this batch (1 for vectors) */
  T: number;
  /** samples in this batch */
  B: number;
  /** (B) real steps per sample (right padding), or null when every sample has T */
  lengths: Int32Array | null;
}

/** How a parameter row starts out. */
export type Initializer =
  | 'glorotUniform'
  | 'orthogonal'
  | 'zeros'
  | 'ones'
  | 'unitForgetBias'
  | 'uniformFanIn';

export interface ParamRow {
  /** relative name inside the layer, e.g. `weight_ih` or `forward.weight_ih` */
  name: string;
  shape: number[];
  init: Initializer;
}

/** Views by relative parameter name. */
export type ParamViews = Map<string, Float32Array>;

/** What a step tells every layer. */
export interface StepContext {
  training: boolean;
  seed: number;
  epoch: number;
  /** (B) the global index of each sample of the batch, keying dropout masks */
  sampleIndex: Int32Array;
  /**
   * Told how a training step's backward advances, for a caller that sends finished layers'
   * gradients early (a cluster node's buckets, @recur/parallel); absent: nothing is reported.
   */
  backwardProgress?: BackwardProgress | null;
}

/**
 * Note [final layers]: a model's backward runs its layers from the top (the last in
 * `model.layers`) down, and layer i accumulates only into its own parameters' gradients,
 * `model.layerRanges[i]` of the flat layout. So once layer i's backward has returned, that range
 * holds its final value for this batch while the layers below are still running.
 */
export interface BackwardProgress {
  /** the batch's loss sum and term count, known before its backward starts */
  lossKnown(loss: LossSum): void;
  /** layer `layer`'s parameter gradients are final for this batch (Note [final layers]) */
  layerFinal(layer: number): void;
}

/** JSON that rebuilds a layer: its kind and its options. */
export interface LayerConfig {
  kind: string;
  options: Record<string, unknown>;
}

export interface Layer {
  readonly kind: string;
  /** Checks the input shape and returns the output shape. Called once, by the model. */
  build(input: ShapeSpec, where: string): ShapeSpec;
  paramRows(): ParamRow[];
  /** Binds parameter and gradient views (by relative name) and allocates the workspace. */
  bind(params: ParamViews, grads: ParamViews, allocator: FloatAllocator, maxBatch: number): void;
  forward(input: Flow, ctx: StepContext): Flow;
  /**
   * Accumulates parameter gradients; returns the gradient of the input's data (null for ids).
   * `inputGradient` false: nobody reads it (the model's first layer, whose input is the batch),
   * so a layer may skip computing it and return null.
   */
  backward(dOutput: Float32Array, ctx: StepContext, inputGradient?: boolean): Float32Array | null;
  config(): LayerConfig;
}
