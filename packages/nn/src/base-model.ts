// The common part of every model (sequential, encoder–decoder): the layout table built from its
// layers, parameters initialised from the seed, the memory (memory.ts), the loss against a
// batch's targets, and the Keras-style compile / fit / evaluate / predict. Training loops live in
// training/fit.ts; the step phases (DESIGN.md, Note [step phases]) are `computeGradients` (here)
// then the reduce and update of training/update.ts.

import { kernelBackend, NO_SCRATCH } from '@recur/kernels';
import type { FloatAllocator } from './arena.js';
import { type Batch, fillMask, transposeInts } from './batch.js';
import { saveCheckpoint } from './checkpoint.js';
import { checkpointOf, type SaveOptions } from './checkpoint-content.js';
import { fail, NnErrorCode } from './errors.js';
import { initialize } from './initializers.js';
import { checkPath } from './io.js';
import type { Flow, Layer, ParamRow, ShapeSpec, StepContext } from './layer.js';
import { checkParamCount, Layout } from './layout.js';
import {
  attachMemory,
  type CreateMemoryOptions,
  createMemory,
  type MemoryPlan,
  type ModelMemory,
  type RankRegion,
  weightMatrices,
} from './memory.js';
import {
  checkStateRows,
  type FinalStates,
  finalStatesOf,
  type InitialState,
  StateRecorder,
  setInitialState,
} from './states.js';
import { summaryTable } from './summary.js';
import type { Logs } from './training/callbacks.js';
import { type Compiled, type CompileOptions, compileOptions } from './training/compile.js';
import type { ArrayData, BatchSource } from './training/data.js';
import { arraySource, type FitOptions, fit, type History, isSource } from './training/fit.js';
import { evaluateSource, predictArrays } from './training/inference.js';
import { type LossName, type LossSum, lossSum, takesLabels } from './training/loss.js';
import type { EpochProgress } from './training/progress.js';
import { knownKeys, positiveInteger } from './validate.js';

const isArrayData = (x: unknown): x is ArrayData =>
  typeof x === 'object' &&
  x !== null &&
  'shape' in x &&
  'data' in x &&
  !('fill' in x && typeof (x as { fill: unknown }).fill === 'function');

/** Where a worker finds the shared arena: its buffer, the core's first byte, its own region. */
export interface SharedCore {
  buffer: SharedArrayBuffer;
  coreOffset: number;
  region: RankRegion;
}

/** The JSON that rebuilds a model (checkpoints). */
export interface ModelConfig {
  kind: string;
  seed: number;
  [key: string]: unknown;
}

export interface ModelParts {
  /** every layer, in the order their parameters appear */
  layers: Layer[];
  /** each layer's prefix in the layout, e.g. `layers.0.` */
  prefixes: string[];
  /** each layer's output shape, for summary() */
  shapes: ShapeSpec[];
  inputSpec: ShapeSpec;
  outputSpec: ShapeSpec;
  seed: number;
}

export abstract class Model {
  readonly layers: readonly Layer[];
  readonly prefixes: readonly string[];
  readonly layout: Layout;
  /** layer i's parameters: [start, end) of the flat layout (contiguous per layer, in layer order) */
  readonly layerRanges: readonly (readonly [number, number])[];
  readonly inputSpec: ShapeSpec;
  readonly outputSpec: ShapeSpec;
  readonly seed: number;
  /** output shape of every layer, for summary() */
  readonly shapes: readonly ShapeSpec[];
  /** the parameters (P), in layout order; moves into the arena when memory is created */
  params: Float32Array;
  memory: ModelMemory | null = null;
  /** what compile() resolved: loss, optimizer, schedule, metrics, clipping, step count */
  compiled: Compiled | null = null;
  /** the seed of the current fit (shuffling, dropout); the model's seed by default */
  trainingSeed: number;
  /** the options compile() was given, kept for checkpoints */
  compileSpec: CompileOptions | null = null;
  /** the next batch fit runs: advanced after every step, restored from checkpoints */
  trainingPosition = { epoch: 0, position: 0 };
  /** the epoch in progress (batch size, running loss): kept by fit, saved in checkpoints */
  epochProgress: EpochProgress | null = null;
  /** optimizer state loaded from a checkpoint, copied into memory when it is created */
  pendingOptimizerState: Float32Array[] | null = null;
  /** the recurrent layers' final states over the last predict (finalStates) */
  private predictStates: StateRecorder | null = null;
  /** how many holders (fit, thread groups) keep the memory for training */
  private memoryHolds = 0;

