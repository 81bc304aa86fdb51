// PyTorch state dicts in and out of a model, as .safetensors files: the mapping between a model's
// layout rows and the names a PyTorch module tree gives the same tensors. Only names and copies:
// the tensors already share PyTorch's layout (recurrent.ts, dense.ts, embedding.ts), so nothing
// is transposed or reordered here. Not a reader of pickled `.pt` files.
//
// Note [PyTorch names]: a model maps to a flat PyTorch module whose attributes are named by kind,
// numbered from the second one on (`linear`, `linear1`, `linear2`, …):
//   embedding            → `embedding.weight` (V, D)                              nn.Embedding
//   recurrent layers     → `rnn.weight_ih_l{k}`, `rnn.weight_hh_l{k}`, `rnn.bias_ih_l{k}`,
//                          `rnn.bias_hh_l{k}`, and `…_l{k}_reverse` for the backward half of a
//                          bidirectional layer                              nn.RNN/LSTM/GRU
//   dense                → `linear.weight` (O, In), `linear.bias` (O)                 nn.Linear
// In a sequential model, CONSECUTIVE recurrent layers of the same cell, units and direction (and
// activation, for simpleRNN) form ONE recurrent module with num_layers = their count (k is the
// layer's depth in it), as long as each one but the last returns sequences and, if bidirectional,
// concatenates. Dropout layers hold no tensors: between two such layers they are the module's
// `dropout=` argument and do not split it. Any other model (encoderDecoder) maps each layer to
// its own module named by its prefix: `encoder.weight_ih_l0`, `decoder.weight_ih_l0`,
// `head.weight`. `options.names` renames any of these; `options.prefix` puts them all under a
// prefix (`model.`). pytorchModules() lists the modules with the PyTorch code that builds each.
//
// Porting note: the orders and gate layouts are PyTorch's (nn.LSTM i, f, g, o; nn.GRU r, z, n
// with the reset gate after the recurrent product), so gru({ resetAfter: false }) and goBackwards
// outside bidirectional, which PyTorch's modules cannot run, are refused with ERR_NN_BAD_MODEL.
import type { Model } from '../base-model.js';
import { fail, NnErrorCode } from '../errors.js';
import type { Layer } from '../layer.js';
import { Bidirectional } from '../layers/bidirectional.js';
import { Dense } from '../layers/dense.js';
import { Dropout } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import { type CellKind, Recurrent } from '../layers/recurrent.js';
import { Sequential } from '../model.js';
import { checkModelArgument, describe } from '../validate.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensorsFile,
  type SafetensorsTensor,
  writeSafetensorsFile,
} from './safetensors.js';

export interface PyTorchOptions {
  /** Renames a tensor: gets the layout row's name and its default PyTorch name (Note [PyTorch names]). */
  names?: (recurName: string, torchName: string) => string;
  /** Prepended to every PyTorch name, e.g. `model.`; on import, tensors outside it are ignored. */
  prefix?: string;
}

/** One module of the PyTorch equivalent of a model. */
export interface PyTorchModule {
  /** attribute name, e.g. `rnn` or `linear1` */
  name: string;
  /** the PyTorch constructor call, e.g. `nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True)` */
  torch: string;
  /** indices into model.layers of the layers it holds */
  layers: number[];
}

/** A recurrent layer (plain or bidirectional) as PyTorch sees it. */
interface RecurrentSpec {
  cell: CellKind;
  units: number;
  bidirectional: boolean;
  activation: string;
  sequences: boolean;
  concat: boolean;
}

interface Planned extends PyTorchModule {
  /** (layout row name, PyTorch parameter name inside the module) in layout order */
  names: [string, string][];
}

const TORCH_CELL: Record<CellKind, string> = { simpleRNN: 'nn.RNN', lstm: 'nn.LSTM', gru: 'nn.GRU' };

