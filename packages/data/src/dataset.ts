// The data-set interface every source of @recur/data produces, the batch buffers it fills, and
// the in-memory data set over typed arrays. Dimension letters: N samples, B batch, T steps,
// F features per step, O target values per sample.
//
// A SequenceDataset only copies one sample into one row of batch-major buffers; which samples go
// into which batch (shuffling, ranks, bucketing) is the sampler's and batching's business
// (sampler.ts, batching.ts). The buffers have the same shape as @recur/nn's BatchBuffers, which
// this package meets structurally and never imports. Not here: files, shards, tokenisers.
import { DataErrorCode, fail } from './errors.js';

/** Samples held in memory or in shards, each one a (possibly padded) sequence. */
export interface SequenceDataset {
  readonly size: number; // samples
  readonly steps: number; // T, the longest sequence
  readonly features: number; // F floats per step (ignored when ids)
  readonly ids: boolean; // token ids (Int32) instead of floats
  readonly targetPerSample: number; // target values per sample (e.g. 1, O, T, T*O); 0 = none
  readonly targetKind: 'float' | 'labels';
  readonly hasLengths: boolean;
  /** Copies sample i into row b of batch-major buffers; returns its length (real steps). */
  read(i: number, into: BatchBuffers, b: number): number;
}

/** What a data set's samples look like: every field of SequenceDataset but `read`. */
export type DatasetShape = Omit<SequenceDataset, 'read'>;

/** The shape fields of `dataset` as a plain object (to hash it, or to wrap the data set). */
export function datasetShape(dataset: SequenceDataset): DatasetShape {
  const { size, steps, features, ids, targetPerSample, targetKind, hasLengths } = dataset;
  return { size, steps, features, ids, targetPerSample, targetKind, hasLengths };
}

export interface BatchBuffers {
  // same shape as @recur/nn's BatchBuffers
  x: Float32Array | null; // (B, T, F)
  ids: Int32Array | null; // (B, T)
  lengths: Int32Array; // (B)
  target: Float32Array | Int32Array | null; // (B, targetPerSample)
  sampleIndex: Int32Array; // (B)
}

/** Options of arrayDataset: batch-major arrays, as a user hands them over. */
export interface ArrayDatasetOptions {
  /** floats (N, T, F) or token ids (N, T) */
  x: Float32Array | Int32Array;
  /** [N, T, F] for a Float32Array x, [N, T] for an Int32Array x (token ids) */
  shape: number[];
  /** (N) real steps per right-padded sample, each in [1, T]; default every sample has T */
  lengths?: Int32Array | ArrayLike<number>;
  /** (N, ...targetShape[1:]) floats or labels */
  target?: Float32Array | Int32Array;
  /** [N, ...]; default [N, target.length / N] */
  targetShape?: number[];
  /** default 'labels' for an Int32Array target, 'float' for a Float32Array one */
  targetKind?: 'float' | 'labels';
}

const bad = (message: string): never => fail(DataErrorCode.BAD_OPTION, `arrayDataset: ${message}`);

const product = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

function checkShape(x: Float32Array | Int32Array, shape: unknown): number[] {
  const ids = x instanceof Int32Array;
  if (!(x instanceof Float32Array) && !ids)
    bad('x must be a Float32Array (floats) or an Int32Array (token ids)');
  const rank = ids ? 2 : 3;
  const wanted = ids ? '[N, T] for token ids (Int32Array)' : '[N, T, F] for floats (Float32Array)';
  if (!Array.isArray(shape) || shape.length !== rank) bad(`shape must be ${wanted}, got ${String(shape)}`);
  const dims = shape as number[];
  dims.forEach((d, k) => {
    if (!Number.isSafeInteger(d) || d < 1) bad(`shape[${k}] must be a positive integer, got ${d}`);
  });
  if (x.length !== product(dims)) {
    bad(`shape [${dims.join(', ')}] needs ${product(dims)} values in x, it has ${x.length}`);
  }
  return dims;
}

function checkValues(x: Float32Array | Int32Array, perSample: number, field: string): void {
  const ids = x instanceof Int32Array;
  for (let k = 0; k < x.length; k++) {
    const v = x[k];
    if (ids ? v < 0 : !Number.isFinite(v)) {
      const rule = ids ? 'a non-negative integer' : 'a finite number';
      bad(`${field}: sample ${Math.floor(k / perSample)} has ${v} where ${rule} is needed`);
    }
  }
}

function checkLengths(lengths: ArrayLike<number>, n: number, T: number): Int32Array {
  if (typeof lengths !== 'object' || lengths === null || typeof lengths.length !== 'number') {
    bad('lengths must be an Int32Array or an array of numbers');
  }
  if (lengths.length !== n) bad(`lengths: expected ${n} lengths (one per sample), got ${lengths.length}`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const len = lengths[i];
    if (!Number.isInteger(len) || len < 1 || len > T) {
      bad(`lengths: sample ${i} has length ${len}, expected an integer in [1, ${T}]`);
    }
    out[i] = len;
  }
  return out;
}

