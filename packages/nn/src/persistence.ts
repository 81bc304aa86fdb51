// Loading whole models from checkpoints (Model.save writes them; checkpoint.ts holds the file
// format): the model is rebuilt from its config, gets its weights, is compiled as it was, and
// resumes training where it stopped, bit for bit — optimizer state and step, the random
// generator's seed and the data position all travel in the file.
import type { Model, ModelConfig } from './base-model.js';
import { type CheckpointContent, checkLayout, loadCheckpoint } from './checkpoint.js';
import { fail, NnErrorCode, RecurError } from './errors.js';
import { checkPath } from './io.js';
import type { Layer, LayerConfig } from './layer.js';
import { Bidirectional, type BidirectionalOptions } from './layers/bidirectional.js';
import { Dense, type DenseOptions } from './layers/dense.js';
import { Dropout, type DropoutOptions } from './layers/dropout.js';
import { Embedding, type EmbeddingOptions } from './layers/embedding.js';
import { type CellKind, Recurrent, type RecurrentOptions } from './layers/recurrent.js';
import { Sequential } from './model.js';
import { EncoderDecoder, type EncoderDecoderOptions } from './seq2seq.js';
import type { CompileOptions } from './training/compile.js';
import { optimizerFromJSON } from './training/optimizers.js';
import { epochProgressFromJSON } from './training/progress.js';
import { describe } from './validate.js';

export interface LoadedModel {
  model: Model;
  preprocessing: unknown;
}

/** Rebuilds a model from a checkpoint: weights, and optimizer state and position when saved. */
export async function loadModel(path: string): Promise<LoadedModel> {
  checkPath('loadModel', path);
  const content = await loadCheckpoint(path);
  const model = modelFromConfig(content.config, path);
  checkLayout(content, model.layout);
  model.params.set(content.params);
  restoreTraining(model, content, path);
  return { model, preprocessing: content.preprocessing };
}

function restoreTraining(model: Model, content: CheckpointContent, source: string): void {
  model.trainingSeed = content.rng.seed;
  model.trainingPosition = { epoch: content.rng.epoch, position: content.rng.position };
  const extra = content.extra as
    | { compile?: CompileOptions | null; epoch?: unknown; lrScale?: unknown }
    | undefined;
  model.epochProgress = epochProgressFromJSON(extra?.epoch, source);
  const spec = extra?.compile ?? null;
  if (spec === null || content.optimizer === null) return;
  const optimizer = optimizerFromJSON(content.optimizer.kind, content.optimizer.hyper);
  model.compile({
    ...spec,
    optimizer: { kind: optimizer.kind, ...optimizer.hyper } as CompileOptions['optimizer'],
  });
  const compiled = model.compiled as NonNullable<Model['compiled']>;
  compiled.step = content.optimizer.step;
  compiled.lrScale = lrScaleFromJSON(extra?.lrScale, source);
  const saved = content.optimizer.state;
  if (saved.length === 0) return;
  if (saved.length !== optimizer.stateCount()) {
    fail(
      NnErrorCode.BAD_CHECKPOINT,
      `${source}: optimizer '${optimizer.kind}' needs ${optimizer.stateCount()} state buffers, the file has ${saved.length}`,
    );
  }
  model.pendingOptimizerState = saved;
}

/** The `lrScale` field of a checkpoint's extra (a callback's change to the learning rate): 1 when absent. */
function lrScaleFromJSON(value: unknown, source: string): number {
  if (value === undefined) return 1;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(NnErrorCode.BAD_CHECKPOINT, `${source}: extra.lrScale is ${describe(value)}, not a number > 0`);
  }
  return value;
}

/** A model from the JSON that `model.config()` wrote. */
export function modelFromConfig(config: unknown, source = 'config'): Model {
  const c = config as ModelConfig & Record<string, unknown>;
  try {
    if (c?.kind === 'sequential') {
      if (!Array.isArray(c.layers))
        fail(
          NnErrorCode.BAD_MODEL,
          `sequential: layers must be an array of layer configs, got ${describe(c.layers)}`,
        );
      const layers = (c.layers as LayerConfig[]).map((l) => layerFromConfig(l));
      return new Sequential(layers, { inputShape: c.inputShape as number[], seed: c.seed });
    }
    if (c?.kind === 'encoderDecoder') {
      const { kind: _kind, ...options } = c;
      return new EncoderDecoder(options as unknown as EncoderDecoderOptions);
    }
  } catch (error) {
    if (error instanceof RecurError)
      fail(NnErrorCode.BAD_CHECKPOINT, `${source}: its model config is invalid: ${error.message}`, error);
    throw error;
  }
  return fail(NnErrorCode.BAD_CHECKPOINT, `${source}: unknown model kind ${describe(c?.kind)}`);
}

/** A layer from the JSON that `layer.config()` wrote. */
export function layerFromConfig(config: LayerConfig): Layer {
  if (typeof config !== 'object' || config === null)
    fail(
      NnErrorCode.BAD_MODEL,
      `a layer config must be an object { kind, options }, got ${describe(config)}`,
    );
  const options = config.options;
  switch (config.kind) {
    case 'simpleRNN':
    case 'lstm':
    case 'gru':
      return new Recurrent(config.kind as CellKind, options as unknown as RecurrentOptions);
    case 'dense':
      return new Dense(options as unknown as DenseOptions);
    case 'embedding':
      return new Embedding(options as unknown as EmbeddingOptions);
    case 'dropout':
      return new Dropout(options as unknown as DropoutOptions);
    case 'bidirectional': {
      if (typeof options !== 'object' || options === null)
        fail(
          NnErrorCode.BAD_MODEL,
          `bidirectional: options must be an object { layer, … }, got ${describe(options)}`,
        );
      const { layer, ...rest } = options as unknown as { layer: LayerConfig } & BidirectionalOptions;
      return new Bidirectional(layerFromConfig(layer) as Recurrent, rest);
    }
    default:
      return fail(NnErrorCode.BAD_MODEL, `unknown layer kind ${describe(config.kind)}`);
  }
}