function recurrentSpec(layer: Layer, where: string): RecurrentSpec | null {
  const bidirectional = layer instanceof Bidirectional;
  const cell = bidirectional ? layer.forwardLayer : layer;
  if (!(cell instanceof Recurrent)) return null;
  const o = cell.options;
  if (cell.kind === 'gru' && !o.resetAfter) {
    fail(
      NnErrorCode.BAD_MODEL,
      `${where} (gru, resetAfter: false): nn.GRU applies the reset gate after the recurrent product; ` +
        'PyTorch has no module for this layer (use resetAfter: true, or Keras interop)',
    );
  }
  if (o.goBackwards) {
    fail(
      NnErrorCode.BAD_MODEL,
      `${where} (${cell.kind}, goBackwards): PyTorch's recurrent modules read forwards only; ` +
        'reverse the input instead, or use bidirectional',
    );
  }
  return {
    cell: cell.kind,
    units: o.units,
    bidirectional,
    activation: o.activation,
    sequences: o.returnSequences,
    concat: bidirectional && (layer as Bidirectional).mergeMode === 'concat',
  };
}

function stacks(below: RecurrentSpec, above: RecurrentSpec): boolean {
  return (
    below.sequences &&
    (!below.bidirectional || below.concat) &&
    below.cell === above.cell &&
    below.units === above.units &&
    below.bidirectional === above.bidirectional &&
    (below.cell !== 'simpleRNN' || below.activation === above.activation)
  );
}

interface Row {
  /** full layout name */
  name: string;
  /** name inside the layer, e.g. `backward.weight_ih` */
  relative: string;
  shape: readonly number[];
}

/** The layout rows of layer `i`. */
function rowsOf(model: Model, i: number): Row[] {
  const prefix = model.prefixes[i];
  return model.layout.rows
    .filter((row) => row.name.startsWith(prefix))
    .map((row) => ({ name: row.name, relative: row.name.slice(prefix.length), shape: row.shape }));
}

/** `weight_ih` at depth k → `weight_ih_l{k}`; `backward.weight_ih` → `weight_ih_l{k}_reverse`. */
function recurrentName(relative: string, depth: number): string {
  const [half, param] = relative.includes('.') ? relative.split('.') : ['forward', relative];
  return `${param}_l${depth}${half === 'backward' ? '_reverse' : ''}`;
}

function recurrentTorch(spec: RecurrentSpec, inputs: number, depth: number, dropout: number): string {
  const args = [String(inputs), String(spec.units)];
  if (depth > 1) args.push(`num_layers=${depth}`);
  if (spec.bidirectional) args.push('bidirectional=True');
  if (spec.cell === 'simpleRNN' && spec.activation !== 'tanh') args.push(`nonlinearity='${spec.activation}'`);
  if (dropout > 0) args.push(`dropout=${dropout}`);
  args.push('batch_first=True');
  return `${TORCH_CELL[spec.cell]}(${args.join(', ')})`;
}

function plainTorch(layer: Layer, rows: Row[], where: string): string {
  if (layer instanceof Embedding) return `nn.Embedding(${layer.inputDim}, ${layer.outputDim})`;
  if (layer instanceof Dense) {
    const [O, I] = rows[0].shape;
    const linear = `nn.Linear(${I}, ${O}${layer.useBias ? '' : ', bias=False'})`;
    return layer.activation === 'linear' ? linear : `${linear}, then ${layer.activation}`;
  }
  return fail(NnErrorCode.BAD_MODEL, `${where} (${layer.kind}): no PyTorch module maps to this layer`);
}

/** A recurrent module being stacked: its last layer's spec, depth so far, input width, dropout. */
interface Stack {
  module: Planned;
  spec: RecurrentSpec;
  depth: number;
  inputs: number;
  dropout: number;
}

function startStack(name: string, spec: RecurrentSpec, i: number, rows: Row[]): Stack {
  const inputs = rows[0].shape[1]; // weight_ih (G, I)
  const module: Planned = {
    name,
    torch: recurrentTorch(spec, inputs, 1, 0),
    layers: [i],
    names: rows.map((r) => [r.name, recurrentName(r.relative, 0)]),
  };
  return { module, spec, depth: 1, inputs, dropout: 0 };
}

function extendStack(stack: Stack, spec: RecurrentSpec, i: number, rows: Row[], dropout: number): void {
  const depth = stack.depth;
  stack.module.layers.push(i);
  stack.module.names.push(...rows.map((r): [string, string] => [r.name, recurrentName(r.relative, depth)]));
  stack.depth = depth + 1;
  stack.dropout = Math.max(stack.dropout, dropout);
  stack.spec = spec;
  stack.module.torch = recurrentTorch(spec, stack.inputs, stack.depth, stack.dropout);
}

