// One-to-many generation from a trained next-token model (embedding → recurrent layers with
// returnSequences → dense over the vocabulary): feed a prompt, then sample one token at a time,
// carrying every recurrent layer's state from step to step so each new token costs one step.
// Sampling: logits / temperature → softmax → keep the topK most likely (0 keeps all) → draw
// from the counter-based generator keyed by (seed, sample purpose, 0, token position), so the
// same seed gives the same text.
import { RandomPurpose, randomUint32 } from '@recur/kernels';
import type { Model } from './base-model.js';
import { fail, NnErrorCode } from './errors.js';
import { Recurrent } from './layers/recurrent.js';
import { knownKeys, nonNegativeInteger, numberInRange, positiveInteger } from './validate.js';

export interface GenerateOptions {
  /** token ids to start from (at least one) */
  prompt: ArrayLike<number>;
  /** tokens to generate */
  steps: number;
  /** > 0; below 1 sharpens, above 1 flattens; default 1 */
  temperature?: number;
  /** sample among the k most likely tokens; 0 (default) keeps all */
  topK?: number;
  seed?: number;
  /** 0 for greedy decoding instead of sampling; default false */
  greedy?: boolean;
}

/** Generates `steps` token ids after `prompt`. */
export function generate(model: Model, options: GenerateOptions): number[] {
  const o = resolve(model, options);
  const recurrent = recurrentLayers(model);
  const V = model.outputSpec.features;
  const probabilities = new Float64Array(V);
  const order = new Int32Array(V);
  model.ensureMemory(1, model.memory?.stateCount ?? 0);
  for (const layer of recurrent) {
    layer.carry = true;
    layer.resetStates();
  }
  try {
    const out: number[] = [];
    let logits = runTokens(model, o.prompt);
    for (let step = 0; step < o.steps; step++) {
      const token = o.greedy ? argmax(logits) : sample(logits, probabilities, order, o, step);
      out.push(token);
      logits = runTokens(model, [token]);
    }
    return out;
  } finally {
    for (const layer of recurrent) {
      layer.carry = false;
      layer.resetStates();
    }
  }
}

function resolve(model: Model, options: GenerateOptions) {
  const where = 'generate';
  knownKeys(where, options, ['prompt', 'steps', 'temperature', 'topK', 'seed', 'greedy']);
  if (!model.inputSpec.ids || model.outputSpec.steps === null) {
    fail(
      NnErrorCode.BAD_MODEL,
      `${where}: needs a model from token ids to a sequence of logits (embedding first, returnSequences)`,
    );
  }
  const V = model.outputSpec.features;
  const prompt = Array.from(options.prompt ?? []);
  if (prompt.length === 0) fail(NnErrorCode.BAD_OPTION, `${where}: prompt must hold at least one token id`);
  const vocab = (model.layers[0] as unknown as { inputDim: number }).inputDim;
  for (const id of prompt) {
    if (!Number.isInteger(id) || id < 0 || id >= vocab)
      fail(NnErrorCode.BAD_OPTION, `${where}: prompt id ${id} is not in [0, ${vocab})`);
  }
  return {
    prompt,
    steps: positiveInteger(where, 'steps', options.steps),
    temperature:
      options.temperature === undefined
        ? 1
        : numberInRange(where, 'temperature', options.temperature, 0, 1e6, { minInclusive: false }),
    topK: options.topK === undefined ? 0 : Math.min(nonNegativeInteger(where, 'topK', options.topK), V),
    seed: options.seed === undefined ? 0 : nonNegativeInteger(where, 'seed', options.seed),
    greedy: options.greedy === true,
  };
}

function recurrentLayers(model: Model): Recurrent[] {
  const found: Recurrent[] = [];
  for (const layer of model.layers) {
    if (layer instanceof Recurrent) found.push(layer);
    else if (layer.kind === 'bidirectional')
      fail(NnErrorCode.BAD_MODEL, 'generate: a bidirectional layer reads the future, so it cannot generate');
  }
  return found;
}

/** Runs tokens through the model in chunks of its input length; returns the last step's logits. */
function runTokens(model: Model, tokens: number[]): Float32Array {
  const maxSteps = model.inputSpec.steps as number;
  const V = model.outputSpec.features;
  const ids = new Int32Array(maxSteps);
  let last = new Float32Array(V);
  for (let start = 0; start < tokens.length; start += maxSteps) {
    const chunk = tokens.slice(start, start + maxSteps);
    ids.set(chunk);
    const batch = {
      B: 1,
      T: chunk.length,
      x: null,
      ids,
      lengths: null,
      target: null,
      sampleIndex: new Int32Array(1),
    };
    const flow = model.forward(batch, { training: false, seed: 0, epoch: 0, sampleIndex: batch.sampleIndex });
    last = flow.data.slice((chunk.length - 1) * V, chunk.length * V);
  }
  return last;
}

function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/** Draws a token from softmax(logits / temperature), restricted to the top k. */
function sample(
  logits: Float32Array,
  p: Float64Array,
  order: Int32Array,
  o: { temperature: number; topK: number; seed: number },
  step: number,
): number {
  const V = logits.length;
  const max = logits[argmax(logits)];
  for (let i = 0; i < V; i++) order[i] = i;
  order.sort((a, b) => logits[b] - logits[a]);
  const keep = o.topK === 0 ? V : o.topK;
  let total = 0;
  for (let k = 0; k < keep; k++) {
    const i = order[k];
    p[i] = Math.exp((logits[i] - max) / o.temperature);
    total += p[i];
  }
  const u = (randomUint32(o.seed, RandomPurpose.sample, 0, step, 0) / 2 ** 32) * total;
  let acc = 0;
  for (let k = 0; k < keep; k++) {
    acc += p[order[k]];
    if (u < acc) return order[k];
  }
  return order[keep - 1];
}
