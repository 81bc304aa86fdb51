// Keras (and TensorFlow.js layers) weights in and out of a model: each layer's `get_weights()`
// list — shapes and row-major values — converted to and from our PyTorch-layout rows. Only the
// weights: no Keras model files (HDF5, .keras, model.json) are read here.
//
// Note [Keras weights]: importKeras(model, weights) takes one entry per model layer, in order:
// that layer's Keras get_weights() list as { shape, data } objects (tfjs:
// `layer.getWeights().map((w) => ({ shape: w.shape, data: w.dataSync() }))`; Python:
// `[{'shape': w.shape, 'data': w.ravel()} for w in layer.get_weights()]`), or null to leave the
// layer's parameters as they are. Per layer:
//   simpleRNN, lstm, gru  [kernel (I, G), recurrent_kernel (H, G), bias]; bias is (G), or for a
//                         GRU (2, G) with reset_after=True; use_bias=False drops it (zeros)
//   bidirectional         the forward layer's list, then the backward layer's
//   dense                 [kernel (In, O), bias (O)] (no bias with use_bias=False)
//   embedding             [embeddings (V, D)]
//   dropout               [] (or null)
// exportKeras(model) returns the same lists (data as Float32Array), ready for set_weights.
//
// Porting note: Keras' gate orders are LSTM i, f, c, o (ours, PyTorch's) and GRU z, r, h (ours
// r, z, n): the GRU's gate blocks are swapped here. Keras has one bias where we have two: an
// LSTM's or SimpleRNN's bias goes to bias_ih with zeros in bias_hh, and so does a GRU
// reset_after=False bias (that layer must be gru({ resetAfter: false }): its b_hn is added outside
// the reset gate, like Keras' input bias); a reset_after=True bias (2, G) is [input; recurrent] →
// bias_ih, bias_hh. Export sums bias_ih + bias_hh where Keras has one bias, which gives the same
// outputs (the sum may round differently in the last bit). Our gates use the logistic sigmoid:
// Keras' default recurrent_activation since Keras 2.3, but tfjs-layers defaults to
// 'hardSigmoid', so models from tfjs need recurrentActivation: 'sigmoid' to give our outputs.
import type { Model } from '../base-model.js';
import { fail, NnErrorCode } from '../errors.js';
import type { Layer } from '../layer.js';
import { Bidirectional } from '../layers/bidirectional.js';
import { Dense } from '../layers/dense.js';
import { Embedding } from '../layers/embedding.js';
import { type CellKind, Recurrent } from '../layers/recurrent.js';
import { checkModelArgument } from '../validate.js';

/** One Keras weight: its shape and its values in row-major order. */
export interface KerasWeight {
  shape: readonly number[];
  data: ArrayLike<number>;
}

/** Exported weights own their values as float32. */
export interface KerasWeightOut extends KerasWeight {
  shape: number[];
  data: Float32Array;
}

/** Keras gate block of each of our gate blocks (ours r, z, n ← Keras z, r, h for GRU). */
const KERAS_BLOCK: Record<CellKind, readonly number[]> = {
  simpleRNN: [0],
  lstm: [0, 1, 2, 3],
  gru: [1, 0, 2],
};

/** One layer's (or one bidirectional half's) rows: `prefix` + relative name is a layout row. */
interface Scope {
  model: Model;
  prefix: string;
  /** names the layer in errors, e.g. `layers.0.forward` */
  where: string;
  /** converted values by layout row, filled for every layer before anything is copied */
  pending: Map<string, Float32Array>;
}

const shapeOf = (s: Scope, name: string) => s.model.layout.row(s.prefix + name)!.shape;
const viewOf = (s: Scope, name: string) => s.model.layout.view(s.model.params, s.prefix + name);
const put = (s: Scope, name: string, values: Float32Array) => s.pending.set(s.prefix + name, values);
const half = (s: Scope, name: 'forward' | 'backward'): Scope => ({
  ...s,
  prefix: `${s.prefix}${name}.`,
  where: `${s.where}.${name}`,
});