  constructor(parts: ModelParts) {
    this.layers = parts.layers;
    this.prefixes = parts.prefixes;
    this.shapes = parts.shapes;
    this.inputSpec = parts.inputSpec;
    this.outputSpec = parts.outputSpec;
    this.seed = parts.seed;
    this.trainingSeed = parts.seed;
    const rows: ParamRow[] = parts.layers.flatMap((layer, i) =>
      layer.paramRows().map((r) => ({ ...r, name: `${parts.prefixes[i]}${r.name}` })),
    );
    this.layout = new Layout(rows.map(({ name, shape }) => ({ name, shape })));
    checkParamCount(this.layout.size);
    let at = 0; // the layout places rows one after another, in layer order
    this.layerRanges = parts.layers.map((layer) => {
      const size = layer.paramRows().reduce((a, r) => a + r.shape.reduce((x, y) => x * y, 1), 0);
      const start = at;
      at += size;
      return [start, at] as const;
    });
    this.params = new Float32Array(this.layout.size);
    rows.forEach((row, index) => {
      initialize(this.layout.view(this.params, row.name), row.shape, row.init, this.seed, index);
    });
  }

  /** Runs a batch forward (training or evaluation, teacher-forced where that applies). */
  abstract forward(batch: Batch, ctx: StepContext): Flow;
  /** Back-propagates the output gradient through every layer, accumulating parameter gradients. */
  protected abstract backward(dOutput: Float32Array, ctx: StepContext): void;
  abstract config(): ModelConfig;

  /** What predict() runs per batch; models that decode step by step override it. */
  inferBatch(batch: Batch, ctx: StepContext): Flow {
    return this.forward(batch, ctx);
  }

  /** Buffers a model needs beyond its layers' (allocated with the rest of its memory). */
  protected allocateExtra(_allocator: FloatAllocator, _maxBatch: number): void {}

  /**
   * Memory for batches of up to `maxBatch` samples; reused when it is already big enough. A
   * `world` of 1 is served by any memory (it uses slot 0); `ranks` always makes a new, shared one.
   */
  ensureMemory(maxBatch: number, stateCount = 0, world = 1, options: CreateMemoryOptions = {}): ModelMemory {
    const m = this.memory;
    const sharedOk = options.shared !== true || m?.arena.buffer instanceof SharedArrayBuffer;
    const worldOk = world === 1 || m?.slots.length === world;
    if (
      m !== null &&
      options.ranks === undefined &&
      sharedOk &&
      worldOk &&
      m.maxBatch >= maxBatch &&
      m.stateCount === stateCount
    ) {
      return m;
    }
    const next = createMemory(
      this.memoryPlan(Math.max(maxBatch, m?.maxBatch ?? 0), world, stateCount),
      options,
    );
    next.params.set(this.params);
    if (m !== null && m.stateCount === stateCount) {
      for (let i = 0; i < stateCount; i++) next.state[i].set(m.state[i]);
    }
    this.adoptMemory(next);
    return next;
  }

  /**
   * Keeps the memory for training until the returned release runs (fit; a thread group, whose
   * ranks share it): evaluate and predict then run in parts of at most its batch instead of
   * replacing it (Note [inference in a held memory], training/inference.ts).
   */
  holdMemory(): () => void {
    let held = true;
    this.memoryHolds += 1;
    return () => {
      if (held) this.memoryHolds -= 1;
      held = false;
    };
  }

  /** Whether training holds the memory (holdMemory). */
  get memoryHeld(): boolean {
    return this.memoryHolds > 0;
  }

  /**
   * A worker thread's memory: the core of an arena that another thread's `ensureMemory` made
   * (parameters, `slots` gradient slots and optimizer state are shared, not copied) and the
   * workspace of `region`, whose layers write gradient slot `slot` (a rank's own: its rank, or
   * past the micro-batch slots when @recur/parallel balances).
   */
  attachMemory(
    shared: SharedCore,
    slot: number,
    slots: number,
    stateCount: number,
    maxBatch: number,
  ): ModelMemory {
    const plan = this.memoryPlan(maxBatch, slots, stateCount);
    const memory = attachMemory(plan, shared.buffer, shared.coreOffset, shared.region, slot);
    this.adoptMemory(memory);
    return memory;
  }

