// sequential: a stack of layers with one input and one output, Keras' Sequential: each layer
// reads the previous one's output. Everything else (memory, loss, compile, fit, evaluate,
// predict, summary) is the common Model of base-model.ts.

import { Model, type ModelConfig } from './base-model.js';
import type { Batch } from './batch.js';
import { fail, NnErrorCode } from './errors.js';
import type { Flow, Layer, ShapeSpec, StepContext } from './layer.js';
import { Recurrent } from './layers/recurrent.js';
import { describe, knownKeys, nonNegativeInteger, positiveInteger } from './validate.js';

export type { Batch } from './batch.js';

export interface SequentialOptions {
  /** [steps, features] (floats), [steps] (token ids, embedding first) or [features] (vectors) */
  inputShape?: number[];
  /** seeds initialisation, shuffling and dropout; default 0 */
  seed?: number;
}

interface HasInputShape {
  inputShape?: number[] | [number, number] | [number] | null;
}

function inputSpecOf(first: Layer, given: number[] | undefined): ShapeSpec {
  const shape = given ?? (first as unknown as HasInputShape).inputShape ?? null;
  if (shape === null) {
    fail(NnErrorCode.BAD_MODEL, 'sequential: give inputShape, on the model or on its first layer');
  }
  const isEmbedding = first.kind === 'embedding';
  if (!Array.isArray(shape))
    fail(NnErrorCode.BAD_OPTION, `sequential: inputShape must be an array, got ${describe(shape)}`);
  shape.forEach((size, i) => {
    positiveInteger('sequential', `inputShape[${i}]`, size);
  });
  if (isEmbedding && shape.length === 1) return { steps: shape[0], features: 1, ids: true };
  if (!isEmbedding && shape.length === 2) return { steps: shape[0], features: shape[1], ids: false };
  if (!isEmbedding && shape.length === 1) return { steps: null, features: shape[0], ids: false };
  return fail(
    NnErrorCode.BAD_MODEL,
    `sequential: inputShape ${JSON.stringify(shape)} does not fit a first ${first.kind} layer`,
  );
}

export class Sequential extends Model {
  constructor(layers: Layer[], options: SequentialOptions = {}) {
    knownKeys('sequential', options, ['inputShape', 'seed']);
    if (!Array.isArray(layers) || layers.length === 0) {
      fail(NnErrorCode.BAD_MODEL, 'sequential: give a non-empty array of layers');
    }
    layers.forEach((layer, i) => {
      if (layer instanceof Recurrent && layer.options.returnState) {
        fail(
          NnErrorCode.BAD_MODEL,
          `sequential: layers.${i} (${layer.kind}) sets returnState, which a sequential model cannot return ` +
            `(as in Keras); drop it and read the final states with model.finalStates(${i}) after predict, ` +
            'or use encoderDecoder for seq2seq',
        );
      }
    });
    const seed = options.seed === undefined ? 0 : nonNegativeInteger('sequential', 'seed', options.seed);
    const inputSpec = inputSpecOf(layers[0], options.inputShape);
    const shapes: ShapeSpec[] = [];
    let shape = inputSpec;
    layers.forEach((layer, i) => {
      shape = layer.build(shape, `layers.${i}`);
      shapes.push(shape);
    });
    const prefixes = layers.map((_, i) => `layers.${i}.`);
    super({ layers: [...layers], prefixes, shapes, inputSpec, outputSpec: shape, seed });
  }

  /** Copies a batch into the time-major input buffers and runs every layer forward. */
  forward(batch: Batch, ctx: StepContext): Flow {
    let flow = this.inputFlow(batch);
    for (const layer of this.layers) flow = layer.forward(flow, ctx);
    return flow;
  }

  protected backward(dOutput: Float32Array, ctx: StepContext): void {
    let grad: Float32Array | null = dOutput;
    let i = this.layers.length - 1;
    for (; i >= 0 && grad !== null; i--) {
      grad = this.layers[i].backward(grad, ctx, i > 0); // the first layer's input is the batch
      ctx.backwardProgress?.layerFinal(i);
    }
    // Below an ids input (null gradient) nothing runs: those layers' gradients are final too.
    for (; i >= 0; i--) ctx.backwardProgress?.layerFinal(i);
  }

  config(): ModelConfig {
    const spec = this.inputSpec;
    const inputShape = spec.ids
      ? [spec.steps as number]
      : spec.steps === null
        ? [spec.features]
        : [spec.steps, spec.features];
    return { kind: 'sequential', seed: this.seed, inputShape, layers: this.layers.map((l) => l.config()) };
  }
}

export const sequential = (layers: Layer[], options?: SequentialOptions) => new Sequential(layers, options);