// ---- shared checks ----

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkWeight(weight: KerasWeight, expected: readonly number[], what: string): ArrayLike<number> {
  const ok =
    weight !== null &&
    typeof weight === 'object' &&
    Array.isArray(weight.shape) &&
    weight.data !== null &&
    typeof weight.data === 'object' &&
    typeof weight.data.length === 'number';
  if (!ok) fail(NnErrorCode.BAD_WEIGHTS, `${what} must be an object { shape, data }`);
  if (!sameShape(weight.shape, expected)) {
    fail(NnErrorCode.LAYOUT_MISMATCH, `${what} has shape [${weight.shape}], expected [${expected}]`);
  }
  const count = expected.reduce((a, b) => a * b, 1);
  if (weight.data.length !== count) {
    fail(NnErrorCode.BAD_WEIGHTS, `${what} has shape [${weight.shape}] but ${weight.data.length} values`);
  }
  return weight.data;
}

function checkCount(list: readonly KerasWeight[], count: number, where: string, names: string): void {
  if (!Array.isArray(list) || list.length !== count) {
    const got = Array.isArray(list) ? `${list.length} weights` : typeof list;
    fail(NnErrorCode.LAYOUT_MISMATCH, `${where}: expected the Keras weights [${names}], got ${got}`);
  }
}

// ---- recurrent layers ----

/** Ours (G, R) from a Keras matrix (R, G), gate blocks reordered. */
function fromKerasMatrix(
  m: ArrayLike<number>,
  R: number,
  H: number,
  blocks: readonly number[],
): Float32Array {
  const G = blocks.length * H;
  const out = new Float32Array(G * R);
  blocks.forEach((k, q) => {
    for (let j = 0; j < H; j++) {
      for (let r = 0; r < R; r++) out[(q * H + j) * R + r] = m[r * G + k * H + j];
    }
  });
  return out;
}

/** A Keras matrix (R, G) from ours (G, R). */
function toKerasMatrix(w: Float32Array, R: number, H: number, blocks: readonly number[]): Float32Array {
  const G = blocks.length * H;
  const out = new Float32Array(R * G);
  blocks.forEach((k, q) => {
    for (let j = 0; j < H; j++) {
      for (let r = 0; r < R; r++) out[r * G + k * H + j] = w[(q * H + j) * R + r];
    }
  });
  return out;
}

/** Our bias (G) from Keras values (G) starting at `offset`, gate blocks reordered. */
function fromKerasVector(v: ArrayLike<number>, offset: number, H: number, blocks: readonly number[]) {
  const out = new Float32Array(blocks.length * H);
  blocks.forEach((k, q) => {
    for (let j = 0; j < H; j++) out[q * H + j] = v[offset + k * H + j];
  });
  return out;
}

/** A Keras bias (G) from ours. */
function toKerasVector(b: ArrayLike<number>, H: number, blocks: readonly number[]): Float32Array {
  const out = new Float32Array(blocks.length * H);
  blocks.forEach((k, q) => {
    for (let j = 0; j < H; j++) out[k * H + j] = b[q * H + j];
  });
  return out;
}

/** The Keras bias shape of a recurrent layer: (2, G) for a reset-after GRU, else (G). */
function biasShape(cell: Recurrent): number[] {
  const G = cell.gateWidth;
  return cell.kind === 'gru' && cell.options.resetAfter ? [2, G] : [G];
}