  private memoryPlan(maxBatch: number, world: number, stateCount: number): MemoryPlan {
    return {
      layout: this.layout,
      layers: this.layers,
      prefixes: this.prefixes,
      input: this.inputSpec,
      output: this.outputSpec,
      maxBatch,
      world,
      stateCount,
      extra: (allocator, B) => this.allocateExtra(allocator, B),
      matrices: this.layers.map(weightMatrices),
    };
  }

  /** Makes `memory` the model's: its params become the model's, pending optimizer state lands. */
  private adoptMemory(memory: ModelMemory): void {
    const pending = this.pendingOptimizerState;
    if (pending !== null && pending.length === memory.stateCount) {
      for (let i = 0; i < memory.stateCount; i++) memory.state[i].set(pending[i]);
      this.pendingOptimizerState = null;
    }
    this.params = memory.params;
    // the old memory's scratch region may be bound on this thread: unbind it, so that binding
    // does not keep a replaced arena alive (the next forward binds the new one)
    if (this.memory !== null && this.memory !== memory) kernelBackend().bindScratch(null, NO_SCRATCH);
    this.memory = memory;
  }

  /** The input flow of a batch: copies it into the time-major input buffers. */
  protected inputFlow(batch: Batch): Flow {
    const m = this.memory;
    if (m === null) return fail(NnErrorCode.NOT_READY, 'model: call ensureMemory() before forward');
    const { B, T } = batch;
    if (B > m.maxBatch) {
      fail(NnErrorCode.LIMIT_EXCEEDED, `batch of ${B} samples exceeds this model's memory (${m.maxBatch})`);
    }
    if (this.inputSpec.ids) transposeInts(m.inputIds, batch.ids as Int32Array, B, T);
    else kernelBackend().transposeBatchTime(m.input, batch.x as Float32Array, B, T, this.inputSpec.features);
    if (batch.lengths !== null) m.lengths.set(batch.lengths.subarray(0, B));
    // this step's kernel calls on this thread take their scratch from this workspace's region
    kernelBackend().bindScratch(m.scratch.length > 0 ? m.scratch : null, m.scratchPlan);
    return {
      data: m.input,
      ids: this.inputSpec.ids ? m.inputIds : null,
      T,
      B,
      lengths: batch.lengths === null ? null : m.lengths,
    };
  }

  /**
   * Phase 1 of a step: forward, loss and backward for one batch, writing gradient SUMS into
   * the bound gradient slot (zeroed first, unless `accumulate`: micro-batches of one step add
   * up). Returns the loss sum and its term count.
   */
  computeGradients(batch: Batch, loss: LossName, ctx: StepContext, accumulate = false): LossSum {
    const m = this.memory as ModelMemory;
    if (!accumulate) m.gradients.fill(0);
    const out = this.forward(batch, ctx);
    const result = this.outputLoss(out, batch, loss, m.dOutput);
    ctx.backwardProgress?.lossKnown(result);
    this.backward(m.dOutput, ctx);
    return result;
  }

  /** The loss of an output flow against the batch's targets (and its gradient, when dOut is given). */
  outputLoss(out: Flow, batch: Batch, loss: LossName, dOut: Float32Array | null): LossSum {
    const { rows, target, mask } = this.timeMajorTargets(out, batch, loss);
    return lossSum(loss, dOut, out.data, target, mask, rows, this.outputSpec.features);
  }

  /** Targets in the output's time-major row order, and the mask of real rows. */
  timeMajorTargets(out: Flow, batch: Batch, loss: LossName) {
    const m = this.memory as ModelMemory;
    const { B } = batch;
    const O = this.outputSpec.features;
    const sequence = this.outputSpec.steps !== null;
    const T = sequence ? out.T : 1;
    const labels = takesLabels(loss);
    if (sequence) {
      if (labels) transposeInts(m.labels, batch.target as Int32Array, B, T);
      else kernelBackend().transposeBatchTime(m.target, batch.target as Float32Array, B, T, O);
      fillMask(m.mask, T, B, out.lengths);
    }
    const target = sequence ? (labels ? m.labels : m.target) : (batch.target as Float32Array | Int32Array);
    const mask = sequence && out.lengths !== null ? m.mask : null;
    return { rows: T * B, target, mask };
  }