/** Walks the layers, opening a module per layer or stacking recurrent layers (Note [PyTorch names]). */
function plan(model: Model): Planned[] {
  const stackable = model instanceof Sequential;
  const counts = new Map<string, number>();
  const nameFor = (base: string, where: string) => {
    if (!stackable) return where;
    const n = counts.get(base) ?? 0;
    counts.set(base, n + 1);
    return n === 0 ? base : `${base}${n}`;
  };
  const modules: Planned[] = [];
  let stack: Stack | null = null;
  let dropout = 0; // the rate of a dropout layer just passed
  for (let i = 0; i < model.layers.length; i++) {
    const layer = model.layers[i];
    const where = model.prefixes[i].slice(0, -1);
    const rows = rowsOf(model, i);
    if (layer instanceof Dropout) {
      dropout = layer.rate;
      continue;
    }
    const spec = recurrentSpec(layer, where);
    if (spec !== null && stack !== null && stackable && stacks(stack.spec, spec)) {
      extendStack(stack, spec, i, rows, dropout);
    } else if (spec !== null) {
      stack = startStack(nameFor('rnn', where), spec, i, rows);
      modules.push(stack.module);
    } else {
      stack = null;
      if (rows.length > 0) {
        const torch = plainTorch(layer, rows, where);
        const name = nameFor(layer instanceof Embedding ? 'embedding' : 'linear', where);
        modules.push({ name, torch, layers: [i], names: rows.map((r) => [r.name, r.relative]) });
      }
    }
    dropout = 0;
  }
  return modules;
}

/** The modules of the PyTorch equivalent of `model`, in order (Note [PyTorch names]). */
export function pytorchModules(model: Model): PyTorchModule[] {
  checkModelArgument('pytorchModules', model);
  return plan(model).map(({ name, torch, layers }) => ({ name, torch, layers }));
}

/** Every layout row's name → its PyTorch state-dict name, in layout order. */
export function pytorchNameMap(model: Model, options: PyTorchOptions = {}): Map<string, string> {
  checkModelArgument('pytorchNameMap', model);
  const { names, prefix = '' } = checkOptions(options);
  const map = new Map<string, string>();
  const seen = new Map<string, string>();
  for (const module of plan(model)) {
    for (const [recurName, param] of module.names) {
      const fallback = `${module.name}.${param}`;
      const torchName = `${prefix}${names === undefined ? fallback : renamed(names, recurName, fallback)}`;
      const clash = seen.get(torchName);
      if (clash !== undefined) {
        fail(
          NnErrorCode.BAD_OPTION,
          `pytorch names: "${clash}" and "${recurName}" both map to "${torchName}"`,
        );
      }
      seen.set(torchName, recurName);
      map.set(recurName, torchName);
    }
  }
  return map;
}

function checkOptions(options: PyTorchOptions): PyTorchOptions {
  if (typeof options !== 'object' || options === null) {
    fail(NnErrorCode.BAD_OPTION, 'pytorch: options must be an object { names?, prefix? }');
  }
  for (const key of Object.keys(options)) {
    if (key !== 'names' && key !== 'prefix') {
      fail(NnErrorCode.BAD_OPTION, `pytorch: unknown option "${key}"; accepted: names, prefix`);
    }
  }
  if (options.names !== undefined && typeof options.names !== 'function') {
    fail(
      NnErrorCode.BAD_OPTION,
      'pytorch: options.names must be a function (recurName, torchName) => string',
    );
  }
  if (options.prefix !== undefined && typeof options.prefix !== 'string') {
    fail(NnErrorCode.BAD_OPTION, `pytorch: options.prefix must be a string, got ${typeof options.prefix}`);
  }
  return options;
}

function renamed(names: NonNullable<PyTorchOptions['names']>, recurName: string, fallback: string): string {
  const name = names(recurName, fallback);
  if (typeof name !== 'string' || name.length === 0) {
    fail(
      NnErrorCode.BAD_OPTION,
      `pytorch: options.names returned ${JSON.stringify(name)} for "${recurName}"`,
    );
  }
  return name;
}

// ---- export ----

/** The bytes of a .safetensors state dict (F32) of the model's parameters. */
export function encodePyTorch(model: Model, options: PyTorchOptions = {}): Uint8Array {
  checkModelArgument('encodePyTorch', model);
  return encodeSafetensors(stateDict(model, options), { format: 'pt' });
}