function importRecurrent(cell: Recurrent, list: readonly KerasWeight[], s: Scope): void {
  const count = Array.isArray(list) && list.length === 2 ? 2 : 3; // 2: use_bias=False
  checkCount(list, count, s.where, 'kernel, recurrent_kernel, bias');
  const [G, I] = shapeOf(s, 'weight_ih');
  const H = cell.units;
  const blocks = KERAS_BLOCK[cell.kind];
  const kernel = checkWeight(list[0], [I, G], `${s.where}: kernel`);
  const recurrent = checkWeight(list[1], [H, G], `${s.where}: recurrent_kernel`);
  put(s, 'weight_ih', fromKerasMatrix(kernel, I, H, blocks));
  put(s, 'weight_hh', fromKerasMatrix(recurrent, H, H, blocks));
  if (list.length === 2) {
    put(s, 'bias_ih', new Float32Array(G));
    put(s, 'bias_hh', new Float32Array(G));
    return;
  }
  const shape = biasShape(cell);
  const given = list[2]?.shape;
  if (cell.kind === 'gru' && Array.isArray(given) && !sameShape(given, shape) && given.at(-1) === G) {
    const keras = given.length === 2 ? 'reset_after=True' : 'reset_after=False';
    fail(
      NnErrorCode.LAYOUT_MISMATCH,
      `${s.where}: a Keras GRU bias [${given}] means ${keras}, but this gru has resetAfter: ` +
        `${cell.options.resetAfter} (bias [${shape}]); build it with resetAfter: ${given.length === 2}`,
    );
  }
  const bias = checkWeight(list[2], shape, `${s.where}: bias`);
  put(s, 'bias_ih', fromKerasVector(bias, 0, H, blocks));
  put(s, 'bias_hh', shape.length === 2 ? fromKerasVector(bias, G, H, blocks) : new Float32Array(G));
}

function exportRecurrent(cell: Recurrent, s: Scope): KerasWeightOut[] {
  const [G, I] = shapeOf(s, 'weight_ih');
  const H = cell.units;
  const blocks = KERAS_BLOCK[cell.kind];
  const [bIh, bHh] = [viewOf(s, 'bias_ih'), viewOf(s, 'bias_hh')];
  const shape = biasShape(cell);
  const bias = new Float32Array(shape.length === 2 ? 2 * G : G);
  if (shape.length === 2) {
    bias.set(toKerasVector(bIh, H, blocks));
    bias.set(toKerasVector(bHh, H, blocks), G);
  } else {
    bias.set(
      toKerasVector(
        Float32Array.from(bIh, (b, g) => b + bHh[g]),
        H,
        blocks,
      ),
    );
  }
  return [
    { shape: [I, G], data: toKerasMatrix(viewOf(s, 'weight_ih'), I, H, blocks) },
    { shape: [H, G], data: toKerasMatrix(viewOf(s, 'weight_hh'), H, H, blocks) },
    { shape, data: bias },
  ];
}

// ---- dense and embedding ----

/** (A, B) row-major → (B, A). */
function transpose(m: ArrayLike<number>, A: number, B: number): Float32Array {
  const out = new Float32Array(A * B);
  for (let a = 0; a < A; a++) for (let b = 0; b < B; b++) out[b * A + a] = m[a * B + b];
  return out;
}

function importDense(layer: Dense, list: readonly KerasWeight[], s: Scope): void {
  checkCount(list, layer.useBias ? 2 : 1, s.where, layer.useBias ? 'kernel, bias' : 'kernel');
  const [O, In] = shapeOf(s, 'weight');
  put(s, 'weight', transpose(checkWeight(list[0], [In, O], `${s.where}: kernel`), In, O));
  if (layer.useBias) put(s, 'bias', Float32Array.from(checkWeight(list[1], [O], `${s.where}: bias`)));
}

function exportDense(layer: Dense, s: Scope): KerasWeightOut[] {
  const [O, In] = shapeOf(s, 'weight');
  const out: KerasWeightOut[] = [{ shape: [In, O], data: transpose(viewOf(s, 'weight'), O, In) }];
  if (layer.useBias) out.push({ shape: [O], data: viewOf(s, 'bias').slice() });
  return out;
}