  /** Sets the loss, optimizer, metrics, clipping and schedule (Keras' compile). */
  compile(options: CompileOptions): void {
    const compiled = compileOptions(options);
    this.compiled = compiled;
    this.compileSpec = { ...options };
    for (const state of this.memory?.state ?? []) state.fill(0);
  }

  /** Trains on arrays or on a BatchSource; rejects with a coded error on bad input. */
  async fit(x: ArrayData | BatchSource, y?: ArrayData | FitOptions, options?: FitOptions): Promise<History> {
    if (isArrayData(x)) return fit(this, [x, y as ArrayData], options ?? {});
    return fit(this, x, (y as FitOptions | undefined) ?? {});
  }

  /** Mean loss and metrics on (x, y), or over a BatchSource (read in order), without dropout. */
  async evaluate(
    x: ArrayData | BatchSource,
    y?: ArrayData | { batchSize?: number },
    options: { batchSize?: number } = {},
  ): Promise<Logs> {
    if (this.compiled === null) fail(NnErrorCode.NOT_READY, 'evaluate: call model.compile({ loss }) first');
    const opts = isSource(x) ? ((y as { batchSize?: number } | undefined) ?? {}) : options;
    const batchSize =
      opts.batchSize === undefined ? 32 : positiveInteger('evaluate', 'batchSize', opts.batchSize);
    if (isSource(x)) {
      checkStateRows(this, x.size, 'evaluate');
      return evaluateSource(this, x, batchSize);
    }
    checkStateRows(this, x?.shape?.[0], 'evaluate');
    return evaluateSource(
      this,
      arraySource(this, this.compiled, x, y as ArrayData, false, this.seed),
      batchSize,
    );
  }

  /** Outputs for x (arrays, or a BatchSource read in order), batch-major: (N, O), or (N, T, O). */
  async predict(x: ArrayData | BatchSource, options: { batchSize?: number } = {}): Promise<Float32Array> {
    const batchSize =
      options.batchSize === undefined ? 32 : positiveInteger('predict', 'batchSize', options.batchSize);
    checkStateRows(this, isSource(x) ? x.size : x?.shape?.[0], 'predict');
    const recorder = new StateRecorder(this);
    const out = predictArrays(this, x, batchSize, (first, B, n) => recorder.record(first, B, n));
    this.predictStates = recorder;
    return out;
  }

  /**
   * Sets the initial state of recurrent layer `layerIndex` for the next fit, evaluate and predict
   * calls (Keras' `initial_state`, PyTorch's `h0`/`c0`): `h` (and `c` for an LSTM) of H values for
   * every sample, or (N, H) with row i for sample i; `backward` for a bidirectional layer. It
   * replaces the zeros a batch starts from (a stateful layer's after resetStates). null clears it.
   */
  setInitialState(layerIndex: number, state: InitialState | null): void {
    setInitialState(this, layerIndex, state);
  }

  /**
   * The final states of recurrent layer `layerIndex` for every sample of the last predict:
   * batch-major (N, H) copies of `h` (and `c` for an LSTM; `backward` for a bidirectional layer).
   */
  finalStates(layerIndex: number): FinalStates {
    return finalStatesOf(this, layerIndex, this.predictStates);
  }

  /** Writes the model, its optimizer state and training position to `path` (atomically). */
  async save(path: string, options: SaveOptions = {}): Promise<void> {
    checkPath('save', path);
    knownKeys('save', options, ['preprocessing'], '{ preprocessing? }');
    await saveCheckpoint(path, checkpointOf(this, options.preprocessing ?? null));
  }

  /** Forgets the carried state of every stateful layer. */
  resetStates(): void {
    for (const layer of this.layers) (layer as { resetStates?: () => void }).resetStates?.();
  }

  /** Keras-style table: layer, output shape, parameter count (summary.ts). */
  summary(): string {
    return summaryTable(this);
  }
}