interface CheckedTarget {
  data: Float32Array | Int32Array | null;
  perSample: number;
  kind: 'float' | 'labels';
}

function checkTarget(options: ArrayDatasetOptions, n: number): CheckedTarget {
  const { target } = options;
  if (target === undefined) {
    if (options.targetShape !== undefined) bad('targetShape is given without a target');
    return { data: null, perSample: 0, kind: options.targetKind ?? 'float' };
  }
  const labels = target instanceof Int32Array;
  if (!(target instanceof Float32Array) && !labels) bad('target must be a Float32Array or an Int32Array');
  const kind = options.targetKind ?? (labels ? 'labels' : 'float');
  if (kind !== 'float' && kind !== 'labels') bad(`targetKind must be 'float' or 'labels', got ${kind}`);
  if (labels !== (kind === 'labels')) {
    bad(`targetKind '${kind}' needs ${kind === 'labels' ? 'an Int32Array' : 'a Float32Array'} target`);
  }
  const shape = options.targetShape ?? [n, target.length / n];
  if (!Array.isArray(shape) || shape.length < 1 || shape[0] !== n) {
    bad(`targetShape must be [${n}, ...] (one row per sample), got ${String(shape)}`);
  }
  shape.forEach((d, k) => {
    if (!Number.isSafeInteger(d) || d < 1) bad(`targetShape[${k}] must be a positive integer, got ${d}`);
  });
  if (target.length !== product(shape)) {
    bad(
      `targetShape [${shape.join(', ')}] needs ${product(shape)} values in target, it has ${target.length}`,
    );
  }
  checkValues(target, target.length / n, 'target');
  return { data: target, perSample: target.length / n, kind };
}

/** An in-memory data set over batch-major typed arrays (kept by reference, not copied). */
export class ArrayDataset implements SequenceDataset {
  readonly size: number;
  readonly steps: number;
  readonly features: number;
  readonly ids: boolean;
  readonly targetPerSample: number;
  readonly targetKind: 'float' | 'labels';
  readonly hasLengths: boolean;
  private readonly x: Float32Array | Int32Array; // (N, T, F) or (N, T)
  private readonly target: Float32Array | Int32Array | null; // (N, O)
  private readonly lengths: Int32Array | null; // (N)
  private readonly xPerSample: number;

  constructor(options: ArrayDatasetOptions) {
    if (typeof options !== 'object' || options === null) bad('give { x, shape, lengths?, target?, ... }');
    const shape = checkShape(options.x, options.shape);
    const [n, T] = shape;
    this.xPerSample = product(shape.slice(1));
    checkValues(options.x, this.xPerSample, 'x');
    const target = checkTarget(options, n);
    this.x = options.x;
    this.size = n;
    this.steps = T;
    this.ids = options.x instanceof Int32Array;
    this.features = this.ids ? 1 : shape[2];
    this.lengths = options.lengths === undefined ? null : checkLengths(options.lengths, n, T);
    this.hasLengths = this.lengths !== null;
    this.target = target.data;
    this.targetPerSample = target.perSample;
    this.targetKind = target.kind;
  }

  read(i: number, into: BatchBuffers, b: number): number {
    const out = this.ids ? into.ids : into.x;
    if (out !== null)
      out.set(this.x.subarray(i * this.xPerSample, (i + 1) * this.xPerSample), b * this.xPerSample);
    const O = this.targetPerSample;
    if (this.target !== null && into.target !== null) {
      into.target.set(this.target.subarray(i * O, (i + 1) * O), b * O);
    }
    return this.lengths === null ? this.steps : this.lengths[i];
  }
}

/** An in-memory SequenceDataset; bad shapes, lengths or values → ERR_DATA_BAD_OPTION naming the field. */
export function arrayDataset(options: ArrayDatasetOptions): ArrayDataset {
  return new ArrayDataset(options);
}

/** Batch buffers for batches of up to `maxBatch` samples of `dataset` (right-padded to its T). */
export function allocateBatchBuffers(dataset: SequenceDataset, maxBatch: number): BatchBuffers {
  if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) {
    fail(
      DataErrorCode.BAD_OPTION,
      `allocateBatchBuffers: maxBatch must be a positive integer, got ${maxBatch}`,
    );
  }
  const T = dataset.steps;
  const O = dataset.targetPerSample;
  return {
    x: dataset.ids ? null : new Float32Array(maxBatch * T * dataset.features), // (B, T, F)
    ids: dataset.ids ? new Int32Array(maxBatch * T) : null, // (B, T)
    lengths: new Int32Array(maxBatch), // (B)
    target:
      O === 0
        ? null
        : dataset.targetKind === 'labels'
          ? new Int32Array(maxBatch * O)
          : new Float32Array(maxBatch * O), // (B, O)
    sampleIndex: new Int32Array(maxBatch), // (B)
  };
}