function importEmbedding(list: readonly KerasWeight[], s: Scope): void {
  checkCount(list, 1, s.where, 'embeddings');
  put(s, 'weight', Float32Array.from(checkWeight(list[0], shapeOf(s, 'weight'), `${s.where}: embeddings`)));
}

// ---- models ----

function importLayer(layer: Layer, list: readonly KerasWeight[], s: Scope): void {
  if (layer instanceof Recurrent) {
    importRecurrent(layer, list, s);
  } else if (layer instanceof Bidirectional) {
    const n = Array.isArray(list) ? list.length / 2 : 0;
    if (n !== 2 && n !== 3)
      checkCount(list, 6, s.where, 'forward kernel, recurrent_kernel, bias, backward …');
    importRecurrent(layer.forwardLayer, list.slice(0, n), half(s, 'forward'));
    importRecurrent(layer.backwardLayer, list.slice(n), half(s, 'backward'));
  } else if (layer instanceof Dense) {
    importDense(layer, list, s);
  } else if (layer instanceof Embedding) {
    importEmbedding(list, s);
  } else {
    checkNoLayout(layer, s);
    checkCount(list, 0, s.where, '');
  }
}

function checkNoLayout(layer: Layer, s: Scope): void {
  if (s.model.layout.rows.some((r) => r.name.startsWith(s.prefix))) {
    fail(NnErrorCode.BAD_MODEL, `${s.where} (${layer.kind}): no Keras weight layout is known for this layer`);
  }
}

function exportLayer(layer: Layer, s: Scope): KerasWeightOut[] {
  if (layer instanceof Recurrent) return exportRecurrent(layer, s);
  if (layer instanceof Bidirectional) {
    return [
      ...exportRecurrent(layer.forwardLayer, half(s, 'forward')),
      ...exportRecurrent(layer.backwardLayer, half(s, 'backward')),
    ];
  }
  if (layer instanceof Dense) return exportDense(layer, s);
  if (layer instanceof Embedding)
    return [{ shape: [...shapeOf(s, 'weight')], data: viewOf(s, 'weight').slice() }];
  const rows = s.model.layout.rows.filter((r) => r.name.startsWith(s.prefix));
  if (rows.length > 0)
    fail(NnErrorCode.BAD_MODEL, `${s.where} (${layer.kind}): no Keras weight layout is known`);
  return [];
}

function scopeOf(model: Model, i: number, pending: Map<string, Float32Array>): Scope {
  return { model, prefix: model.prefixes[i], where: model.prefixes[i].slice(0, -1), pending };
}

/**
 * Copies Keras weights into model.params: `weights[i]` is layer i's get_weights() list or null
 * (Note [Keras weights]). Checks every layer before copying anything, so a failed import leaves
 * the model as it was.
 */
export function importKeras(model: Model, weights: readonly (readonly KerasWeight[] | null)[]): void {
  checkModelArgument('importKeras', model);
  if (!Array.isArray(weights) || weights.length !== model.layers.length) {
    const got = Array.isArray(weights) ? `${weights.length} entries` : typeof weights;
    fail(
      NnErrorCode.LAYOUT_MISMATCH,
      `importKeras: give one entry (a get_weights() list, or null) per model layer: ${model.layers.length}, got ${got}`,
    );
  }
  const pending = new Map<string, Float32Array>();
  model.layers.forEach((layer, i) => {
    if (weights[i] !== null)
      importLayer(layer, weights[i] as readonly KerasWeight[], scopeOf(model, i, pending));
  });
  for (const [name, values] of pending) model.layout.view(model.params, name).set(values);
}

/** Every layer's Keras get_weights() list (Note [Keras weights]); [] for layers without weights. */
export function exportKeras(model: Model): KerasWeightOut[][] {
  checkModelArgument('exportKeras', model);
  const pending = new Map<string, Float32Array>();
  return model.layers.map((layer, i) => exportLayer(layer, scopeOf(model, i, pending)));
}