/** Writes the model's parameters as a PyTorch state dict in a .safetensors file (atomically). */
export async function exportPyTorch(model: Model, path: string, options: PyTorchOptions = {}): Promise<void> {
  checkModelArgument('exportPyTorch', model);
  await writeSafetensorsFile(path, stateDict(model, options), { format: 'pt' });
}

function stateDict(model: Model, options: PyTorchOptions): Map<string, SafetensorsTensor> {
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [recurName, torchName] of pytorchNameMap(model, options)) {
    const row = model.layout.row(recurName)!;
    tensors.set(torchName, {
      dtype: 'F32',
      shape: [...row.shape],
      data: model.layout.view(model.params, recurName),
    });
  }
  return tensors;
}

// ---- import ----

/** Reads a .safetensors state dict (a path or the file's bytes) into model.params. */
export async function importPyTorch(
  model: Model,
  source: string | Uint8Array,
  options: PyTorchOptions = {},
): Promise<void> {
  checkModelArgument('importPyTorch', model);
  if (typeof source !== 'string' && !(source instanceof Uint8Array)) {
    fail(
      NnErrorCode.BAD_OPTION,
      `importPyTorch: source must be a file path (string) or the file's bytes (Uint8Array), got ${describe(source)}`,
    );
  }
  const file =
    typeof source === 'string' ? await readSafetensorsFile(source) : decodeSafetensors(source, 'state dict');
  importPyTorchTensors(model, file.tensors, options, typeof source === 'string' ? source : 'state dict');
}

/**
 * Copies a decoded state dict into model.params. Every row must be present with its shape, F32
 * or F64 (rounded to F32); no tensor under the prefix may be left over. Checks everything before
 * copying anything, so a failed import leaves the model as it was.
 */
export function importPyTorchTensors(
  model: Model,
  tensors: ReadonlyMap<string, SafetensorsTensor>,
  options: PyTorchOptions = {},
  source = 'state dict',
): void {
  checkModelArgument('importPyTorchTensors', model);
  if (!((tensors as unknown) instanceof Map)) {
    fail(
      NnErrorCode.BAD_WEIGHTS,
      `importPyTorchTensors: tensors must be a Map of name → { dtype, shape, data } (decodeSafetensors' tensors), got ${describe(tensors)}`,
    );
  }
  const map = pytorchNameMap(model, options);
  const copies: [string, SafetensorsTensor][] = [];
  for (const [recurName, torchName] of map) {
    const expected = model.layout.row(recurName)!.shape;
    const tensor = tensors.get(torchName);
    const what = `${source}: tensor "${torchName}" (${recurName})`;
    if (tensor === undefined) {
      fail(
        NnErrorCode.LAYOUT_MISMATCH,
        `${source}: missing tensor "${torchName}" [${expected}] for ${recurName}`,
      );
    }
    if (tensor.dtype !== 'F32' && tensor.dtype !== 'F64') {
      fail(
        NnErrorCode.BAD_WEIGHTS,
        `${what} is ${tensor.dtype}; parameters must be F32 or F64 (or F16, BF16)`,
      );
    }
    if (tensor.shape.length !== expected.length || tensor.shape.some((d, k) => d !== expected[k])) {
      fail(NnErrorCode.LAYOUT_MISMATCH, `${what} has shape [${tensor.shape}], expected [${expected}]`);
    }
    copies.push([recurName, tensor]);
  }
  checkLeftovers(tensors, new Set(map.values()), options.prefix ?? '', source);
  for (const [recurName, tensor] of copies) {
    model.layout.view(model.params, recurName).set(tensor.data as Float32Array | Float64Array);
  }
}

function checkLeftovers(
  tensors: ReadonlyMap<string, SafetensorsTensor>,
  used: ReadonlySet<string>,
  prefix: string,
  source: string,
): void {
  const extra = [...tensors.keys()].filter((name) => name.startsWith(prefix) && !used.has(name));
  if (extra.length > 0) {
    const shown = extra.slice(0, 5).map((name) => `"${name}" [${tensors.get(name)!.shape}]`);
    fail(
      NnErrorCode.LAYOUT_MISMATCH,
      `${source}: ${extra.length} tensor(s) match no parameter of the model: ${shown.join(', ')}` +
        `${extra.length > 5 ? ', …' : ''} (see pytorchModules(model) for the expected modules)`,
    );
  }
}
